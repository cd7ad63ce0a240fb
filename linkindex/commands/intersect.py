"""``linkindex intersect``: the referring domains of competitors that do not link to you (link intersect)."""

import textwrap

from rich.console import Console

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_data, error, examples, positive_int

HELP = "referring domains that link to several given domains and not to the excluded ones"
DESCRIPTION = textwrap.fill(
    "Referring domains that link to at least K of the given domains (default: all of them) and to none of "
    "the excluded ones, over the current link graph (the latest fetch of every page), with how many and "
    "which of the given domains each links to, its backlinks to them and its authority; the given and "
    "excluded domains themselves are never results. Ordered by matching, then authority. The index holds "
    "the same as a table macro: select * from link_intersect(['a.com', 'b.com'], ['mine.com'], 2).",
    79,
)

EXAMPLES = examples(
    "linkindex intersect competitor-a.com competitor-b.com --exclude example.com --data idx",
    "linkindex intersect a.com b.com c.com --min-matching 2 --dofollow --data idx --format csv --output gap.csv",
)

INTERSECT_SQL = "select * from link_intersect($domains, $excluded, $min_matching, $dofollow)"


def add_arguments(parser):
    parser.add_argument("domains", nargs="+", metavar="DOMAIN", help="domains whose referring domains to intersect")
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="DOMAIN", help="leave out domains linking here (repeatable)"
    )
    parser.add_argument(
        "--min-matching",
        type=positive_int,
        default=None,
        metavar="K",
        help="link to at least K of the domains (default: all of them)",
    )
    parser.add_argument(
        "--dofollow", action="store_true", help="count followed links only (for the excluded domains too)"
    )
    add_data(parser)
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json", "parquet"),
        default="table",
        help="table: aligned columns; csv: with a header line; json: one object per line; parquet: needs --output",
    )
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of the terminal")


def run(args, console: Console) -> int:
    import duckdb

    from linkindex.index import IndexBuildError, query
    from linkindex.report import normalize_domain

    try:
        domains = list(dict.fromkeys(normalize_domain(domain)[1] for domain in args.domains))
        excluded = list(dict.fromkeys(normalize_domain(domain)[1] for domain in args.exclude))
        if args.min_matching is not None and not 1 <= args.min_matching <= len(domains):
            raise IndexBuildError(f"--min-matching must be between 1 and {len(domains)} (the domains given)")
        overlap = set(domains) & set(excluded)
        if overlap:
            raise IndexBuildError(f"{', '.join(sorted(overlap))} is both given and excluded")
        params = {
            "domains": domains,
            "excluded": excluded,
            "min_matching": args.min_matching or len(domains),
            "dofollow": args.dofollow,
        }
        query(args.data, INTERSECT_SQL, params, fmt=args.format, output=args.output, console=console)
    except (IndexBuildError, duckdb.Error) as exc:
        error(f"{exc}")
        return EXIT_USAGE
    except OSError as exc:
        error(f"cannot write {args.output}: {exc.strerror or exc}")
        return EXIT_USAGE
    return EXIT_OK

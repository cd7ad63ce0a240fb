"""``linkindex intersect``: the referring domains of competitors that do not link to you (link intersect)."""

import textwrap

from rich.console import Console

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_data, error, examples, note, positive_int

HELP = "referring domains that link to several given targets and not to the excluded ones"
DESCRIPTION = textwrap.fill(
    "Referring domains that link to at least K of the given targets (default: all of them) and to none of "
    "the excluded ones, over the current link graph (the latest fetch of every page), with how many and "
    "which of the given targets each links to, its backlinks to them and its authority; the registered "
    "domains of the given and excluded targets themselves are never results. Ordered by matching, then "
    "authority. A target is a registered domain unless --mode says otherwise (a URL typed without --mode "
    "is that URL): see linkindex report --help for the modes. The index holds the same as table macros: "
    "select * from link_intersect(['a.com', 'b.com'], ['mine.com'], 2), and target_intersect for any mode.",
    79,
)

EXAMPLES = examples(
    "linkindex intersect competitor-a.com competitor-b.com --exclude example.com --data idx",
    "linkindex intersect a.com/blog/ b.com/news/ --mode prefix --exclude mine.com --data idx --format csv",
)

INTERSECT_SQL = "select * from target_intersect($targets, $excluded, $min_matching, $dofollow)"


def add_arguments(parser):
    from linkindex.targets import MODE_HELP, MODES

    parser.add_argument(
        "targets", nargs="+", metavar="TARGET", help="domains (or URLs, prefixes, hosts: see --mode) to intersect"
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        help="what each TARGET is: "
        + "; ".join(f"{mode}: {text}" for mode, text in MODE_HELP.items())
        + " (default: domain for a bare host, exact for a URL)",
    )
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="TARGET", help="leave out domains linking here (repeatable)"
    )
    parser.add_argument(
        "--exclude-mode",
        choices=MODES,
        help="what each excluded TARGET is (default: domain for a bare host, exact for a URL)",
    )
    parser.add_argument(
        "--min-matching",
        type=positive_int,
        default=None,
        metavar="K",
        help="link to at least K of the targets (default: all of them)",
    )
    parser.add_argument(
        "--dofollow", action="store_true", help="count followed links only (for the excluded targets too)"
    )
    add_data(parser)
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json", "parquet"),
        default="table",
        help="table: aligned columns; csv: with a header line; json: one object per line; parquet: needs --output",
    )
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of the terminal")


def unique_targets(typed: list[str], mode: str | None) -> list:
    """The targets typed, each once (by what it means, not how it was typed)."""
    from linkindex.targets import parse_target

    targets = {}
    for text in typed:
        target = parse_target(text, mode)
        targets.setdefault(target.describe(), target)
    return list(targets.values())


def described(targets: list) -> str:
    """The targets in words, each with the mode it was read in."""
    return ", ".join(f"{target.describe()} ({target.mode})" for target in targets)


def run(args, console: Console) -> int:
    import duckdb

    from linkindex.index import IndexBuildError, query
    from linkindex.targets import TargetError

    try:
        targets = unique_targets(args.targets, args.mode)
        excluded = unique_targets(args.exclude, args.exclude_mode)
    except TargetError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    try:
        if args.min_matching is not None and not 1 <= args.min_matching <= len(targets):
            raise IndexBuildError(f"--min-matching must be between 1 and {len(targets)} (the targets given)")
        overlap = {target.describe() for target in targets} & {target.describe() for target in excluded}
        if overlap:
            raise IndexBuildError(f"{', '.join(sorted(overlap))} is both given and excluded")
        note(f"targets: {described(targets)}" + (f"; excluded: {described(excluded)}" if excluded else ""))
        params = {
            "targets": [target.as_struct() for target in targets],
            "excluded": [target.as_struct() for target in excluded] or None,
            "min_matching": args.min_matching or len(targets),
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

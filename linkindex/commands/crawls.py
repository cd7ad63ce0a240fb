"""``linkindex crawls``: the crawls in the index, each a snapshot, in the order they started."""

import textwrap

from rich.console import Console

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_data, error, examples

HELP = "list the crawls in the index, in the order they started"
DESCRIPTION = textwrap.fill(
    "List the crawls (or extraction runs) of the index, one row each, in the order they started (their "
    "earliest fetch): id, started, finished, pages, links and linking domains. Each crawl is a snapshot; "
    "link_changes compares each with the one before.",
    79,
)

EXAMPLES = examples("linkindex crawls --data idx", "linkindex crawls --data idx --format csv --output crawls.csv")

CRAWLS_SQL = """
select crawl_seq as seq, crawl_id, started, finished, pages, links, domains
from crawls
order by crawl_seq
"""


def add_arguments(parser):
    add_data(parser)
    parser.add_argument(
        "--format",
        choices=("table", "csv", "json"),
        default="table",
        help="csv: with a header line; json: one object per line",
    )
    parser.add_argument("--output", metavar="FILE", help="write to FILE instead of the terminal")


def run(args, console: Console) -> int:
    import duckdb

    from linkindex.index import IndexBuildError, query

    try:
        query(args.data, CRAWLS_SQL, fmt=args.format, output=args.output, console=console, max_rows=1_000_000)
    except (IndexBuildError, duckdb.Error) as exc:
        error(f"{exc}")
        return EXIT_USAGE
    except OSError as exc:
        error(f"cannot write {args.output}: {exc.strerror or exc}")
        return EXIT_USAGE
    return EXIT_OK

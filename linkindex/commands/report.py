"""``linkindex report``: the backlink profile of a domain."""

from rich.console import Console

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_data, error

HELP = "print the backlink profile of a domain"


def add_arguments(parser):
    parser.add_argument("domain")
    add_data(parser)
    parser.add_argument("--top", type=int, default=10, help="rows per ranking (default: %(default)s)")
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="json: the whole report as one JSON document"
    )


def run(args, console: Console) -> int:
    import json
    import sys

    from linkindex.index import IndexBuildError, plain
    from linkindex.report import report

    try:
        result = report(args.data, args.domain, top=args.top, console=console, show=args.format == "table")
    except IndexBuildError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    if args.format == "json":
        sys.stdout.write(json.dumps(plain(result), ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK

"""``linkindex report``: the backlink profile of a domain."""

from rich.console import Console

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_data, error

HELP = "print the backlink profile of a domain"


def add_arguments(parser):
    parser.add_argument("domain")
    add_data(parser)
    parser.add_argument("--top", type=int, default=10, help="rows per ranking (default: %(default)s)")


def run(args, console: Console) -> int:
    from linkindex.index import IndexBuildError
    from linkindex.report import report

    try:
        report(args.data, args.domain, top=args.top, console=console)
    except IndexBuildError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    return EXIT_OK

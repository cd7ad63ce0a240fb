"""``linkindex report``: the backlink profile of a domain."""

from rich.console import Console
from rich.markup import escape

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_data, error

HELP = "print the backlink profile of a domain"


def add_arguments(parser):
    parser.add_argument("domain")
    add_data(parser)
    parser.add_argument("--top", type=int, default=10, help="rows per ranking (default: %(default)s)")
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="write the overview as one self-contained HTML file (charts included; reads offline, prints)",
    )


def run(args, console: Console) -> int:
    from linkindex.index import IndexBuildError
    from linkindex.report import report

    if args.html:
        return _html(args, console)
    try:
        report(args.data, args.domain, top=args.top, console=console)
    except IndexBuildError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    return EXIT_OK


def _html(args, console: Console) -> int:
    from linkindex.index import IndexBuildError

    try:
        from linkindex.web.htmlreport import write_report
    except ImportError as exc:
        error(f"the HTML report needs the web extra ({exc.name} is missing): pip install 'linkindex[web]'")
        return EXIT_USAGE
    if args.top < 1:
        error(f"--top must be at least 1, not {args.top}")
        return EXIT_USAGE
    try:
        domain = write_report(args.data, args.domain, args.html, top=args.top)
    except IndexBuildError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    except OSError as exc:
        error(f"cannot write {args.html}: {exc.strerror or exc}")
        return EXIT_USAGE
    console.print(f"Backlink profile of {escape(domain)} → {escape(args.html)}")
    return EXIT_OK

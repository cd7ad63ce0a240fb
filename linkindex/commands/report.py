"""``linkindex report``: the backlink profile of a domain."""

from rich.console import Console
from rich.markup import escape

from linkindex.commands.common import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, add_data, error, errors, examples, positive_int

HELP = "print the backlink profile of a domain, a host, a URL prefix or one URL"
DESCRIPTION = """\
The backlink profile of a target, from the index built by `linkindex build`:
backlinks, referring domains and pages, dofollow share and the dates seen;
the top referring domains, anchors and most-linked pages; and the backlinks
by rel (dofollow, nofollow, ugc, sponsored), by placement on the linking page
(main, nav, footer, comment, ...) and by kind (anchor, image, redirect,
canonical, ...); then the authority and rank of its registered domain
(and of the page, for one URL), the backlinks and referring domains new and
lost since the previous crawl with the top lost ones and why, the backlinks
the latest crawl did not re-check, the link-quality flags and risk of the
referring domains, the anchor classes, the broken backlinks to reclaim and
the disavowed share. --format json prints the whole report as one JSON
document. A target the index holds no backlink to exits with 1.

A target is, by --mode:
  exact       one URL: https://example.com/pricing
  prefix      every URL that starts so, a section of a site: https://example.com/blog/
  subdomains  a host and its subdomains: blog.example.com
  domain      the registered domain, every host of it: example.com
A URL means exact and a bare host means domain unless --mode says otherwise;
typed without http:// or https://, an exact URL or prefix matches both."""
EXAMPLES = examples(
    "linkindex report example.com --data idx --top 25",
    "linkindex report https://example.com/blog/ --mode prefix --data idx",
    "linkindex report example.com --data idx --format json > report.json",
    "linkindex report https://example.com/blog/ --mode prefix --data idx --html blog.html",
)


def add_arguments(parser):
    from linkindex.targets import MODES

    parser.add_argument(
        "domain", metavar="TARGET", help="a domain, a host, a URL prefix or a URL (see --mode)"
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        help="what TARGET covers (default: exact for a URL, domain for a bare host)",
    )
    add_data(parser)
    parser.add_argument("--top", type=positive_int, default=10, metavar="N", help="rows per ranking")
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="write the overview of the target, in its mode, as one self-contained HTML file (charts included; "
        "reads offline, prints)",
    )
    parser.add_argument(
        "--format", choices=("table", "json"), default="table", help="json: the whole report as one JSON document"
    )


def run(args, console: Console) -> int:
    import json
    import sys

    from linkindex.index import IndexBuildError, plain
    from linkindex.report import report

    if args.html:
        return _html(args, console)
    try:
        result = report(
            args.data,
            args.domain,
            top=args.top,
            console=console,
            errors=errors,
            mode=args.mode,
            show=args.format == "table",
        )
    except IndexBuildError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    if args.format == "json":
        sys.stdout.write(json.dumps(plain(result), ensure_ascii=False, indent=2) + "\n")
    return EXIT_OK if result["totals"]["backlinks"] else EXIT_PARTIAL


def _html(args, console: Console) -> int:
    from linkindex.index import IndexBuildError

    try:
        from linkindex.web.htmlreport import write_report
    except ImportError as exc:
        error(f"the HTML report needs the web extra ({exc.name} is missing): pip install 'linkindex[web]'")
        return EXIT_USAGE
    try:
        target = write_report(args.data, args.domain, args.html, top=args.top, mode=args.mode)
    except IndexBuildError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    except OSError as exc:
        error(f"cannot write {args.html}: {exc.strerror or exc}")
        return EXIT_USAGE
    console.print(f"Backlink profile of {escape(target.describe())} (mode {target.mode}) → {escape(args.html)}")
    return EXIT_OK

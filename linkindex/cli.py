"""The ``linkindex`` command line.

    linkindex crawl SEED_URL... --data DIR          crawl seed domains -> Parquet records
    linkindex extract FILE_OR_GLOB... --data DIR    WARC/ARC files -> Parquet records
    linkindex build --data DIR                      Parquet -> DuckDB link index
    linkindex query "SQL" --data DIR                ad-hoc SQL over the index
    linkindex report DOMAIN --data DIR              backlink profile of a domain
    linkindex bench extract [WARC...]               extraction speed against Scrapy's LinkExtractor
"""

import argparse
import os
import sys

from rich.console import Console
from rich.table import Table

DEFAULT_DATA_DIR = "./linkindex-data"
DEFAULT_CRAWL_ID = "default"

# Exit codes: 0 done, 1 done but some inputs failed, 2 usage or setup error.
EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2


def _add_data(parser):
    parser.add_argument(
        "--data",
        default=os.environ.get("LINKINDEX_DATA", DEFAULT_DATA_DIR),
        metavar="DIR",
        help=f"data directory (default: $LINKINDEX_DATA or {DEFAULT_DATA_DIR})",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="linkindex",
        description="Build a backlink index of the web and query it with SQL.",
    )
    from linkindex import __version__

    parser.add_argument("--version", action="version", version=f"linkindex {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    crawl = commands.add_parser(
        "crawl",
        help="crawl seed domains and record every link",
        description="Crawl the registered domains of the seeds (subdomains included), politely, "
        "and write link and page records as Parquet. Links leaving the seeds' domains are "
        "recorded, never fetched.",
    )
    crawl.add_argument("seeds", nargs="*", metavar="SEED_URL")
    crawl.add_argument("--seeds-file", metavar="FILE", help="seed URLs, one a line (# starts a comment)")
    _add_data(crawl)
    crawl.add_argument("--crawl-id", default=DEFAULT_CRAWL_ID, help="crawl id (default: %(default)s)")
    crawl.add_argument("--max-depth", type=int, help="link hops from a seed (default: 10)")
    crawl.add_argument(
        "--max-pages-per-domain", type=int, help="pages fetched per registered domain (default: 10000)"
    )
    crawl.add_argument("--warc", action="store_true", help="archive every response as WARC in DIR/warc/")
    crawl.add_argument(
        "--allow-private-networks",
        action="store_true",
        help="allow loopback, private and link-local destinations (refused by default)",
    )
    crawl.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a Scrapy or linkindex setting, as scrapy crawl -s does (repeatable)",
    )

    extract = commands.add_parser(
        "extract",
        help="extract link and page records from WARC/ARC files",
        description="Read WARC/ARC files (gzipped or not, globs, or a text file listing "
        "paths such as Common Crawl's warc.paths) and write link and page records as Parquet.",
    )
    extract.add_argument("inputs", nargs="+", metavar="FILE_OR_GLOB")
    _add_data(extract)
    extract.add_argument("--crawl-id", default=DEFAULT_CRAWL_ID, help="crawl id (default: %(default)s)")
    extract.add_argument(
        "--workers", type=int, default=None, help="processes (default: one per core, at most one per file)"
    )
    extract.add_argument("--no-progress", action="store_true", help="no progress bar")

    build = commands.add_parser("build", help="build the DuckDB link index from the Parquet records")
    _add_data(build)

    query = commands.add_parser("query", help="run SQL over the link index")
    query.add_argument("sql")
    _add_data(query)
    query.add_argument("--format", choices=("table", "csv", "json", "parquet"), default="table")
    query.add_argument("--output", metavar="FILE", help="write to FILE instead of the terminal")

    report = commands.add_parser("report", help="print the backlink profile of a domain")
    report.add_argument("domain")
    _add_data(report)
    report.add_argument("--top", type=int, default=10, help="rows per ranking (default: %(default)s)")

    bench = commands.add_parser("bench", help="measure throughput against a baseline in the same run")
    bench_kinds = bench.add_subparsers(dest="bench", required=True, metavar="BENCHMARK")
    bench_extract = bench_kinds.add_parser(
        "extract",
        help="link extraction pages/s and MB/s on one core, against Scrapy's LinkExtractor",
    )
    bench_extract.add_argument(
        "inputs",
        nargs="*",
        metavar="WARC_OR_HTML_DIR",
        help="WARC files or directories of pages (default: the shared real-page corpus when present, "
        "else the pages bundled with the tests)",
    )
    bench_extract.add_argument("--repeat", type=int, default=3, help="timed passes, best kept")
    bench_extract.add_argument("--limit", type=int, default=None, help="at most this many pages")
    return parser


def cmd_crawl(args, console: Console) -> int:
    from linkindex.crawl import SettingError, crawl_settings, parse_overrides, run_crawl
    from crawler.spiders.links import read_seeds

    try:
        overrides = parse_overrides(args.settings)
        seeds = read_seeds(args.seeds, args.seeds_file)
    except (SettingError, OSError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    if not seeds:
        console.print("[red]error:[/] no seed URLs: give SEED_URL arguments or --seeds-file")
        return EXIT_USAGE
    settings = crawl_settings(
        args.data,
        args.crawl_id,
        max_depth=args.max_depth,
        max_pages_per_domain=args.max_pages_per_domain,
        warc=args.warc,
        allow_private_networks=args.allow_private_networks,
        overrides=overrides,
    )
    stats = run_crawl(seeds, None, settings)
    elapsed = stats.get("elapsed_time_seconds")
    if elapsed:
        stats["seconds"] = elapsed
    print_summary(console, stats, title=f"crawl → {args.data} (crawl {args.crawl_id})")
    if stats.get("seeds/valid", 0) == 0:
        return EXIT_USAGE
    return EXIT_OK


def cmd_extract(args, console: Console) -> int:
    from linkindex.extract import run_extract
    from linkindex.warc import WarcReadError

    try:
        totals, results = run_extract(
            args.inputs,
            args.data,
            args.crawl_id,
            workers=args.workers,
            show_progress=not args.no_progress and console.is_terminal,
            console=console,
        )
    except WarcReadError as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    print_summary(console, totals, title=f"extract → {args.data} (crawl {args.crawl_id})")
    failed = [r for r in results if r.error]
    for result in failed:
        console.print(f"[yellow]file failed:[/] {result.path}: {result.error}")
    return EXIT_PARTIAL if failed else EXIT_OK


def print_summary(console: Console, stats, title: str) -> None:
    """The end-of-run summary: main counts, then everything skipped, by reason."""
    console.print(f"[bold]{title}[/]")
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("count", justify="right")
    main = [
        ("files done", "files/done"),
        ("files failed", "files/failed"),
        ("pages", "pages/seen"),
        ("HTML pages", "pages/html"),
        ("redirects", "pages/redirect"),
        ("HTTP errors", "pages/http_error"),
        ("non-HTML", "pages/non_html"),
        ("refused (private network)", "offsite/refused_private"),
        ("refused (robots.txt)", "robotstxt/forbidden"),
        ("links", "links/extracted"),
    ]
    for label, key in main:
        if key in stats:
            table.add_row(label, f"{stats[key]:,}")
    if "seconds" in stats:
        seconds = max(stats["seconds"], 1e-9)
        table.add_row("seconds", f"{stats['seconds']:.1f}")
        table.add_row("pages/s", f"{stats.get('pages/seen', 0) / seconds:,.0f}")
    skipped = sorted(
        (k, v) for k, v in stats.items() if v and ("skipped" in k or "failed" in k) and k != "files/failed"
    )
    for key, value in skipped:
        table.add_row(f"[yellow]{key}[/]", f"{value:,}")
    console.print(table)


def cmd_build(args, console: Console) -> int:
    from linkindex.index import IndexBuildError, build

    try:
        counts = build(args.data)
    except IndexBuildError as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    console.print(f"[bold]index → {os.path.join(args.data, 'index.duckdb')}[/]")
    table = Table()
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    return EXIT_OK


def cmd_query(args, console: Console) -> int:
    from linkindex.index import IndexBuildError, query
    import duckdb

    try:
        query(args.data, args.sql, fmt=args.format, output=args.output, console=console)
    except IndexBuildError as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    except duckdb.Error as exc:
        console.print(f"[red]SQL error:[/] {exc}")
        return EXIT_USAGE
    return EXIT_OK


def cmd_report(args, console: Console) -> int:
    from linkindex.index import IndexBuildError
    from linkindex.report import report

    try:
        report(args.data, args.domain, top=args.top, console=console)
    except IndexBuildError as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_USAGE
    return EXIT_OK


def cmd_bench(args, console: Console) -> int:
    from linkindex import bench

    return bench.run(args, console)


COMMANDS = {
    "crawl": cmd_crawl,
    "extract": cmd_extract,
    "build": cmd_build,
    "query": cmd_query,
    "report": cmd_report,
    "bench": cmd_bench,
}


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=False)
    try:
        return COMMANDS[args.command](args, console)
    except KeyboardInterrupt:
        console.print("[yellow]interrupted[/]")
        return 130


if __name__ == "__main__":
    sys.exit(main())

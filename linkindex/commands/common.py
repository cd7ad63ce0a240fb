"""What several commands share: options, exit codes, diagnostics, the run summary."""

import argparse
import os
import re

from rich.console import Console
from rich.table import Table
from rich.text import Text

DEFAULT_DATA_DIR = "./linkindex-data"
DEFAULT_CRAWL_ID = "default"

# Exit codes: 0 done, 1 done but some inputs failed, 2 usage or setup error.
EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2
EXIT_INTERRUPTED = 130

#: Diagnostics go to standard error, so that `query --format csv > out.csv` holds data only.
errors = Console(stderr=True)


def error(message: str) -> None:
    """One line saying what went wrong, on standard error."""
    errors.print(Text.assemble(("error:", "red"), " ", message), soft_wrap=True, highlight=False)


def add_data(parser):
    parser.add_argument(
        "--data",
        default=os.environ.get("LINKINDEX_DATA", DEFAULT_DATA_DIR),
        metavar="DIR",
        help=f"data directory (default: $LINKINDEX_DATA or {DEFAULT_DATA_DIR})",
    )


def crawl_id(value: str) -> str:
    """A crawl id: letters, digits, '.', '_' and '-' (it names directories and Redis keys)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", value):
        raise argparse.ArgumentTypeError(
            f"{value!r}: use letters, digits, '.', '_' and '-' (it names directories and Redis keys)"
        )
    return value


def add_crawl_id(parser):
    parser.add_argument(
        "--crawl-id",
        type=crawl_id,
        default=os.environ.get("LINKINDEX_CRAWL_ID", DEFAULT_CRAWL_ID),
        help="crawl id (default: $LINKINDEX_CRAWL_ID or %(default)s)",
    )


def add_redis(parser, required=True):
    parser.add_argument(
        "--redis",
        default=os.environ.get("REDIS_URL"),
        metavar="URL",
        help="Redis URL, redis:// or rediss:// with user and password (default: $REDIS_URL)"
        + ("" if required else "; with it, the work is shared through Redis"),
    )


def add_limits(parser):
    parser.add_argument("--max-depth", type=int, help="link hops from a seed (default: 10)")
    parser.add_argument(
        "--max-pages-per-domain", type=int, help="pages fetched per registered domain (default: 10000)"
    )


def add_worker_options(parser):
    parser.add_argument(
        "--idle-exit",
        type=float,
        default=None,
        metavar="SECONDS",
        help="exit once the shared queue is empty and nothing is in flight anywhere for this long "
        "(default: 10; 'inf': never, for a standing pool of workers)",
    )


def connect_redis(args):
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


ENGINES = ("duckdb", "spark")


def add_engine(parser, duckdb_does: str, spark_does: str):
    """``--engine duckdb|spark``, and the Spark options ``--master`` and ``--conf``."""
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="duckdb",
        help=f"duckdb (default): {duckdb_does}; spark: {spark_does} (needs `pip install 'linkindex[spark]'`)",
    )
    parser.add_argument(
        "--master",
        metavar="URL",
        help="Spark master: local[N], spark://HOST:PORT, yarn, k8s://URL (default: spark-submit's, else local[*])",
    )
    parser.add_argument(
        "--conf",
        action="append",
        metavar="KEY=VALUE",
        help="a Spark setting, e.g. spark.driver.memory=4g (repeat for more)",
    )


def spark_session_for(args):
    """The Spark session of ``--master`` and ``--conf``, or None after saying (one line) what is missing."""
    from linkindex.spark import SparkUnavailable, require_spark

    try:
        require_spark()
        from linkindex.spark.session import parse_conf, spark_session

        return spark_session(args.master, parse_conf(args.conf))
    except (SparkUnavailable, ValueError) as exc:
        error(f"{exc}")
        return None


def check_engine_options(args, local_only: list[str], hint: str) -> bool:
    """Refuse (one line) Spark options without --engine spark, and options of the local engine with it."""
    if args.engine != "spark":
        given = [option for option, value in (("--master", args.master), ("--conf", args.conf)) if value]
        if given:
            error(f"{', '.join(given)} go with --engine spark")
            return False
        return True
    given = [option for option in local_only if getattr(args, option.lstrip("-").replace("-", "_"), None)]
    if given:
        error(f"{', '.join(given)} cannot be used with --engine spark: {hint}")
        return False
    return True

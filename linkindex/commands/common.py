"""What several commands share: options, exit codes, diagnostics, the run summary.

Defaults come from ``crawler.defaults``; help texts render them from there
(``%(default)s`` or the constant), so a default is stated in one place.
"""

import argparse
import math
import os
import re
import shlex

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from crawler import defaults

DEFAULT_DATA_DIR = defaults.DEFAULT_DATA_DIR
DEFAULT_CRAWL_ID = defaults.DEFAULT_CRAWL_ID

#: Exit codes, as the README's table states them.
EXIT_OK = 0  # the work was done
EXIT_PARTIAL = 1  # done, with failures the summary counts (files unreadable, pages not fetched)
EXIT_USAGE = 2  # could not start: bad arguments, missing input, unreachable Redis or index
EXIT_INTERRUPTED = 130  # stopped by Ctrl-C (or SIGTERM); the message says how to continue

#: Diagnostics go to standard error, so that `query --format csv > out.csv` holds data only.
errors = Console(stderr=True)


def error(message: str) -> None:
    """One line saying what went wrong, on standard error."""
    errors.print(Text.assemble(("error:", "bold red"), " ", message), soft_wrap=True, highlight=False)


def warning(message: str) -> None:
    """One line that must not be missed, on standard error."""
    errors.print(Text.assemble(("warning:", "bold yellow"), " ", message), soft_wrap=True, highlight=False)


def note(message: str) -> None:
    """A line about the run (not its data), on standard error."""
    errors.print(Text(message), soft_wrap=True, highlight=False)


def interrupted(how_to_continue: str) -> int:
    """Say that the command was interrupted and how to continue; the exit code for it."""
    errors.print(
        Text.assemble(("interrupted:", "bold yellow"), " ", how_to_continue), soft_wrap=True, highlight=False
    )
    return EXIT_INTERRUPTED


def command_line(*words) -> str:
    """A command as a user would type it (quoted where the shell needs it)."""
    return shlex.join(str(word) for word in words if word is not None)


# -- help ---------------------------------------------------------------------


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Descriptions and examples as written; every option's default shown unless it says it or has none."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or not action.option_strings:
            return text
        if action.default in (None, False, argparse.SUPPRESS) or isinstance(action.default, list):
            return text
        return f"{text} (default: %(default)s)"


def examples(*lines: str) -> str:
    """An ``--help`` epilog of example command lines."""
    return "example:\n" + "\n".join(f"  {line}" for line in lines)


# -- argument types -----------------------------------------------------------


def _number(kind, minimum, what):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
        if kind is float and math.isnan(value):
            raise argparse.ArgumentTypeError(f"{text!r} is not a number")
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{text} is {what}")
        return value

    parse.__name__ = kind.__name__  # argparse names the type in its messages
    return parse


#: An integer of at least 0, or of at least 1.
non_negative_int = _number(int, 0, "negative: give 0 or more")
positive_int = _number(int, 1, "less than 1: give 1 or more")
#: Seconds: a number of at least 0 ('inf' for never).
seconds = _number(float, 0.0, "negative: give 0 or more seconds")


def probability(text: str) -> float:
    value = _number(float, 0.0, "negative")(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not between 0 and 1")
    return value


def crawl_id(value: str) -> str:
    """A crawl id: letters, digits, '.', '_' and '-' (it names directories and Redis keys)."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}", value):
        raise argparse.ArgumentTypeError(
            f"{value!r}: use letters, digits, '.', '_' and '-' (it names directories and Redis keys)"
        )
    return value


# -- shared options -----------------------------------------------------------


def add_data(parser):
    parser.add_argument(
        "--data",
        default=os.environ.get("LINKINDEX_DATA", DEFAULT_DATA_DIR),
        metavar="DIR",
        help=f"data directory: records, archives and the index (default: $LINKINDEX_DATA or {DEFAULT_DATA_DIR})",
    )


def add_crawl_id(parser, discover: bool = False):
    """``--crawl-id``; with ``discover``, a worker's: unset means "the crawl running in Redis"."""
    from_env = os.environ.get("LINKINDEX_CRAWL_ID")
    if discover:
        parser.add_argument(
            "--crawl-id",
            type=crawl_id,
            default=from_env,
            help="crawl to work for (default: $LINKINDEX_CRAWL_ID, else the one crawl running in Redis, "
            f"else {DEFAULT_CRAWL_ID!r} once seeded)",
        )
        return
    parser.add_argument(
        "--crawl-id",
        type=crawl_id,
        default=from_env or DEFAULT_CRAWL_ID,
        help=f"crawl id: names the records' partition and the crawl's Redis keys "
        f"(default: $LINKINDEX_CRAWL_ID or {DEFAULT_CRAWL_ID})",
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
    parser.add_argument(
        "--max-depth",
        type=non_negative_int,
        metavar="N",
        help=f"link hops from a seed; 0 fetches the seeds only (default: {defaults.DEFAULT_MAX_DEPTH})",
    )
    parser.add_argument(
        "--max-pages-per-domain",
        type=positive_int,
        metavar="N",
        help=f"pages fetched per registered domain (default: {defaults.DEFAULT_MAX_PAGES_PER_DOMAIN:,})",
    )


def add_worker_options(parser):
    parser.add_argument(
        "--idle-exit",
        type=seconds,
        default=None,
        metavar="SECONDS",
        help="exit once the shared queue is empty and nothing is in flight anywhere for this long "
        f"(default: {defaults.REDIS_IDLE_EXIT:g}; 'inf': never, for a standing pool of workers)",
    )


def add_log_options(parser):
    """-v, --log-level, --log-file: the full log of a long-running command (quiet by default)."""
    group = parser.add_argument_group(
        "logging", "By default only the progress line, warnings, errors and the summary are shown."
    )
    group.add_argument(
        "-v", "--verbose", action="count", default=0, help="show the full log (-vv: with debug messages)"
    )
    group.add_argument(
        "--log-level",
        type=str.upper,
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        metavar="LEVEL",
        help="level of the full log: DEBUG, INFO, WARNING or ERROR",
    )
    group.add_argument(
        "--log-file", metavar="FILE", help="append the full log to FILE (the terminal stays quiet)"
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


def redis_option(args) -> list[str]:
    """The ``--redis`` words of a next command: none when $REDIS_URL gives it, no password shown."""
    from crawler.distributed import redacted

    if not args.redis or args.redis == os.environ.get("REDIS_URL"):
        return []
    return ["--redis", redacted(args.redis)]


def crawl_id_option(crawl: str) -> list[str]:
    """The ``--crawl-id`` words of a next command: none for the default crawl."""
    return [] if crawl == (os.environ.get("LINKINDEX_CRAWL_ID") or DEFAULT_CRAWL_ID) else ["--crawl-id", crawl]


# -- summaries ----------------------------------------------------------------

#: Words for the stats a summary shows, in the order shown. Others are named from their key.
LABELS = {
    "files/done": "files extracted",
    "files/failed": "files failed",
    "seeds/invalid": "seeds ignored (not http(s) URLs)",
    "pages/seen": "pages recorded",
    "pages/html": "HTML pages",
    "pages/redirect": "redirects",
    "pages/http_error": "HTTP errors (4xx, 5xx)",
    "pages/non_html": "non-HTML responses",
    "links/extracted": "links",
    "offsite/refused_private": "refused: private network",
    "robotstxt/forbidden": "refused: robots.txt",
    "pages/skipped/depth": "not followed: deeper than --max-depth",
    "pages/skipped/url_too_long": "not followed: URL too long",
    "pages/skipped/budget": "not fetched: page budget of the domain spent",
    "pages/skipped/binary": "not read: binary content served as HTML",
    "pages/skipped/bad_url": "not read: unparseable URL",
    "pages/partial/too_large": "cut off: larger than the page size limit",
    "pages/failed/dns": "failed: DNS lookup",
    "pages/failed/timeout": "failed: timed out",
    "pages/failed/connection": "failed: connection refused or lost",
    "pages/failed/download_error": "failed: broken response",
    "pages/failed/too_large": "failed: too large",
    "links/skipped/non_web": "links skipped: not http(s) (mailto:, javascript:, ...)",
    "links/skipped/unparseable": "links skipped: unparseable URL",
    "warc/records_failed": "WARC records unreadable",
}
#: Stats shown as main counts (the rest only when they count something skipped or failed).
MAIN = (
    "files/done", "files/failed", "pages/seen", "pages/html", "pages/redirect", "pages/http_error",
    "pages/non_html", "links/extracted",
)  # fmt: skip
#: Words in a stat key that mark something not done.
NOT_DONE = ("skipped", "failed", "partial", "refused", "forbidden", "invalid")


def label(key: str) -> str:
    """The words for a stat key: ``pages/skipped/too_deep`` -> ``pages skipped: too deep``."""
    if key in LABELS:
        return LABELS[key]
    *group, last = key.split("/")
    words = " ".join(group).replace("_", " ")
    return f"{words}: {last.replace('_', ' ')}" if words else last.replace("_", " ")


def facts_table(headers: tuple[str, str] | None = None) -> Table:
    """The one look of every summary: label on the left, value on the right (under a bold title line)."""
    table = Table(
        show_header=headers is not None,
        header_style="bold",
        box=box.SIMPLE_HEAD if headers else box.SIMPLE,
        show_edge=False,
        pad_edge=False,
    )
    table.add_column(headers[0] if headers else "what", overflow="fold")
    table.add_column(headers[1] if headers else "value", justify="right")
    return table


def failures(stats) -> int:
    """How many inputs the run could not read: files failed, pages not fetched."""
    return int(stats.get("files/failed", 0)) + sum(
        int(v) for k, v in stats.items() if k.startswith("pages/failed/") and isinstance(v, int)
    )


def print_summary(console: Console, stats, title: str) -> None:
    """The end-of-run summary: main counts, then everything skipped, refused or failed, by reason."""
    console.print(Text(title, style="bold"), soft_wrap=True)
    table = facts_table()
    for key in MAIN:
        if key in stats:
            table.add_row(label(key), f"{stats[key]:,}")
    if "seconds" in stats:
        seconds_taken = max(stats["seconds"], 1e-9)
        table.add_row("seconds", f"{stats['seconds']:,.1f}")
        table.add_row("pages/s", f"{stats.get('pages/seen', 0) / seconds_taken:,.0f}")
    not_done = sorted(
        (key, value)
        for key, value in stats.items()
        if isinstance(value, int) and value and key not in MAIN and any(word in key for word in NOT_DONE)
    )
    for key, value in not_done:
        table.add_row(Text(label(key), style="yellow"), f"{value:,}")
    console.print(table)


# -- workers find their crawl ---------------------------------------------------


def crawls_in_redis(server) -> str:
    """The crawls in Redis, for a message."""
    from linkindex.cluster import list_crawls

    crawls = list_crawls(server)
    if not crawls:
        return "there is no crawl in this Redis yet"
    return "crawls in this Redis: " + "; ".join(c.describe() for c in crawls)


def find_crawl(server, args, kind: str) -> str | None:
    """The crawl a worker works for: --crawl-id, else the one ``kind`` running in Redis, else the default.

    ``kind`` is ``crawl`` or ``extract``. Several running and no --crawl-id:
    None, with the crawls listed. Said on standard error either way.
    """
    from linkindex.cluster import list_crawls

    if args.crawl_id:
        return args.crawl_id
    crawls = list_crawls(server)
    running = [c for c in crawls if c.running(kind)]
    if len(running) == 1:
        note(f"joining crawl {running[0].crawl_id}, the one running in Redis (--crawl-id picks another)")
        return running[0].crawl_id
    if running:
        error(
            f"{len(running)} crawls are running in this Redis; pick one with --crawl-id: "
            + "; ".join(c.describe() for c in running)
        )
        return None
    return DEFAULT_CRAWL_ID


# -- engines ------------------------------------------------------------------


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

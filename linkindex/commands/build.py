"""``linkindex build``: the link index from the Parquet records, with DuckDB or on Spark."""

import os

from rich.console import Console
from rich.text import Text

from linkindex.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    add_data,
    add_engine,
    check_engine_options,
    command_line,
    error,
    errors,
    examples,
    facts_table,
    interrupted,
    positive_int,
    spark_session_for,
)

HELP = "build the link index from the Parquet records (DuckDB, or Spark)"
DESCRIPTION = """\
Build DIR/index.duckdb from the link and page records in --data: per-crawl
facts (computed only for crawls whose record files changed since the last
build), then every table of queries/ from the facts (see docs/tables.md).
The previous index stays readable until the new one replaces it.

With --engine spark, the same models run on Spark over --data (a directory
or any URI Spark reads, such as s3a://bucket/prefix), and every table is
written as a Parquet dataset under --output DEST (DEST/<table>/, the layout
of `linkindex export`; see docs/spark.md)."""
EXAMPLES = examples(
    "linkindex build --data idx",
    "linkindex build --data idx -s LINK_QUALITY_SITEWIDE_MIN_PAGES=20",
    "linkindex report example.com --data idx",
    "linkindex build --engine spark --data s3a://bucket/idx --output s3a://bucket/idx-tables",
)


def add_arguments(parser):
    add_data(parser)
    parser.add_argument("--full", action="store_true", help="recompute the facts of every crawl, changed or not")
    parser.add_argument(
        "--memory-limit",
        metavar="SIZE",
        help="memory DuckDB may use, e.g. 4GB (default: DuckDB's, 80%% of RAM); beyond it, work spills to disk "
        "under DIR/.build-tmp",
    )
    parser.add_argument(
        "--threads", type=positive_int, metavar="N", help="threads DuckDB may use (default: one per core)"
    )
    parser.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a link-quality threshold (LINK_QUALITY_*, see docs/tables.md) for this build (repeatable)",
    )
    add_engine(parser, "DIR/index.duckdb on this machine", "Parquet datasets under --output, on any Spark cluster")
    parser.add_argument(
        "--output", metavar="DEST", help="with --engine spark: where the tables go (a directory or a URI)"
    )


def _size(count: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if count < 1000 or unit == "GB":
            return f"{count:,.0f} {unit}" if unit == "B" else f"{count:,.1f} {unit}"
        count /= 1000
    return f"{count:,.1f} TB"


def run(args, console: Console) -> int:
    hint = "give Spark its resources with --conf, e.g. --conf spark.executor.memory=8g"
    if not check_engine_options(args, ["--memory-limit", "--threads"], hint):
        return EXIT_USAGE
    settings = {}
    for setting in args.settings:
        name, equals, value = setting.partition("=")
        if not equals or not name.strip():
            error(f"-s {setting}: write NAME=VALUE")
            return EXIT_USAGE
        settings[name.strip()] = value.strip()
    if args.engine == "spark":
        return run_on_spark(args, console, settings)
    if args.output:
        error(f"--output goes with --engine spark; the DuckDB index is {os.path.join(args.data, 'index.duckdb')}")
        return EXIT_USAGE
    from linkindex.index import IndexBuildError, build

    try:
        result = build(
            args.data,
            full=args.full,
            memory_limit=args.memory_limit,
            threads=args.threads,
            quality=settings,
            log=lambda line: errors.print(line, highlight=False, soft_wrap=True),
        )
    except IndexBuildError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        again = command_line("linkindex", "build", "--data", args.data)
        return interrupted(f"the index was not changed; run `{again}` again")
    console.print(
        Text(f"index → {os.path.join(args.data, 'index.duckdb')} in {result.seconds:.1f} s", style="bold"),
        soft_wrap=True,
    )
    if result.rebuilt:
        console.print(f"facts computed for crawl(s): {', '.join(result.rebuilt)}", highlight=False, soft_wrap=True)
    if result.reused:
        console.print(f"facts up to date for crawl(s): {', '.join(result.reused)}", highlight=False, soft_wrap=True)
    if result.removed:
        console.print(
            f"facts removed for crawl(s) with no records left: {', '.join(result.removed)}",
            highlight=False,
            soft_wrap=True,
        )
    table = facts_table(("table", "rows"))
    for name, rows in result.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    slowest = sorted(result.table_seconds.items(), key=lambda item: -item[1])[:5]
    if slowest:
        console.print(
            "slowest tables: " + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in slowest),
            highlight=False,
            soft_wrap=True,
        )
    records = max(result.records_bytes, 1)
    console.print(
        f"sizes: records {_size(result.records_bytes)}, facts {_size(result.facts_bytes)} "
        f"({result.facts_bytes / records:.2f}× the records), index {_size(result.index_bytes)} "
        f"({result.index_bytes / records:.2f}× the records)",
        highlight=False,
        soft_wrap=True,
    )
    return EXIT_OK


def run_on_spark(args, console: Console, settings: dict[str, str]) -> int:
    """The build on Spark. The session ends with this process (one made by a caller is left running)."""
    if not args.output:
        error("--engine spark writes Parquet datasets: give --output DEST (a directory or a URI)")
        return EXIT_USAGE
    spark = spark_session_for(args)
    if spark is None:
        return EXIT_USAGE
    from linkindex.index import IndexBuildError
    from linkindex.spark.build import build

    try:
        result = build(
            spark, args.data, args.output, quality=settings, log=lambda line: errors.print(line, highlight=False)
        )
    except IndexBuildError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        return interrupted("the tables under --output were not changed; run the build again")
    console.print(
        Text(f"tables → {result.output} in {result.seconds:.1f} s on Spark", style="bold"), soft_wrap=True
    )
    console.print(f"crawls: {', '.join(result.crawls)}", highlight=False, soft_wrap=True)
    table = facts_table(("table", "rows"))
    for name, rows in result.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    return EXIT_OK

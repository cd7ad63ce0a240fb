"""``linkindex extract``: link and page records from WARC/ARC files (here, or queued in Redis)."""

from rich.console import Console
from rich.text import Text

from linkindex.commands.common import (
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    add_crawl_id,
    add_data,
    add_engine,
    add_log_options,
    add_redis,
    check_engine_options,
    command_line,
    connect_redis,
    crawl_id_option,
    error,
    examples,
    interrupted,
    positive_int,
    print_summary,
    redis_option,
    spark_session_for,
)

HELP = "extract link and page records from WARC/ARC files"
DESCRIPTION = """\
Read WARC/ARC files (gzipped or not, globs, or a text file listing paths such
as Common Crawl's warc.paths) and write link and page records as Parquet into
--data. Extracting a file again replaces its records. With --redis, the files
are queued for `linkindex extract-worker`s instead. With --engine spark, each
file is one task on a Spark cluster, its records written by the executor."""
EXAMPLES = examples(
    "linkindex extract 'crawl/*.warc.gz' --data idx --crawl-id cc-2026-11",
    "linkindex build --data idx",
)


def add_arguments(parser):
    parser.add_argument(
        "inputs", nargs="+", metavar="FILE_OR_GLOB", help="WARC/ARC files, globs, or files listing their paths"
    )
    add_data(parser)
    add_crawl_id(parser)
    parser.add_argument(
        "--workers", type=positive_int, default=None, help="processes (default: one per core, at most one per file)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    add_redis(parser, required=False)
    add_log_options(parser)
    add_engine(
        parser,
        "--workers processes on this machine",
        "one task per file on a Spark cluster (files and --data shared by the executors)",
    )


def queue_files(args, console: Console) -> int:
    from linkindex.cluster import enqueue_files
    from linkindex.warc import WarcReadError, expand_inputs

    try:
        paths = expand_inputs(args.inputs)
    except WarcReadError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    server = connect_redis(args)
    if server is None:
        return EXIT_USAGE
    added = enqueue_files(server, args.crawl_id, paths)
    console.print(
        f"crawl {args.crawl_id}: {added} WARC file(s) queued ({len(paths) - added} already queued)",
        highlight=False,
        soft_wrap=True,
    )
    worker = command_line(
        "linkindex", "extract-worker", *redis_option(args), "--data", args.data, *crawl_id_option(args.crawl_id)
    )
    console.print(
        f"next, on each machine that sees these paths: {worker}", highlight=False, markup=False, soft_wrap=True
    )
    return EXIT_OK


def run(args, console: Console) -> int:
    from linkindex.extract import run_extract
    from linkindex.logs import LogOptions
    from linkindex.logs import install as install_log
    from linkindex.warc import WarcReadError
    from pipelines.parquet import OutputError

    hint = "Spark runs one task per file on its executors (--master, --conf spark.executor.instances=N)"
    if not check_engine_options(args, ["--workers", "--redis"], hint):
        return EXIT_USAGE
    if args.engine == "spark":
        return run_on_spark(args, console)
    if args.redis:
        return queue_files(args, console)
    install_log(LogOptions.from_args(args))
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
    except KeyboardInterrupt:
        again = command_line("linkindex", "extract", *args.inputs, "--data", args.data, *crawl_id_option(args.crawl_id))
        return interrupted(
            f"the files finished are recorded, the others left no records; run `{again}` to extract them all "
            "(a file extracted again replaces its records)"
        )
    print_summary(console, totals, title=f"extract → {args.data} (crawl {args.crawl_id})")
    failed = [r for r in results if r.error]
    for result in failed:
        console.print(Text.assemble(("file failed:", "yellow"), " ", result.failure), highlight=False, soft_wrap=True)
    return EXIT_PARTIAL if failed else EXIT_OK


def run_on_spark(args, console: Console) -> int:
    """The extract on Spark. The session ends with this process (one made by a caller is left running)."""
    from linkindex.warc import WarcReadError
    from pipelines.parquet import OutputError

    spark = spark_session_for(args)
    if spark is None:
        return EXIT_USAGE
    from linkindex.spark.extract import extract

    try:
        totals, results = extract(spark, args.inputs, args.data, args.crawl_id)
    except (WarcReadError, OutputError) as exc:
        error(f"{exc}")
        return EXIT_USAGE
    print_summary(console, totals, title=f"extract on Spark → {args.data} (crawl {args.crawl_id})")
    failed = [r for r in results if r.error]
    for result in failed:
        console.print(Text.assemble(("file failed:", "yellow"), " ", result.failure), highlight=False, soft_wrap=True)
    return EXIT_PARTIAL if failed else EXIT_OK

"""``linkindex extract-worker``: one extraction worker of a distributed extract."""

import math

from rich.console import Console
from rich.text import Text

from crawler import defaults
from linkindex.commands.common import (
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    add_crawl_id,
    add_data,
    add_log_options,
    add_redis,
    add_worker_options,
    command_line,
    connect_redis,
    crawl_id_option,
    crawls_in_redis,
    examples,
    find_crawl,
    interrupted,
    note,
    print_summary,
    redis_option,
)

HELP = "run one extraction worker of a distributed extract"
DESCRIPTION = """\
Take WARC paths queued by `linkindex extract --redis` and extract them into
--data. Start any number, on machines that see the same paths; a worker exits
when no file has been queued or in flight for --idle-exit seconds. Without
--crawl-id a worker joins the extract running in Redis."""
EXAMPLES = examples(
    "linkindex extract 'cc/*.warc.gz' --redis redis://redis:6379/0 --crawl-id cc",
    "linkindex extract-worker --redis redis://redis:6379/0 --data /shared/idx --crawl-id cc   # on each machine",
)


def add_arguments(parser):
    add_redis(parser)
    add_data(parser)
    add_crawl_id(parser, discover=True)
    add_worker_options(parser)
    add_log_options(parser)


def run(args, console: Console) -> int:
    from linkindex.cluster import list_crawls, run_extract_worker
    from linkindex.logs import LogOptions
    from linkindex.logs import install as install_log
    from pipelines.parquet import worker_id

    install_log(LogOptions.from_args(args))
    server = connect_redis(args)
    if server is None:
        return EXIT_USAGE
    crawl = find_crawl(server, args, "extract")
    if crawl is None:
        return EXIT_USAGE
    args.crawl_id = crawl
    worker = worker_id()
    idle_exit = args.idle_exit if args.idle_exit is not None else defaults.REDIS_IDLE_EXIT
    note(f"extraction worker {worker}: crawl {args.crawl_id} → {args.data}")
    known = next((c for c in list_crawls(server) if c.crawl_id == args.crawl_id), None)
    if known is None or not (known.files_queued or known.files_in_flight):
        queue = command_line("linkindex", "extract", "FILE...", *redis_option(args), *crawl_id_option(args.crawl_id))
        ends = "waits for files" if math.isinf(idle_exit) else f"exits in {idle_exit:g} s unless files arrive"
        note(
            f"crawl {args.crawl_id} has no WARC file queued: this worker {ends} (`{queue}` queues them); "
            f"{crawls_in_redis(server)}"
        )
    failed = []

    def on_file(result):
        line = Text(f"{result.path}: {result.stats['pages/seen']:,} pages, {result.stats['links/extracted']:,} links")
        if result.error:
            line.append(f" ({result.error})", style="yellow")
        console.print(line, highlight=False, soft_wrap=True)
        if result.error:
            failed.append(result.path)

    try:
        totals = run_extract_worker(server, args.crawl_id, args.data, worker, idle_exit=idle_exit, on_file=on_file)
    except KeyboardInterrupt:
        return interrupted("the file being extracted goes back to the queue; start a worker to continue")
    print_summary(console, totals, title=f"extract-worker {worker} → {args.data}")
    return EXIT_PARTIAL if failed else EXIT_OK

"""``linkindex extract-worker``: one extraction worker of a distributed extract."""

from rich.console import Console

from linkindex.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    add_crawl_id,
    add_data,
    add_redis,
    add_worker_options,
    connect_redis,
    print_summary,
)

HELP = "run one extraction worker of a distributed extract"
DESCRIPTION = "Take WARC paths queued by `linkindex extract --redis` and extract them into --data."


def add_arguments(parser):
    add_redis(parser)
    add_data(parser)
    add_crawl_id(parser)
    add_worker_options(parser)


def run(args, console: Console) -> int:
    from crawler import defaults
    from linkindex.cluster import run_extract_worker
    from pipelines.parquet import worker_id

    server = connect_redis(args)
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

"""``linkindex worker``: one crawl worker of a distributed crawl."""

import math
import time

from rich.console import Console

from crawler import defaults
from linkindex.commands.common import (
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
    redis_option,
)
from linkindex.commands.crawl import add_crawler_options, crawl_here

HELP = "run one crawl worker of a distributed crawl"
DESCRIPTION = """\
Take requests from the crawl's shared frontier in Redis, fetch them and write
records into --data (each worker its own files). Start any number, on any
machines; a worker exits when the whole crawl has been idle for --idle-exit
seconds. Without --crawl-id a worker joins the crawl running in Redis, or
waits for the default crawl to be seeded; a stopped crawl resumes where it
stopped when workers start again."""
EXAMPLES = examples(
    "linkindex seed https://www.example.com/ --redis redis://redis:6379/0 --crawl-id c1",
    "linkindex worker --redis redis://redis:6379/0 --data /shared/idx --crawl-id c1   # on each machine",
)


def add_arguments(parser):
    add_redis(parser)
    add_data(parser)
    add_crawl_id(parser, discover=True)
    add_worker_options(parser)
    add_crawler_options(parser)
    add_log_options(parser)


def wait_for_seed(server, args) -> None:
    """Return once the crawl is seeded (its scope, limits and filter come with the seeds), saying what it waits for."""
    from crawler.distributed import CrawlKeys, read_crawl_settings

    keys = CrawlKeys(args.crawl_id)
    if read_crawl_settings(server, keys)["scope"]:
        return
    seed = command_line("linkindex", "seed", *redis_option(args), *crawl_id_option(args.crawl_id), "SEED_URL")
    note(f"waiting for crawl {args.crawl_id} to be seeded: `{seed}...` (Ctrl-C to stop); {crawls_in_redis(server)}")
    while not read_crawl_settings(server, keys)["scope"]:
        time.sleep(1.0)
    note(f"crawl {args.crawl_id} is seeded: starting")


def say_when_idle(server, args) -> None:
    """A crawl with nothing queued and nothing in flight: said at once, with when this worker will give up."""
    from linkindex.cluster import list_crawls

    crawl = next((c for c in list_crawls(server) if c.crawl_id == args.crawl_id), None)
    if crawl is None or crawl.frontier or crawl.in_flight:
        return
    idle = args.idle_exit if args.idle_exit is not None else defaults.REDIS_IDLE_EXIT
    ends = "waits for work" if math.isinf(idle) else f"exits in {idle:g} s unless work arrives"
    seed = command_line("linkindex", "seed", *redis_option(args), *crawl_id_option(args.crawl_id), "SEED_URL")
    note(f"crawl {args.crawl_id} has nothing queued and nothing in flight: this worker {ends} (`{seed}` adds seeds)")


def run(args, console: Console) -> int:
    server = connect_redis(args)
    if server is None:
        return EXIT_USAGE
    crawl = find_crawl(server, args, "crawl")
    if crawl is None:
        return EXIT_USAGE
    args.crawl_id = crawl
    try:
        wait_for_seed(server, args)
    except KeyboardInterrupt:
        return interrupted("no work was taken; start the worker again once the crawl is seeded")
    say_when_idle(server, args)
    return crawl_here(args, console, [], server)

"""``linkindex seed``: put seeds, scope and limits of a distributed crawl into Redis."""

from rich.console import Console

from crawler import defaults
from linkindex.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    add_crawl_id,
    add_limits,
    add_redis,
    command_line,
    connect_redis,
    crawl_id_option,
    examples,
    positive_int,
    probability,
    redis_option,
)
from linkindex.commands.crawl import add_seed_options, read_seed_args, seed

HELP = "put seeds, scope and limits of a distributed crawl into Redis"
DESCRIPTION = """\
Add seed URLs to a distributed crawl: their registered domains join the scope,
the seeds go through the shared duplicate filter into the frontier. Then start
`linkindex worker`s; seeding a running crawl widens its scope."""
EXAMPLES = examples(
    "linkindex seed https://www.example.com/ --redis redis://redis:6379/0 --crawl-id c1 --max-depth 5",
    "linkindex worker --redis redis://redis:6379/0 --data /shared/idx --crawl-id c1   # then, on each machine",
)


def add_arguments(parser):
    add_seed_options(parser)
    add_redis(parser)
    add_crawl_id(parser)
    add_limits(parser)
    parser.add_argument(
        "--dupefilter",
        choices=("set", "bloom"),
        help="duplicate filter, fixed by the first seed of a crawl: an exact Redis set (default), "
        "or a Bloom filter for very large crawls (see docs/distributed.md)",
    )
    parser.add_argument(
        "--bloom-capacity", type=positive_int, default=defaults.BLOOM_CAPACITY, metavar="N",
        help="URLs the Bloom filter is sized for",
    )  # fmt: skip
    parser.add_argument(
        "--bloom-error-rate", type=probability, default=defaults.BLOOM_ERROR_RATE, metavar="P",
        help="the Bloom filter's false-positive rate at capacity",
    )  # fmt: skip


def run(args, console: Console) -> int:
    seeds = read_seed_args(args)
    if seeds is None:
        return EXIT_USAGE
    server = connect_redis(args)
    if server is None:
        return EXIT_USAGE
    if not seed(args, console, server, seeds):
        return EXIT_USAGE
    worker = command_line("linkindex", "worker", *redis_option(args), "--data", "DIR", *crawl_id_option(args.crawl_id))
    console.print(
        f"next, on each machine (DIR shared by the workers): {worker}", highlight=False, markup=False, soft_wrap=True
    )
    return EXIT_OK

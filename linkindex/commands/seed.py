"""``linkindex seed``: put seeds, scope and limits of a distributed crawl into Redis."""

from rich.console import Console

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_crawl_id, add_limits, add_redis, connect_redis
from linkindex.commands.crawl import add_seed_options, read_seed_args, seed

HELP = "put seeds, scope and limits of a distributed crawl into Redis"
DESCRIPTION = (
    "Add seed URLs to a distributed crawl: their registered domains join the scope, "
    "the seeds go through the shared duplicate filter into the frontier."
)


def add_arguments(parser):
    add_seed_options(parser)
    add_redis(parser)
    add_crawl_id(parser)
    add_limits(parser)
    parser.add_argument(
        "--dupefilter",
        choices=("set", "bloom"),
        help="duplicate filter: an exact Redis set (default), or a Bloom filter for very large crawls",
    )
    parser.add_argument("--bloom-capacity", type=int, default=100_000_000, help="URLs the Bloom filter is sized for")
    parser.add_argument("--bloom-error-rate", type=float, default=0.001, help="its false-positive rate at capacity")


def run(args, console: Console) -> int:
    seeds = read_seed_args(args)
    if seeds is None:
        return EXIT_USAGE
    server = connect_redis(args)
    if server is None:
        return EXIT_USAGE
    return EXIT_OK if seed(args, console, server, seeds) else EXIT_USAGE

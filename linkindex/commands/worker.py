"""``linkindex worker``: one crawl worker of a distributed crawl."""

from rich.console import Console

from linkindex.commands.common import EXIT_USAGE, add_crawl_id, add_data, add_redis, add_worker_options, connect_redis
from linkindex.commands.crawl import add_crawler_options, run_crawl

HELP = "run one crawl worker of a distributed crawl"
DESCRIPTION = (
    "Take requests from the crawl's shared frontier in Redis, fetch them and write "
    "records into --data (each worker its own files). Start any number, on any machines; "
    "a worker exits when the whole crawl has been idle for --idle-exit seconds."
)


def add_arguments(parser):
    add_redis(parser)
    add_data(parser)
    add_crawl_id(parser)
    add_worker_options(parser)
    add_crawler_options(parser)


def run(args, console: Console) -> int:
    server = connect_redis(args)
    if server is None:
        return EXIT_USAGE
    return run_crawl(args, console, [], server)

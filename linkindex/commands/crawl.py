"""``linkindex crawl``: crawl seed domains and record every link (alone, or through Redis)."""

import time

from rich.console import Console

from linkindex.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    add_crawl_id,
    add_data,
    add_limits,
    add_redis,
    add_worker_options,
    connect_redis,
    error,
    errors,
    print_summary,
)

HELP = "crawl seed domains and record every link"
DESCRIPTION = (
    "Crawl the registered domains of the seeds (subdomains included), politely, "
    "and write link and page records as Parquet. Links leaving the seeds' domains are "
    "recorded, never fetched."
)


def add_crawler_options(parser):
    """Options of every process that fetches pages: ``crawl`` and ``worker``."""
    parser.add_argument("--warc", action="store_true", help="archive every response as WARC in DIR/warc/")
    parser.add_argument(
        "--allow-private-networks",
        action="store_true",
        help="allow loopback, private and link-local destinations (refused by default)",
    )
    parser.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a Scrapy or linkindex setting, as scrapy crawl -s does (repeatable)",
    )


def add_seed_options(parser):
    parser.add_argument("seeds", nargs="*", metavar="SEED_URL")
    parser.add_argument("--seeds-file", metavar="FILE", help="seed URLs, one a line (# starts a comment)")


def add_arguments(parser):
    add_seed_options(parser)
    add_data(parser)
    add_crawl_id(parser)
    add_limits(parser)
    add_redis(parser, required=False)
    add_worker_options(parser)
    add_crawler_options(parser)


def seed(args, console: Console, server, seeds) -> bool:
    """Put ``seeds`` into the crawl in Redis; True when any seed is (or was already) queued."""
    from linkindex.cluster import seed_crawl

    result = seed_crawl(
        server,
        args.crawl_id,
        seeds,
        max_depth=args.max_depth,
        max_pages_per_domain=args.max_pages_per_domain,
        dupefilter=getattr(args, "dupefilter", None),
        bloom_capacity=getattr(args, "bloom_capacity", 100_000_000),
        bloom_error_rate=getattr(args, "bloom_error_rate", 0.001),
    )
    console.print(
        f"crawl {args.crawl_id}: {len(result.queued)} seed(s) queued, "
        f"{len(result.already_seen)} already seen; scope: {', '.join(result.scope) or '(none)'}"
    )
    for invalid in result.invalid:
        console.print(f"[yellow]not an http(s) URL, ignored:[/] {invalid}")
    return bool(result.queued or result.already_seen)


def read_seed_args(args):
    """The seeds of SEED_URL arguments and --seeds-file, or None (the reason printed)."""
    from crawler.spiders.links import read_seeds

    try:
        seeds = read_seeds(args.seeds, args.seeds_file)
    except OSError as exc:
        error(f"{exc}")
        return None
    if not seeds:
        error("no seed URLs: give SEED_URL arguments or --seeds-file")
        return None
    return seeds


def run_crawl(args, console: Console, seeds, server=None) -> int:
    """Crawl in this process: ``seeds`` alone, or as a worker of the crawl in Redis (``server``)."""
    from crawler.distributed import CrawlKeys, read_crawl_settings
    from linkindex.crawl import SettingError, crawl_settings, parse_overrides, run_crawl
    from pipelines.parquet import is_object_store, worker_id

    try:
        overrides = parse_overrides(args.settings)
    except SettingError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    distributed = None
    if server is not None:
        stored = read_crawl_settings(server, CrawlKeys(args.crawl_id))
        if not stored["scope"]:
            # The scope, limits and kind of duplicate filter come with the
            # seeds: a worker started first waits for them.
            errors.print(f"waiting for `linkindex seed --crawl-id {args.crawl_id}` (Ctrl-C to stop)")
            while not stored["scope"]:
                time.sleep(1.0)
                stored = read_crawl_settings(server, CrawlKeys(args.crawl_id))
        distributed = {
            "redis_url": args.redis,
            "worker_id": worker_id(),
            "idle_exit": args.idle_exit,
            **stored,
        }
    settings = crawl_settings(
        args.data,
        args.crawl_id,
        max_depth=getattr(args, "max_depth", None),
        max_pages_per_domain=getattr(args, "max_pages_per_domain", None),
        warc=args.warc,
        allow_private_networks=args.allow_private_networks,
        overrides=overrides,
        distributed=distributed,
    )
    if args.warc and is_object_store(args.data):
        error("--warc writes to a local or mounted --data; not to an object store")
        return EXIT_USAGE
    if server is not None and not settings.getbool("LINKS_PARQUET_ENABLED", True):
        error(
            "a distributed worker releases a request when its records are written: "
            "LINKS_PARQUET_ENABLED cannot be off"
        )
        return EXIT_USAGE
    stats = run_crawl(seeds, None, settings)
    elapsed = stats.get("elapsed_time_seconds")
    if elapsed:
        stats["seconds"] = elapsed
    print_summary(console, stats, title=f"crawl → {args.data} (crawl {args.crawl_id})")
    if server is None and stats.get("seeds/valid", 0) == 0:
        return EXIT_USAGE
    return EXIT_OK


def run(args, console: Console) -> int:
    seeds = read_seed_args(args)
    if seeds is None:
        return EXIT_USAGE
    if not args.redis:
        return run_crawl(args, console, seeds)
    server = connect_redis(args)
    if server is None or not seed(args, console, server, seeds):
        return EXIT_USAGE
    return run_crawl(args, console, [], server)

"""``linkindex crawl``: crawl seed domains and record every link (alone, or through Redis)."""

from rich.console import Console

from crawler import defaults
from linkindex.commands.common import (
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    add_crawl_id,
    add_data,
    add_limits,
    add_log_options,
    add_redis,
    add_worker_options,
    command_line,
    connect_redis,
    crawl_id_option,
    error,
    errors,
    examples,
    failures,
    interrupted,
    note,
    print_summary,
    warning,
)

HELP = "crawl seed domains and record every link"
DESCRIPTION = """\
Crawl the registered domains of the seeds (subdomains included), politely,
and write link and page records as Parquet into --data. Links leaving the
seeds' domains are recorded, never fetched.

Stopped with Ctrl-C, a crawl continues where it stopped when run again with
the same --data and --crawl-id (the seeds may be left out then); --restart
starts it over. With --redis, the crawl is shared with `linkindex worker`s."""
EXAMPLES = examples(
    "linkindex crawl https://www.example.com/ https://example.org/ --data idx --crawl-id 2026-11",
    "linkindex crawl --data idx --crawl-id 2026-11        # after Ctrl-C: continue where it stopped",
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
        help="set a Scrapy or linkindex setting, as scrapy crawl -s does (repeatable; see docs/crawling.md)",
    )


def add_seed_options(parser):
    parser.add_argument(
        "seeds", nargs="*", metavar="SEED_URL", help="where to start; the seeds' registered domains are the scope"
    )
    parser.add_argument("--seeds-file", metavar="FILE", help="seed URLs, one a line (# starts a comment)")


def add_arguments(parser):
    add_seed_options(parser)
    add_data(parser)
    add_crawl_id(parser)
    add_limits(parser)
    parser.add_argument(
        "--restart",
        action="store_true",
        help="start the crawl over instead of continuing it (records already written stay)",
    )
    add_redis(parser, required=False)
    add_worker_options(parser)
    add_crawler_options(parser)
    add_log_options(parser)


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
        bloom_capacity=getattr(args, "bloom_capacity", defaults.BLOOM_CAPACITY),
        bloom_error_rate=getattr(args, "bloom_error_rate", defaults.BLOOM_ERROR_RATE),
    )
    console.print(
        f"crawl {args.crawl_id}: {len(result.queued)} seed(s) queued, "
        f"{len(result.already_seen)} already seen; scope: {', '.join(result.scope) or '(none)'}",
        highlight=False,
        soft_wrap=True,
    )
    for invalid in result.invalid:
        console.print(f"[yellow]not an http(s) URL, ignored:[/] {invalid}", highlight=False, soft_wrap=True)
    return bool(result.queued or result.already_seen)


def read_seed_args(args, required: bool = True):
    """The seeds of SEED_URL arguments and --seeds-file, or None (the reason printed)."""
    from crawler.spiders.links import read_seeds
    from crawler.urls import parse_web_url

    try:
        seeds = read_seeds(args.seeds, args.seeds_file)
    except UnicodeDecodeError:
        error(f"cannot read the seeds file {args.seeds_file}: it is not UTF-8 text")
        return None
    except OSError as exc:
        error(f"cannot read the seeds file {args.seeds_file}: {(exc.strerror or str(exc)).lower()}")
        return None
    if not seeds and required:
        error("no seed URLs: give SEED_URL arguments or --seeds-file")
        return None
    if seeds and not any(parse_web_url(s if "://" in s else f"http://{s}") for s in seeds):
        error(f"no http(s) URL among the seeds: {', '.join(seeds)}")
        return None
    return seeds


def crawl_here(args, console: Console, seeds, server=None, job=None) -> int:
    """Crawl in this process: ``seeds`` alone (continuing ``job``), or as a worker of the crawl in Redis."""
    from crawler.distributed import CrawlKeys, read_crawl_settings
    from linkindex.crawl import SettingError, crawl_settings, parse_overrides, run_crawl
    from linkindex.logs import LogOptions
    from pipelines.parquet import is_object_store, worker_id

    try:
        overrides = parse_overrides(args.settings)
    except SettingError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    distributed = None
    if server is not None:
        distributed = {
            "redis_url": args.redis,
            "worker_id": worker_id(),
            "idle_exit": args.idle_exit,
            **read_crawl_settings(server, CrawlKeys(args.crawl_id)),
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
        jobdir=job.jobdir if job is not None else None,
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
    result = run_crawl(seeds, None, settings, log=LogOptions.from_args(args, overrides))
    stats = result.stats
    if stats.get("elapsed_time_seconds"):
        stats["seconds"] = stats["elapsed_time_seconds"]
    print_summary(console, stats, title=f"crawl {args.crawl_id} → {args.data}")

    if result.finish_reason not in (None, "shutdown"):
        outcome = "finished"
    elif result.finish_reason == "shutdown":
        outcome = "stopped"  # Ctrl-C or SIGTERM: Scrapy saved the queue
    else:
        outcome = "killed"  # a second Ctrl-C: nothing saved
    if job is not None:
        before = (job.load() or {}).get("pages", 0)
        # A run that did not stop cleanly stays "running": the next one knows its queue is lost.
        job.save(pages=before + stats.get("pages/seen", 0), **({} if outcome == "killed" else {"status": outcome}))
    if outcome != "finished":
        if server is not None:
            return interrupted("this worker's requests go back to the frontier; start a worker to continue")
        again = command_line("linkindex", "crawl", "--data", args.data, *crawl_id_option(args.crawl_id))
        if job is None:
            return interrupted(f"run `{again} SEED_URL...` to crawl again")
        if outcome == "killed":
            return interrupted(f"stopped before its queue was saved: `{again}` starts it over from the seeds")
        return interrupted(f"run `{again}` to continue where it stopped, with --restart to start over")

    seed_count = stats.get("seeds/valid", 0)
    if server is None and seed_count and len(result.seed_failures) >= seed_count and result.pages_fetched == 0:
        error("no seed could be fetched:")
        for url, why in sorted(result.seed_failures.items()):
            errors_line(f"  {url}: {why}")
        return EXIT_PARTIAL
    if result.seed_failures:
        # Said when each failed; said again here, where it cannot be missed.
        warning(f"{len(result.seed_failures)} seed(s) could not be fetched:")
        for url, why in sorted(result.seed_failures.items()):
            errors_line(f"  {url}: {why}")
    count = failures(stats)
    if count:
        note(f"{count:,} page(s) could not be fetched: see the summary")
        return EXIT_PARTIAL
    return EXIT_OK


def errors_line(text: str) -> None:
    errors.print(text, soft_wrap=True, highlight=False, markup=False)


def run(args, console: Console) -> int:
    if args.redis:
        if args.restart:
            error("--restart is for a crawl on this machine; a crawl over Redis keeps its state in Redis")
            return EXIT_USAGE
        seeds = read_seed_args(args)
        if seeds is None:
            return EXIT_USAGE
        server = connect_redis(args)
        if server is None or not seed(args, console, server, seeds):
            return EXIT_USAGE
        return crawl_here(args, console, [], server)
    return crawl_alone(args, console)


def crawl_alone(args, console: Console) -> int:
    """A crawl on this machine, continuing the one stopped in --data under --crawl-id, if any."""
    from linkindex.crawl import CrawlJob, JobError
    from pipelines.parquet import is_object_store

    if is_object_store(args.data) or any(pair.split("=", 1)[0].strip() == "JOBDIR" for pair in args.settings):
        # The job directory needs a local filesystem (the records do not); and
        # one set with -s JOBDIR=PATH (or turned off with -s JOBDIR=) is Scrapy's alone.
        seeds = read_seed_args(args)
        return EXIT_USAGE if seeds is None else crawl_here(args, console, seeds)
    job = CrawlJob(args.data, args.crawl_id)
    seeds = read_seed_args(args, required=False)
    if seeds is None:
        return EXIT_USAGE
    try:
        job.lock()
    except JobError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    try:
        state = job.load()
        stored = state.get("seeds", []) if state else []
        if args.restart and state is not None:
            job.clear()
            state = None
            note(f"starting crawl {args.crawl_id} over (its records so far stay in {args.data})")
        if not seeds and not stored:
            error("no seed URLs: give SEED_URL arguments or --seeds-file")
            return EXIT_USAGE
        new_seeds = [s for s in seeds if s not in stored]
        if state is not None:
            if state.get("status") == "running":
                warning(
                    f"the last run of crawl {args.crawl_id} was killed before it could save its queue: "
                    "starting over from the seeds (its records stay)"
                )
                job.forget_queue()
                state = job.save(pages=0)
            elif state.get("status") == "finished" and not new_seeds:
                note(
                    f"crawl {args.crawl_id} is finished ({state.get('pages', 0):,} pages fetched): nothing to "
                    "continue. --restart crawls it again; another --crawl-id starts a new crawl."
                )
                return EXIT_OK
            else:
                note(f"resuming crawl {args.crawl_id}: {state.get('pages', 0):,} pages already fetched")
                if state.get("status") == "finished":
                    note(f"new seeds: {', '.join(new_seeds)}")
        job.save(seeds=stored + new_seeds, status="running")
        return crawl_here(args, console, stored + new_seeds, job=job)
    finally:
        job.unlock()

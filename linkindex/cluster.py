"""The cluster side of linkindex: seeding a shared crawl, its status, and
distributed extraction of WARC files, all through Redis.

The crawl workers themselves are the ``links`` spider with the components
of ``crawler.distributed``; this module holds what runs outside Scrapy.
"""

from collections import Counter
from dataclasses import dataclass, field
import json
import logging
import os
import pickle
import threading
import time

import scrapy

from crawler import defaults
from crawler.bloom import BloomFilter, bloom_key
from crawler.distributed import (
    HEARTBEAT,
    OUTSTANDING,
    POP_LEASE,
    PUSH,
    REAP,
    REQUEUE_OWN,
    CrawlKeys,
    SeenFilter,
    read_crawl_settings,
)
from crawler.spiders.links import LinksSpider
from crawler.urls import host_domain, parse_web_url

logger = logging.getLogger(__name__)


@dataclass
class SeedResult:
    queued: list[str] = field(default_factory=list)
    already_seen: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)
    scope: list[str] = field(default_factory=list)


def seed_crawl(
    server,
    crawl_id: str,
    seeds: list[str],
    max_depth: int | None = None,
    max_pages_per_domain: int | None = None,
    dupefilter: str | None = None,
    bloom_capacity: int = defaults.BLOOM_CAPACITY,
    bloom_error_rate: float = defaults.BLOOM_ERROR_RATE,
) -> SeedResult:
    """Add seeds to a crawl: widen its scope, store its limits, queue the seeds.

    Seeds go through the crawl's duplicate filter like any request, so a
    seed also linked from a page is fetched once, and seeding twice is
    harmless.
    """
    keys = CrawlKeys(crawl_id)
    result = SeedResult()
    spider = LinksSpider()
    requests = []
    for seed in seeds:
        parsed = parse_web_url(seed if "://" in seed else f"http://{seed}")
        if parsed is None:
            result.invalid.append(seed)
            continue
        requests.append(
            scrapy.Request(parsed[0], callback=spider.parse, errback=spider.on_error, meta={"depth": 0})
        )
    stored = read_crawl_settings(server, keys)
    scope = set(stored["scope"]) | {host_domain(parse_web_url(r.url)[1]) for r in requests}
    result.scope = sorted(scope)
    settings = {"scope": json.dumps(result.scope)}
    if max_depth is not None or stored["max_depth"] is None:
        settings["max_depth"] = max_depth if max_depth is not None else defaults.DEFAULT_MAX_DEPTH
    if max_pages_per_domain is not None or stored["max_pages_per_domain"] is None:
        settings["max_pages_per_domain"] = (
            max_pages_per_domain if max_pages_per_domain is not None else defaults.DEFAULT_MAX_PAGES_PER_DOMAIN
        )
    # The filter's kind is fixed by the first seed: workers must all use the same.
    dupefilter = stored["dupefilter"] or dupefilter or "set"
    settings["dupefilter"] = dupefilter
    server.hset(keys.settings, mapping=settings)

    seen = SeenFilter(server, key=keys.seen)
    bloom = BloomFilter(server, bloom_key(keys), bloom_capacity, bloom_error_rate) if dupefilter == "bloom" else None
    push = server.register_script(PUSH)
    for request in requests:
        fingerprint = seen.request_fingerprint(request)
        if bloom is not None:
            check = ("bloom", *bloom.locate(bytes.fromhex(fingerprint)))
        else:
            check = ("set", [keys.seen], [fingerprint])
        data = pickle.dumps(request.to_dict(spider=spider), protocol=-1)
        mode, filter_keys, filter_args = check
        queued = push(
            keys=[keys.requests, keys.of_worker("inflight", "seed"), *filter_keys],
            args=[-request.priority, data, "", mode, *filter_args],
        )
        (result.queued if queued else result.already_seen).append(request.url)
    return result


def live_workers(server, workers_key: str, lease_timeout: float) -> list[str]:
    now = float(server.time()[0])
    return [w.decode() for w in server.zrangebyscore(workers_key, now - lease_timeout, "+inf")]


def crawl_status(server, crawl_id: str, lease_timeout: float = defaults.REDIS_LEASE_TIMEOUT, top: int = 10) -> dict:
    """The state of a distributed crawl and of its extraction queue; several of a kind keyed by name.

    ``pages_fetched`` counts pages that answered (any HTTP status),
    ``fetch_errors`` the fetches that failed (DNS, timeouts, ...): each
    worker's counters, summed over every worker the crawl has had.
    ``budget_used`` counts, per registered domain, the requests sent against
    its page budget (in flight included): the top ``top`` domains.
    """
    keys = CrawlKeys(crawl_id)
    outstanding = server.register_script(OUTSTANDING)
    queued, held = outstanding(keys=[keys.requests, keys.workers], args=[keys.of_worker("inflight", "")])
    workers = live_workers(server, keys.workers, lease_timeout)
    info = {k.decode(): json.loads(v) for k, v in server.hgetall(keys.worker_info).items()}
    per_domain = sorted(
        ((k.decode(), int(v)) for k, v in server.hgetall(keys.pages_per_domain).items()),
        key=lambda item: (-item[1], item[0]),
    )
    files_queued, files_held = outstanding(
        keys=[keys.files, keys.extract_workers], args=[keys.of_worker("files_inflight", "")]
    )
    counters = {k.decode(): int(v) for k, v in server.hgetall(keys.stats).items()}
    settings = read_crawl_settings(server, keys)

    def fetched(counts: dict) -> int:
        return counts.get("pages", 0) - counts.get("errors", 0)

    return {
        "crawl_id": crawl_id,
        "seeded": bool(settings["scope"]),
        "scope": settings["scope"],
        "max_depth": settings["max_depth"],
        "max_pages_per_domain": settings["max_pages_per_domain"],
        "dupefilter": settings["dupefilter"],
        "frontier": int(queued),
        "in_flight": int(held),
        # URLs in the exact filter; a Bloom filter cannot count them.
        "seen": server.scard(keys.seen) if settings["dupefilter"] != "bloom" else None,
        "abandoned": int(server.get(keys.abandoned) or 0),
        "pages_fetched": sum(fetched(i) for i in info.values()),
        "fetch_errors": sum(i.get("errors", 0) for i in info.values()),
        "links": sum(i.get("links", 0) for i in info.values()),
        "pages_per_second": round(sum(info[w].get("pages_per_second", 0) for w in workers if w in info), 2),
        "live_workers": {
            worker: {
                "pages_fetched": fetched(info.get(worker, {})),
                "fetch_errors": info.get(worker, {}).get("errors", 0),
                "links": info.get(worker, {}).get("links", 0),
                "pages_per_second": info.get(worker, {}).get("pages_per_second", 0),
            }
            for worker in workers
        },
        "budget_used": dict(per_domain[:top]),
        "extract_files_queued": int(files_queued),
        "extract_files_in_flight": int(files_held),
        "extract_files_done": counters.get("extract/files_done", 0),
        "extract_files_failed": counters.get("extract/files_failed", 0),
        "extract_files_abandoned": int(server.get(keys.files_abandoned) or 0),
        "extract_pages": counters.get("extract/pages", 0),
        "extract_links": counters.get("extract/links", 0),
        "extract_workers": {worker: {} for worker in live_workers(server, keys.extract_workers, lease_timeout)},
    }


@dataclass
class CrawlInRedis:
    """What a worker needs to know of a crawl in Redis to pick it."""

    crawl_id: str
    seeded: bool = False
    frontier: int = 0
    in_flight: int = 0
    workers: int = 0
    files_queued: int = 0
    files_in_flight: int = 0
    extract_workers: int = 0

    def running(self, kind: str) -> bool:
        """Whether there is work, or workers at it: ``kind`` is ``crawl`` or ``extract``."""
        if kind == "extract":
            return bool(self.files_queued or self.files_in_flight or self.extract_workers)
        return self.seeded and bool(self.frontier or self.in_flight or self.workers)

    def describe(self) -> str:
        parts = []
        if self.seeded:
            parts.append(
                f"crawl: {self.frontier:,} queued, {self.in_flight:,} in flight, {self.workers} worker(s)"
                if self.running("crawl")
                else "crawl: finished or not started (nothing queued)"
            )
        if self.files_queued or self.files_in_flight or self.extract_workers:
            parts.append(
                f"WARC files: {self.files_queued:,} queued, {self.files_in_flight:,} in flight, "
                f"{self.extract_workers} worker(s)"
            )
        return f"{self.crawl_id} ({'; '.join(parts) or 'nothing queued'})"


def _crawl_ids(server, key_name: str) -> set[str]:
    """The crawl ids that have a key ``key_name`` (a ``crawler.defaults.REDIS_KEYS`` name)."""
    head, tail = getattr(CrawlKeys("\0"), key_name).split("\0")
    found = set()
    for key in server.scan_iter(match=f"{head}*{tail}", count=1000):
        key = key.decode()
        crawl = key[len(head) : len(key) - len(tail)]
        # "linkindex:*:workers" also matches "linkindex:c1:extract:workers".
        if crawl and ":" not in crawl:
            found.add(crawl)
    return found


def list_crawls(server, lease_timeout: float = defaults.REDIS_LEASE_TIMEOUT) -> list[CrawlInRedis]:
    """Every crawl with keys in Redis (seeded, or with WARC files queued), by id."""
    outstanding = server.register_script(OUTSTANDING)
    ids = _crawl_ids(server, "settings") | _crawl_ids(server, "files") | _crawl_ids(server, "workers")
    ids |= _crawl_ids(server, "extract_workers")
    crawls = []
    for crawl_id in sorted(ids):
        keys = CrawlKeys(crawl_id)
        queued, held = outstanding(keys=[keys.requests, keys.workers], args=[keys.of_worker("inflight", "")])
        files, files_held = outstanding(
            keys=[keys.files, keys.extract_workers], args=[keys.of_worker("files_inflight", "")]
        )
        crawls.append(
            CrawlInRedis(
                crawl_id,
                seeded=bool(read_crawl_settings(server, keys)["scope"]),
                frontier=int(queued),
                in_flight=int(held),
                workers=len(live_workers(server, keys.workers, lease_timeout)),
                files_queued=int(files),
                files_in_flight=int(files_held),
                extract_workers=len(live_workers(server, keys.extract_workers, lease_timeout)),
            )
        )
    return crawls


def enqueue_files(server, crawl_id: str, paths: list[str]) -> int:
    """Queue WARC files for the extraction workers; returns how many were new."""
    keys = CrawlKeys(crawl_id)
    added = 0
    for path in paths:
        added += server.zadd(keys.files, {os.path.abspath(path): 0}, nx=True)
    return added


class _Heartbeat(threading.Thread):
    """Beats for an extraction worker while it is busy with a long file."""

    def __init__(self, beat, interval: float):
        super().__init__(daemon=True)
        self.beat = beat
        self.interval = interval
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.interval):
            try:
                self.beat()
            except Exception as exc:  # a Redis outage: the next beat retries
                logger.error("heartbeat: %s", exc)


def run_extract_worker(
    server,
    crawl_id: str,
    data_dir,
    worker: str,
    idle_exit: float = defaults.REDIS_IDLE_EXIT,
    lease_timeout: float = defaults.REDIS_LEASE_TIMEOUT,
    heartbeat_interval: float = defaults.REDIS_HEARTBEAT_INTERVAL,
    poll_interval: float = defaults.REDIS_IDLE_POLL_INTERVAL,
    on_file=None,
) -> Counter:
    """Take WARC files from the crawl's queue and extract them until the queue
    and every worker's in-flight files have been empty for ``idle_exit`` s.

    A file is leased while it is extracted and released once its Parquet
    parts are complete; the files of a worker that stops beating go back to
    the queue, and re-extracting a file replaces its parts.
    """
    from linkindex.extract import extract_file

    keys = CrawlKeys(crawl_id)
    inflight = keys.of_worker("files_inflight", worker)
    heartbeat = server.register_script(HEARTBEAT)
    reap = server.register_script(REAP)
    pop = server.register_script(POP_LEASE)
    outstanding = server.register_script(OUTSTANDING)

    def beat():
        heartbeat(keys=[keys.extract_workers], args=[worker])
        reap(
            keys=[keys.extract_workers, keys.files, keys.files_requeues, keys.files_abandoned],
            args=[lease_timeout, keys.of_worker("files_inflight", ""), defaults.REDIS_MAX_REQUEUES],
        )

    totals = Counter()
    beat()
    beater = _Heartbeat(beat, heartbeat_interval)
    beater.start()
    idle_since = None
    try:
        while True:
            leased = pop(keys=[keys.files, inflight, keys.lease_seq, keys.extract_workers], args=[worker])
            if not leased:
                queued, held = outstanding(
                    keys=[keys.files, keys.extract_workers], args=[keys.of_worker("files_inflight", "")]
                )
                if int(queued) or int(held):
                    idle_since = None
                else:
                    idle_since = idle_since or time.monotonic()
                    if time.monotonic() - idle_since >= idle_exit:
                        break
                time.sleep(poll_interval)
                continue
            idle_since = None
            lease, path = (x.decode() for x in leased)
            result = extract_file(path, data_dir, crawl_id)
            totals.update(result.stats)
            if result.error:
                logger.error("%s: %s", path, result.error)
            server.hdel(inflight, lease)
            server.hincrby(keys.stats, "extract/files_failed" if result.error else "extract/files_done", 1)
            server.hincrby(keys.stats, "extract/pages", result.stats.get("pages/seen", 0))
            server.hincrby(keys.stats, "extract/links", result.stats.get("links/extracted", 0))
            if on_file is not None:
                on_file(result)
    finally:
        beater.stopped.set()
        # Stopped early (Ctrl-C): hand back the file being extracted.
        server.register_script(REQUEUE_OWN)(
            keys=[inflight, keys.files, keys.files_requeues, keys.files_abandoned], args=[defaults.REDIS_MAX_REQUEUES]
        )
        server.zrem(keys.extract_workers, worker)
    return totals


"""Distributed crawling over Redis: the adaptation of scrapy-redis, in one place.

scrapy-redis provides the scheduler, the shared priority queue (the
frontier) and the duplicate filter. Under current Scrapy it needs these
corrections, each kept here and each pinned by a test in
``tests/test_scrapy_redis_adapter.py`` that fails if upstream changes:

1. Its spiders read seeds only through the idle signal (``start_requests``
   is gone from Scrapy): seeds are pushed by ``linkindex seed`` instead,
   through the duplicate filter (upstream marks them ``dont_filter``, so a
   seed that is also linked from a page was fetched twice).
2. With ``SCHEDULER_PERSIST=False`` the first worker to close wiped the
   *shared* queue and filter, and ``RFPDupeFilter.close`` clears the shared
   set: ``DistributedScheduler.close`` and ``SeenFilter.close`` never clear.
3. A popped request was gone from Redis: a worker killed mid-request lost
   it. ``LeasedPriorityQueue.pop`` moves the request, atomically, into the
   worker's in-flight hash; it is released only once the page's records are
   durably written (``records_flushed``), and the requests of a worker whose
   heartbeat stops are put back into the frontier by the other workers.
4. Idle workers looked at Redis every 5 s and ``MAX_IDLE_TIME_BEFORE_CLOSE``
   counted from process start: ``ClusterWorker`` polls every
   ``LINKINDEX_REDIS_IDLE_POLL_INTERVAL`` and exits only when the whole
   cluster (frontier and every worker's in-flight requests) has been empty
   for ``LINKINDEX_REDIS_IDLE_EXIT`` seconds.
5. Its scheduler passes the deprecated ``spider=`` to the stats collector;
   its ``RedisPipeline`` and ``RedisStatsCollector`` are not used.

Every key of a crawl is named by ``crawler.defaults.REDIS_KEYS``.
"""

from dataclasses import dataclass
import json
import logging
import time
from urllib.parse import urlsplit, urlunsplit

import redis
from redis.backoff import ExponentialBackoff
from redis.retry import Retry
from scrapy import signals
from scrapy.core.engine import ExecutionEngine
from scrapy.exceptions import DontCloseSpider, NotConfigured
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as RedisScheduler
from twisted.internet import task

from crawler import defaults
from crawler import signals as linkindex_signals
from crawler.extensions import PageRate

logger = logging.getLogger(__name__)


class RedisUnavailable(Exception):
    """Redis cannot be reached or refused us; the message says where and why."""


def redacted(url: str) -> str:
    """A Redis URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password:
        user = parts.username or ""
        netloc = f"{user}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
        return urlunsplit(parts._replace(netloc=netloc))
    return url


def connect(url: str, retry_seconds: float = defaults.REDIS_RETRY_SECONDS) -> redis.Redis:
    """A client for ``url`` (redis:// or rediss://, with user and password),
    retrying commands with exponential backoff for about ``retry_seconds``.

    Fails fast, with ``RedisUnavailable``, if Redis does not answer now.
    """
    # Backoff doubles from 50 ms up to 5 s a wait: as many retries as fit
    # in retry_seconds.
    retries, waited, wait = 0, 0.0, 0.05
    while waited + wait <= retry_seconds:
        waited += wait
        retries += 1
        wait = min(wait * 2, 5.0)
    retries = max(1, retries)
    try:
        client = redis.Redis.from_url(
            url,
            socket_connect_timeout=5,
            socket_timeout=30,
            health_check_interval=15,
            retry=Retry(ExponentialBackoff(cap=5.0, base=0.05), retries),
            retry_on_error=[redis.ConnectionError, redis.TimeoutError],
        )
    except ValueError as exc:
        raise RedisUnavailable(f"bad Redis URL {redacted(url)}: {exc}") from exc
    probe = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=5)
    try:
        probe.ping()
    except redis.AuthenticationError as exc:
        raise RedisUnavailable(f"Redis at {redacted(url)} refused the credentials: {exc}") from exc
    except redis.RedisError as exc:
        raise RedisUnavailable(f"cannot reach Redis at {redacted(url)}: {exc}") from exc
    finally:
        probe.close()
    return client


def crawler_redis(crawler) -> redis.Redis:
    """The crawl's Redis client, shared by all components of one crawler."""
    server = getattr(crawler, "linkindex_redis", None)
    if server is None:
        settings = crawler.settings
        server = connect(
            settings.get("LINKINDEX_REDIS_URL"),
            settings.getfloat("LINKINDEX_REDIS_RETRY_SECONDS", defaults.REDIS_RETRY_SECONDS),
        )
        crawler.linkindex_redis = server
    return server


def crawl_keys(settings) -> "CrawlKeys":
    return CrawlKeys(settings.get("LINKINDEX_CRAWL_ID") or defaults.DEFAULT_CRAWL_ID)


@dataclass(frozen=True)
class CrawlKeys:
    """The Redis key names of one crawl (templates in ``crawler.defaults.REDIS_KEYS``)."""

    crawl_id: str

    @property
    def prefix(self) -> str:
        return defaults.REDIS_KEY_PREFIX % {"crawl": self.crawl_id}

    def __getattr__(self, name):
        try:
            template = defaults.REDIS_KEYS[name]
        except KeyError:
            raise AttributeError(name) from None
        return template % {"prefix": self.prefix, "worker": ""}

    def of_worker(self, name: str, worker: str) -> str:
        return defaults.REDIS_KEYS[name] % {"prefix": self.prefix, "worker": worker}


# Pop the best request and lease it to a worker, atomically: it is never
# out of Redis. The in-flight value keeps the score, to requeue it as it was.
POP_LEASE = """
local popped = redis.call('ZPOPMIN', KEYS[1])
if #popped == 0 then return false end
-- A worker that holds leases must be known, or nobody would recover them.
if not redis.call('ZSCORE', KEYS[4], ARGV[1]) then
  local t = redis.call('TIME')
  redis.call('ZADD', KEYS[4], tonumber(t[1]) + tonumber(t[2]) / 1000000, ARGV[1])
end
local id = ARGV[1] .. '/' .. redis.call('INCR', KEYS[3])
redis.call('HSET', KEYS[2], id, popped[2] .. '\\n' .. popped[1])
return {id, popped[1]}
"""

# Put one in-flight value back into the frontier, unless it has been put
# back `max` times already (a request that kills or stalls every worker that
# takes it): then it is dropped and counted as abandoned.
_REQUEUE_FUNCTION = r"""
local function requeue(queue, attempts, abandoned, value, max)
  local cut = string.find(value, '\n', 1, true)
  local data = string.sub(value, cut + 1)
  local digest = redis.sha1hex(data)
  if redis.call('HINCRBY', attempts, digest, 1) > max then
    redis.call('HDEL', attempts, digest)
    redis.call('INCR', abandoned)
    return 0
  end
  redis.call('ZADD', queue, tonumber(string.sub(value, 1, cut - 1)), data)
  return 1
end
"""

# Put back every request held by workers whose heartbeat is older than the
# lease timeout. KEYS: workers, frontier, requeue attempts (hash), abandoned
# (counter); ARGV: lease timeout, in-flight key prefix (+ worker), max requeues.
REAP = _REQUEUE_FUNCTION + r"""
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
local moved = 0
for _, worker in ipairs(dead) do
  local key = ARGV[2] .. worker
  local entries = redis.call('HGETALL', key)
  for i = 2, #entries, 2 do
    moved = moved + requeue(KEYS[2], KEYS[3], KEYS[4], entries[i], tonumber(ARGV[3]))
  end
  redis.call('DEL', key)
  redis.call('ZREM', KEYS[1], worker)
end
return {#dead, moved}
"""

# Requeue all of one live worker's leases. KEYS: its in-flight hash,
# frontier, requeue attempts, abandoned; ARGV: max requeues.
REQUEUE_OWN = _REQUEUE_FUNCTION + r"""
local entries = redis.call('HGETALL', KEYS[1])
local moved = 0
for i = 2, #entries, 2 do
  moved = moved + requeue(KEYS[2], KEYS[3], KEYS[4], entries[i], tonumber(ARGV[1]))
  redis.call('HDEL', KEYS[1], entries[i - 1])
end
return moved
"""

# Push a request, atomically with its duplicate check and with giving back
# the lease of the request it replaces (a retry): either all of it happens or
# none, so a Redis failure can never leave a URL marked seen but not queued.
# KEYS: queue, in-flight hash, then the filter's keys; ARGV: score, data,
# lease ('' for none), filter mode ('none', 'set' or 'bloom'), then the
# filter's arguments (a fingerprint, or one bit offset per Bloom key).
PUSH = """
local mode = ARGV[4]
if mode == 'set' then
  if redis.call('SADD', KEYS[3], ARGV[5]) == 0 then return 0 end
elseif mode == 'bloom' then
  local seen = 1
  for i = 3, #KEYS do
    if redis.call('GETBIT', KEYS[i], ARGV[i + 2]) == 0 then seen = 0 end
  end
  if seen == 1 then return 0 end
  for i = 3, #KEYS do redis.call('SETBIT', KEYS[i], ARGV[i + 2], 1) end
end
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
if ARGV[3] ~= '' then redis.call('HDEL', KEYS[2], ARGV[3]) end
return 1
"""

HEARTBEAT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZADD', KEYS[1], now, ARGV[1])
return tostring(now)
"""

# Frontier size and the number of requests held by all registered workers.
OUTSTANDING = """
local queued = redis.call('ZCARD', KEYS[1])
local held = 0
for _, worker in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  held = held + redis.call('HLEN', ARGV[1] .. worker)
end
return {queued, held}
"""

TAKE_BUDGET = """
local count = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if count >= tonumber(ARGV[2]) then return 0 end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
return 1
"""


class LeasedPriorityQueue(PriorityQueue):
    """scrapy-redis's priority queue, with every popped request leased (see 3 above).

    A popped request carries its lease id in ``request.meta["lease_id"]``. A
    request pushed back (a retry) gives its old lease back in the same
    transaction.
    """

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        settings = spider.crawler.settings
        self.keys = crawl_keys(settings)
        self.worker = settings.get("LINKINDEX_WORKER_ID")
        self.inflight_key = self.keys.of_worker("inflight", self.worker)
        self._pop = server.register_script(POP_LEASE)
        self._push = server.register_script(PUSH)

    def push(self, request, duplicate_check=None):
        """Queue ``request``; with ``duplicate_check`` (see ``SeenFilter.check_args``)
        only if the filter has not seen it. Returns whether it was queued."""
        lease = request.meta.pop("lease_id", None)
        # Credentials a proxy middleware added stay out of the shared frontier
        # (the middleware adds them again to the retried request).
        request.headers.pop(b"Proxy-Authorization", None)
        data = self._encode_request(request)
        mode, filter_keys, filter_args = duplicate_check or ("none", [], [])
        try:
            return bool(
                self._push(
                    keys=[self.key, self.inflight_key, *filter_keys],
                    args=[-request.priority, data, lease or "", mode, *filter_args],
                )
            )
        except redis.RedisError:
            if lease is not None:
                request.meta["lease_id"] = lease
            raise

    def pop(self, timeout=0):
        leased = self._pop(
            keys=[self.key, self.inflight_key, self.keys.lease_seq, self.keys.workers], args=[self.worker]
        )
        if not leased:
            return None
        lease, data = leased
        request = self._decode_request(data)
        request.meta["lease_id"] = lease.decode() if isinstance(lease, bytes) else lease
        return request


class SeenFilter(RFPDupeFilter):
    """scrapy-redis's duplicate filter on the crawl's shared set, never cleared on close."""

    @classmethod
    def from_spider(cls, spider):
        settings = spider.crawler.settings
        return cls(
            crawler_redis(spider.crawler),
            key=crawl_keys(settings).seen,
            debug=settings.getbool("DUPEFILTER_DEBUG"),
        )

    def check_args(self, request):
        """The duplicate check that ``LeasedPriorityQueue.push`` runs atomically with the push."""
        return ("set", [self.key], [self.request_fingerprint(request)])

    def close(self, reason=""):
        # Upstream deletes the shared set here: other workers still use it.
        pass


class DistributedScheduler(RedisScheduler):
    """scrapy-redis's scheduler over the crawl's keys, that never clears shared state.

    Settings: ``LINKINDEX_REDIS_URL``, ``LINKINDEX_CRAWL_ID``,
    ``LINKINDEX_DUPEFILTER`` (``set``, or ``bloom`` for ``crawler.bloom``).
    """

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.get("LINKINDEX_REDIS_URL"):
            raise NotConfigured("LINKINDEX_REDIS_URL is not set")
        server = crawler_redis(crawler)
        keys = crawl_keys(settings)
        dupefilter_cls = (
            "crawler.bloom.BloomSeenFilter"
            if settings.get("LINKINDEX_DUPEFILTER", "set") == "bloom"
            else "crawler.distributed.SeenFilter"
        )
        scheduler = cls(
            server=server,
            persist=True,
            queue_key=keys.requests,
            queue_cls="crawler.distributed.LeasedPriorityQueue",
            dupefilter_cls=dupefilter_cls,
        )
        scheduler.stats = crawler.stats
        scheduler.unqueued = []
        # The cluster worker retries pushes Redis refused, at its heartbeat.
        crawler.linkindex_scheduler = scheduler
        return scheduler

    def close(self, reason):
        # Upstream flushes the shared queue and filter unless persisting.
        pass

    def enqueue_request(self, request):
        # The duplicate check and the push are one Redis script: a failure
        # between the two would leave a URL marked seen but never queued.
        check = None if request.dont_filter else self.df.check_args(request)
        try:
            queued = self.queue.push(request, check)
        except redis.RedisError as exc:
            # Redis stayed unreachable past the retries: keep the request
            # here and push it at a later heartbeat. Until then the page that
            # found it keeps its lease, so not even a crash can lose it.
            if not self.unqueued:
                logger.error("Redis refused a push (%s): keeping requests until it is back", exc)
            self.unqueued.append((request, check))
            self.stats.inc_value("redis/push_deferred")
            return True
        if not queued:
            self.df.log(request, self.spider)
            return False
        self.stats.inc_value("scheduler/enqueued/redis")
        return True

    def push_unqueued(self) -> int:
        """Push the requests Redis refused earlier; return how many are still waiting."""
        while self.unqueued:
            request, check = self.unqueued[0]
            try:
                self.queue.push(request, check)
            except redis.RedisError:
                break
            self.unqueued.pop(0)
        return len(self.unqueued)

    def next_request(self):
        request = self.queue.pop()
        if request is not None:
            self.stats.inc_value("scheduler/dequeued/redis")
        return request


class RedisBudget:
    """Per-domain page counters shared by all workers of a crawl."""

    def __init__(self, server, key: str):
        self.key = key
        self._take = server.register_script(TAKE_BUDGET)

    def take(self, domain: str, limit: int) -> bool:
        return bool(self._take(keys=[self.key], args=[domain, limit]))


def read_crawl_settings(server, keys: CrawlKeys) -> dict:
    """The scope and limits ``linkindex seed`` stored for a crawl."""
    raw = server.hgetall(keys.settings)
    decoded = {k.decode(): v.decode() for k, v in raw.items()}
    return {
        "scope": json.loads(decoded.get("scope", "[]")),
        "max_depth": int(decoded["max_depth"]) if "max_depth" in decoded else None,
        "max_pages_per_domain": (
            int(decoded["max_pages_per_domain"]) if "max_pages_per_domain" in decoded else None
        ),
        "dupefilter": decoded.get("dupefilter"),
    }


class ClusterWorker:
    """One worker's part in the cluster: heartbeats, leases, dead-worker recovery, exit.

    - Heartbeat every ``LINKINDEX_REDIS_HEARTBEAT_INTERVAL`` s; at the same
      time, requeue the requests of workers silent for
      ``LINKINDEX_REDIS_LEASE_TIMEOUT`` s.
    - A request's lease is released once the Parquet pipeline has written
      its records (``records_flushed``), or at once if it leaves none
      (``request_finished``), so a killed worker loses nothing: what it had
      not written is fetched again elsewhere.
    - Exit when the frontier is empty and no worker holds a request, for
      ``LINKINDEX_REDIS_IDLE_EXIT`` s.
    """

    def __init__(self, crawler, server, keys: CrawlKeys, worker: str, settings):
        self.crawler = crawler
        self.server = server
        self.keys = keys
        self.worker = worker
        self.heartbeat_interval = settings.getfloat(
            "LINKINDEX_REDIS_HEARTBEAT_INTERVAL", defaults.REDIS_HEARTBEAT_INTERVAL
        )
        self.lease_timeout = settings.getfloat("LINKINDEX_REDIS_LEASE_TIMEOUT", defaults.REDIS_LEASE_TIMEOUT)
        self.idle_exit = settings.getfloat("LINKINDEX_REDIS_IDLE_EXIT", defaults.REDIS_IDLE_EXIT)
        self.max_requeues = settings.getint("LINKINDEX_REDIS_MAX_REQUEUES", defaults.REDIS_MAX_REQUEUES)
        self.inflight_key = keys.of_worker("inflight", worker)
        self.inflight_prefix = keys.of_worker("inflight", "")
        self._heartbeat = server.register_script(HEARTBEAT)
        self._reap = server.register_script(REAP)
        self._requeue = server.register_script(REQUEUE_OWN)
        self._outstanding = server.register_script(OUTSTANDING)
        self.idle_since: float | None = None
        self.held_back: list[str] = []  # leases kept while pushes wait for Redis
        self._loop = None
        self.rate = PageRate()

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        if not settings.get("LINKINDEX_REDIS_URL"):
            raise NotConfigured  # not a distributed crawl: nothing to say
        if not settings.getbool("LINKS_PARQUET_ENABLED", defaults.LINKS_PARQUET_ENABLED):
            # A lease is released when the page's records are written: a
            # worker that writes none would fetch the same pages forever.
            raise ValueError("a distributed worker needs the Parquet pipeline: do not set LINKS_PARQUET_ENABLED=False")
        server = crawler_redis(crawler)
        worker = cls(crawler, server, crawl_keys(settings), settings.get("LINKINDEX_WORKER_ID"), settings)
        # Scrapy looks at an idle scheduler every 5 s; a worker should join
        # new work sooner than that. A private class attribute, with no public
        # setting: tests/test_upstream_internals.py fails first if it changes.
        ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = settings.getfloat(
            "LINKINDEX_REDIS_IDLE_POLL_INTERVAL", defaults.REDIS_IDLE_POLL_INTERVAL
        )
        crawler.signals.connect(worker.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(worker.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(worker.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(worker.request_finished, signal=linkindex_signals.request_finished)
        crawler.signals.connect(worker.records_flushed, signal=linkindex_signals.records_flushed)
        crawler.signals.connect(worker.spider_error, signal=signals.spider_error)
        return worker

    def spider_opened(self, spider):
        self.spider = spider
        # A page of a domain this worker does not know yet is a seed added
        # since the last heartbeat: the spider asks for the scope at once.
        spider.refresh_scope = self.refresh_scope
        self.beat()
        self._loop = task.LoopingCall(self.beat)
        self._loop.start(self.heartbeat_interval, now=False)

    @property
    def unqueued(self) -> int:
        scheduler = getattr(self.crawler, "linkindex_scheduler", None)
        return len(scheduler.unqueued) if scheduler is not None else 0

    def beat(self):
        """Heartbeat, recover dead workers' requests, publish counters, refresh the scope."""
        try:
            self._heartbeat(keys=[self.keys.workers], args=[self.worker])
            scheduler = getattr(self.crawler, "linkindex_scheduler", None)
            if scheduler is not None and scheduler.unqueued and not scheduler.push_unqueued():
                logger.info("Redis is back: every deferred request is queued")
                self.release(self.held_back)
                self.held_back = []
            dead, moved = self._reap(
                keys=[self.keys.workers, self.keys.requests, self.keys.requeues, self.keys.abandoned],
                args=[self.lease_timeout, self.inflight_prefix, self.max_requeues],
            )
            if dead:
                logger.warning("%d silent worker(s): %d request(s) back in the frontier", dead, moved)
                self.crawler.stats.inc_value("redis/requests_recovered", moved)
            self.publish()
            self.refresh_scope()
            self.crawler.stats.set_value("redis/frontier", self.outstanding()[0])
        except redis.RedisError as exc:
            logger.error("Redis: %s (retrying at the next heartbeat)", exc)

    def refresh_scope(self):
        """Seeds added to a running crawl widen its scope."""
        try:
            settings = read_crawl_settings(self.server, self.keys)
        except redis.RedisError as exc:
            logger.error("Redis: cannot read the crawl's scope (%s); keeping the one known", exc)
            return
        if hasattr(self.spider, "scope"):
            self.spider.scope = self.spider.scope | frozenset(settings["scope"])

    def publish(self):
        stats = self.crawler.stats
        pages, rate, errors = self.rate.sample(stats)
        info = {
            "pages": pages,
            "links": stats.get_value("links/extracted", 0),
            "errors": errors,
            "pages_per_second": round(rate, 2),
            "updated": time.time(),
        }
        self.server.hset(self.keys.worker_info, self.worker, json.dumps(info))

    def release(self, leases):
        if leases:
            try:
                self.server.hdel(self.inflight_key, *leases)
            except redis.RedisError as exc:
                # Held leases are given back at the next idle moment or by
                # the reaper: the pages are fetched again, never lost.
                logger.error("Redis: cannot release %d lease(s): %s", len(leases), exc)

    def request_finished(self, request):
        """A request that leaves no records: release its lease now."""
        lease = request.meta.get("lease_id")
        if lease is not None:
            self.records_flushed([lease])

    def spider_error(self, failure, response, spider):
        self.request_finished(response.request)

    def records_flushed(self, leases):
        """The records of these requests are on disk: release their leases,
        unless some of their links are still waiting to be pushed."""
        if self.unqueued:
            self.held_back.extend(leases)
        else:
            self.release(leases)

    def requeue_own(self) -> int:
        return self._requeue(
            keys=[self.inflight_key, self.keys.requests, self.keys.requeues, self.keys.abandoned],
            args=[self.max_requeues],
        )

    def outstanding(self) -> tuple[int, int]:
        queued, held = self._outstanding(keys=[self.keys.requests, self.keys.workers], args=[self.inflight_prefix])
        return int(queued), int(held)

    def spider_idle(self, spider):
        try:
            self._check_idle()
        except redis.RedisError as exc:
            logger.error("Redis: %s (looking again shortly)", exc)
            self.idle_since = None
            raise DontCloseSpider from exc

    def _check_idle(self):
        # Nothing runs here: write what is buffered, release its leases, and
        # give back any lease this worker holds without knowing (a reply
        # lost to a connection failure after Redis popped the request).
        self.crawler.signals.send_catch_log(linkindex_signals.flush_requested)
        if self.unqueued:
            self.idle_since = None
            raise DontCloseSpider
        leftover = self.requeue_own()
        if leftover:
            logger.warning("requeued %d request(s) this worker held but was not working on", leftover)
            self.crawler.stats.inc_value("redis/requests_requeued_idle", leftover)
        queued, held = self.outstanding()
        if queued or held:
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_exit:
            raise DontCloseSpider
        logger.info("frontier empty and nothing in flight for %.0f s: exiting", self.idle_exit)

    def spider_closed(self, spider, reason):
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        if self.unqueued:
            logger.error(
                "%d request(s) could not be queued (Redis unreachable); the pages that found them "
                "keep their leases and will be fetched again",
                self.unqueued,
            )
            return
        try:
            # A worker stopped early (Ctrl-C) hands back what it holds (the
            # pipeline has already written and released what it finished).
            self.requeue_own()
            self.publish()
            self.server.zrem(self.keys.workers, self.worker)
        except redis.RedisError as exc:
            logger.error("Redis at close: %s; the other workers will recover this worker's requests", exc)

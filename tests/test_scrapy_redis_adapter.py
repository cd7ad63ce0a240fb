"""Pins the scrapy-redis behaviours that ``crawler.distributed`` corrects.

Each test first shows what upstream does under the installed Scrapy, then
that the adaptation corrects it. If an upstream test starts failing,
scrapy-redis (or Scrapy) changed: revisit the adaptation.
"""

import warnings

import pytest
from scrapy import Request, Spider
from scrapy.exceptions import ScrapyDeprecationWarning
from scrapy.utils.test import get_crawler
from scrapy_redis.dupefilter import RFPDupeFilter
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler as UpstreamScheduler
from scrapy_redis.spiders import RedisMixin

from crawler.distributed import (
    CrawlKeys,
    DistributedScheduler,
    LeasedPriorityQueue,
    SeenFilter,
)
from crawler.spiders.links import LinksSpider


def make_spider(redis_server, worker="w1"):
    crawler = get_crawler(
        LinksSpider,
        {
            "LINKINDEX_REDIS_URL": redis_server.url,
            "LINKINDEX_CRAWL_ID": "c",
            "LINKINDEX_WORKER_ID": worker,
        },
    )
    spider = LinksSpider.from_crawler(crawler)
    return crawler, spider


def test_upstream_pop_loses_the_request_and_leased_pop_keeps_it(redis_server):
    client = redis_server.client()
    crawler, spider = make_spider(redis_server)
    upstream = PriorityQueue(client, spider, "plain")
    upstream.push(Request("http://a.example/", callback=spider.parse))
    assert upstream.pop() is not None
    assert client.zcard("plain") == 0 and client.keys("*inflight*") == []  # gone if the worker dies now

    keys = CrawlKeys("c")
    queue = LeasedPriorityQueue(client, spider, keys.requests)
    queue.push(Request("http://a.example/", callback=spider.parse))
    request = queue.pop()
    assert request.url == "http://a.example/"
    inflight = keys.of_worker("inflight", "w1")
    assert client.hkeys(inflight) == [request.meta["lease_id"].encode()]
    # A retry pushes the request back and returns its lease in one step.
    queue.push(request.replace(dont_filter=True))
    assert client.hlen(inflight) == 0 and client.zcard(keys.requests) == 1


def test_upstream_close_wipes_shared_state_and_ours_does_not(redis_server):
    client = redis_server.client()
    crawler, spider = make_spider(redis_server)

    upstream = UpstreamScheduler(client, persist=False, queue_key="up:requests", dupefilter_key="up:seen")
    upstream.stats = crawler.stats
    upstream.df = RFPDupeFilter(client, "up:seen")
    upstream.open(spider)
    with pytest.warns(ScrapyDeprecationWarning, match="spider"):
        upstream.enqueue_request(Request("http://a.example/", callback=spider.parse))
    upstream.enqueue_request(Request("http://b.example/", callback=spider.parse))
    upstream.close("finished")
    assert client.exists("up:requests", "up:seen") == 0  # other workers lost their frontier

    ours = DistributedScheduler.from_crawler(crawler)
    ours.open(spider)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecated spider= to the stats
        ours.enqueue_request(Request("http://a.example/", callback=spider.parse))
        ours.enqueue_request(Request("http://b.example/", callback=spider.parse))
        assert ours.next_request().url == "http://a.example/"
    ours.df.close("finished")
    ours.close("finished")
    keys = CrawlKeys("c")
    assert client.zcard(keys.requests) == 1 and client.scard(keys.seen) == 2


def test_upstream_dupefilter_close_clears_the_shared_set_and_ours_keeps_it(redis_server):
    client = redis_server.client()
    crawler, spider = make_spider(redis_server)
    for cls, key in ((RFPDupeFilter, "up:seen"), (SeenFilter, "ours:seen")):
        seen = cls(client, key)
        assert not seen.request_seen(Request("http://a.example/"))
        seen.close("finished")
    assert client.exists("up:seen") == 0, "scrapy-redis's RFPDupeFilter.close no longer clears the set"
    assert client.scard("ours:seen") == 1


def test_upstream_idle_clock_starts_at_import_and_seeds_skip_the_filter():
    # MAX_IDLE_TIME_BEFORE_CLOSE counts from a class attribute set at import.
    assert isinstance(RedisMixin.__dict__["spider_idle_start_time"], int)

    # Upstream seeds are built with dont_filter=True, so a seed that is also
    # linked from a page is fetched twice; `linkindex seed` sends seeds
    # through the filter.
    class Seeded(RedisMixin, Spider):
        name = "seeded"
        redis_encoding = "utf-8"

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert Seeded().make_request_from_data(b'{"url": "http://a.example/"}').dont_filter


def test_upstream_request_encoding_round_trips_what_the_leased_queue_pushes(redis_server):
    # LeasedPriorityQueue pushes and pops through scrapy-redis's private
    # _encode_request/_decode_request: a lease and a callback must survive them.
    crawler, spider = make_spider(redis_server)
    queue = LeasedPriorityQueue(redis_server.client(), spider, CrawlKeys("c").requests)
    request = Request("http://a.example/x", callback=spider.parse, priority=3, meta={"depth": 2})
    decoded = queue._decode_request(queue._encode_request(request))
    assert (decoded.url, decoded.callback, decoded.priority, decoded.meta) == (
        request.url, spider.parse, 3, {"depth": 2}
    ), "scrapy-redis's Base._encode_request/_decode_request changed: crawler/distributed.py LeasedPriorityQueue"


def test_a_request_that_keeps_killing_workers_is_abandoned_after_the_limit(redis_server):
    from crawler.distributed import POP_LEASE, REAP

    client = redis_server.client()
    keys = CrawlKeys("c")
    client.zadd(keys.requests, {b"poison": 0})
    pop, reap = client.register_script(POP_LEASE), client.register_script(REAP)
    for attempt in range(1, 5):
        worker = f"w{attempt}"
        lease, data = pop(keys=[keys.requests, keys.of_worker("inflight", worker), keys.lease_seq, keys.workers], args=[worker])
        assert data == b"poison"
        assert client.zscore(keys.workers, worker) is not None  # popping registers the worker
        client.zadd(keys.workers, {worker: 0})  # ... which then dies
        dead, moved = reap(
            keys=[keys.workers, keys.requests, keys.requeues, keys.abandoned],
            args=[30, keys.of_worker("inflight", ""), 3],
        )
        assert dead == 1
        if attempt <= 3:
            assert (moved, client.zcard(keys.requests)) == (1, 1)
        else:
            assert (moved, client.zcard(keys.requests), int(client.get(keys.abandoned))) == (0, 0, 1)


def test_a_push_redis_refuses_is_kept_and_pushed_when_redis_is_back(redis_server):
    crawler = get_crawler(
        LinksSpider,
        {
            "LINKINDEX_REDIS_URL": redis_server.url,
            "LINKINDEX_CRAWL_ID": "c",
            "LINKINDEX_WORKER_ID": "w1",
            "LINKINDEX_REDIS_RETRY_SECONDS": 0.5,
        },
    )
    spider = LinksSpider.from_crawler(crawler)
    scheduler = DistributedScheduler.from_crawler(crawler)
    scheduler.open(spider)
    redis_server.stop()
    assert scheduler.enqueue_request(Request("http://a.example/", callback=spider.parse))
    assert len(scheduler.unqueued) == 1 and scheduler.push_unqueued() == 1
    redis_server.start()
    assert scheduler.push_unqueued() == 0
    keys = CrawlKeys("c")
    client = redis_server.client()
    assert client.zcard(keys.requests) == 1 and client.scard(keys.seen) == 1

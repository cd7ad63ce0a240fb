"""Extensions of the linkindex crawler: the progress line, the page size limit, the stats file."""

import json
import logging
import os
from pathlib import Path
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured, StopDownload
from twisted.internet import task

from crawler.defaults import DEFAULT_MAX_PAGE_BYTES, PROGRESS_INTERVAL

logger = logging.getLogger(__name__)


class PageRate:
    """Pages fetched, pages/s since the last sample, and failed fetches, from a crawl's stats."""

    def __init__(self):
        self._last = (time.monotonic(), 0)

    def sample(self, stats) -> tuple[int, float, int]:
        pages = stats.get_value("pages/seen", 0)
        now = time.monotonic()
        since, before = self._last
        self._last = (now, pages)
        errors = sum(v for k, v in stats.get_stats().items() if k.startswith("pages/failed/"))
        return pages, (pages - before) / max(now - since, 1e-9), errors


class CrawlProgress:
    """Log a progress line every ``LINKINDEX_PROGRESS_INTERVAL`` seconds (10).

    pages fetched, links extracted, pages/s (over the last interval), queue
    size and errors, read from the crawl's stats.
    """

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self._task = None
        self.rate = PageRate()

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("LINKINDEX_PROGRESS_INTERVAL", PROGRESS_INTERVAL)
        if interval <= 0:
            raise NotConfigured("progress line off")
        extension = cls(crawler, interval)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider):
        self.rate = PageRate()
        self._task = task.LoopingCall(self.log)
        self._task.start(self.interval, now=False)

    def line(self) -> str:
        stats = self.crawler.stats
        pages, rate, errors = self.rate.sample(stats)
        # From the scheduler's own counters: the engine keeps the scheduler private.
        queued = stats.get_value("redis/frontier")  # a distributed worker's shared frontier
        if queued is None:
            queued = stats.get_value("scheduler/enqueued", 0) - stats.get_value("scheduler/dequeued", 0)
        return (
            f"{pages:,} pages, {stats.get_value('links/extracted', 0):,} links, "
            f"{rate:,.1f} pages/s, {queued:,} queued, {errors:,} errors"
        )

    def log(self):
        # Marked as the progress line: shown even when the log is quiet (see linkindex.logs).
        logger.info(self.line(), extra={"linkindex_progress": True})

    def spider_closed(self, spider, reason):
        if self._task is not None and self._task.running:
            self._task.stop()


class PageSizeLimit:
    """Cut off responses over ``LINKINDEX_MAX_PAGE_BYTES`` (10 MB).

    The response still reaches the spider, truncated and flagged
    ``download_stopped``, so the page is recorded with error ``too_large``
    (Scrapy's DOWNLOAD_MAXSIZE would drop it without a trace).
    """

    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes

    @classmethod
    def from_crawler(cls, crawler):
        max_bytes = crawler.settings.getint("LINKINDEX_MAX_PAGE_BYTES", DEFAULT_MAX_PAGE_BYTES)
        if max_bytes <= 0:
            raise NotConfigured("no page size limit")
        extension = cls(max_bytes)
        crawler.signals.connect(extension.headers_received, signal=signals.headers_received)
        crawler.signals.connect(extension.bytes_received, signal=signals.bytes_received)
        return extension

    def headers_received(self, request):
        # A retry carries the meta of the attempt that failed part-way: count
        # each attempt's body from zero.
        request.meta["linkindex_bytes"] = 0

    def bytes_received(self, data, request):
        received = request.meta.get("linkindex_bytes", 0) + len(data)
        request.meta["linkindex_bytes"] = received
        if received > self.max_bytes:
            raise StopDownload(fail=False)


class StatsFile:
    """Write the crawl's final stats as JSON to ``LINKINDEX_STATS_FILE`` (off unless set).

    The numbers of the end-of-run summary, for scripts and tests that run
    ``linkindex crawl`` or ``scrapy crawl links`` as a command. Written under
    a temporary name and renamed, so the file is complete or absent.
    """

    def __init__(self, crawler, path):
        self.crawler = crawler
        self.path = Path(path)

    @classmethod
    def from_crawler(cls, crawler):
        path = crawler.settings.get("LINKINDEX_STATS_FILE")
        if not path:
            # Off is the normal case: no message, which Scrapy would log as a warning.
            raise NotConfigured
        extension = cls(crawler, path)
        # Connected after CoreStats (an earlier extension), so elapsed time and
        # finish reason are in; pipelines have closed and set theirs too.
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_closed(self, spider, reason):
        stats = dict(self.crawler.stats.get_stats())
        stats.setdefault("finish_reason", reason)
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(json.dumps(stats, indent=1, sort_keys=True, default=str))
        os.replace(temporary, self.path)

"""Extensions of the linkindex crawler: the progress line and the page size limit."""

import logging
import time

from scrapy import signals
from scrapy.exceptions import NotConfigured, StopDownload
from twisted.internet import task

from crawler.defaults import DEFAULT_MAX_PAGE_BYTES, PROGRESS_INTERVAL

logger = logging.getLogger(__name__)


class CrawlProgress:
    """Log a progress line every ``LINKINDEX_PROGRESS_INTERVAL`` seconds (10).

    pages fetched, links extracted, pages/s (over the last interval), queue
    size and errors, read from the crawl's stats.
    """

    def __init__(self, crawler, interval: float):
        self.crawler = crawler
        self.interval = interval
        self._task = None
        self._last = (time.monotonic(), 0)

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
        self._last = (time.monotonic(), 0)
        self._task = task.LoopingCall(self.log)
        self._task.start(self.interval, now=False)

    def line(self) -> str:
        stats = self.crawler.stats
        pages = stats.get_value("pages/seen", 0)
        now = time.monotonic()
        since, before = self._last
        rate = (pages - before) / max(now - since, 1e-9)
        self._last = (now, pages)
        queued = 0
        engine = self.crawler.engine
        if engine is not None and engine.slot is not None:
            queued = len(engine.slot.scheduler)
        errors = sum(v for k, v in stats.get_stats().items() if k.startswith("pages/failed/"))
        return (
            f"{pages:,} pages, {stats.get_value('links/extracted', 0):,} links, "
            f"{rate:,.1f} pages/s, {queued:,} queued, {errors:,} errors"
        )

    def log(self):
        logger.info(self.line())

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
        crawler.signals.connect(extension.bytes_received, signal=signals.bytes_received)
        return extension

    def bytes_received(self, data, request, spider):
        received = request.meta.get("linkindex_bytes", 0) + len(data)
        request.meta["linkindex_bytes"] = received
        if received > self.max_bytes:
            raise StopDownload(fail=False)

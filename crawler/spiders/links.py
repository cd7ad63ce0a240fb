"""The ``links`` spider: crawl seed domains and emit every page's link records.

    scrapy crawl links -a seeds=https://example.com/,https://example.org/
    linkindex crawl https://example.com/ --data DIR

Scope is the registered domains of the seeds, subdomains included: a seed
``http://www.shop.co.uk/`` admits ``blog.shop.co.uk``, not ``shop2.co.uk``.
Links leaving the scope are recorded, never fetched. Every in-scope link is
followed, nofollow ones included: only robots rules stop fetching.

Spider traps (endless calendars, session ids in paths) are cut by the depth
limit, by the page budget of each domain (``PageBudgetMiddleware``) and by
the URL length limit; what each drops is counted (``pages/skipped/depth``,
``pages/skipped/budget``, ``pages/skipped/url_too_long``).

Settings read (defaults in ``crawler.defaults``): ``LINKINDEX_CRAWL_ID``,
``LINKINDEX_MAX_DEPTH``, ``URLLENGTH_LIMIT``.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import scrapy
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
)
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.error import (
    ConnectError,
    ConnectionRefusedError,
    DNSLookupError,
    TCPTimedOutError,
)
from twisted.internet.error import (
    TimeoutError as TwistedTimeoutError,
)

from crawler import signals as linkindex_signals
from crawler.defaults import (
    DEFAULT_CRAWL_ID,
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_PAGE_BYTES,
    DEFAULT_MAX_URL_LENGTH,
    DEFAULT_RECENT_URLS,
)
from crawler.records import PageRecords, header_pairs, page_records
from crawler.urls import host_domain, parse_web_url, surt_host
from linkindex.schema import PageRow, PageSource


@dataclass
class PageItem:
    """A fetched URL's records, and the exchange they came from (for the WARC archive)."""

    records: PageRecords
    response: scrapy.http.Response | None = field(default=None, repr=False)
    #: The frontier lease of the request (distributed crawls): released once
    #: the records are written.
    lease_id: str | None = None


class StatsCounter:
    """A ``collections.Counter`` face over Scrapy's stats collector."""

    def __init__(self, crawler):
        # The stats collector exists only once the crawl starts.
        self._crawler = crawler

    def __getitem__(self, key):
        return self._crawler.stats.get_value(key, 0)

    def __setitem__(self, key, value):
        self._crawler.stats.set_value(key, value)


def read_seeds(seeds=None, seeds_file=None) -> list[str]:
    """Seed URLs from a comma/space separated string and/or a file (one a line, # comments)."""
    found = []
    if seeds:
        found += seeds.replace(",", " ").split() if isinstance(seeds, str) else list(seeds)
    if seeds_file:
        for line in Path(seeds_file).read_text().splitlines():
            line = line.split("#", 1)[0].strip()
            if line:
                found.append(line)
    return found


class LinksSpider(scrapy.Spider):
    name = "links"
    #: Set by the distributed worker: re-reads the crawl's scope from Redis.
    refresh_scope = None

    def __init__(self, seeds=None, seeds_file=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_urls = []
        self.bad_seeds = []
        #: Seed URL -> why it could not be fetched (refused, or the download failed).
        self.seed_failures: dict[str, str] = {}
        for seed in read_seeds(seeds, seeds_file):
            parsed = parse_web_url(seed if "://" in seed else f"http://{seed}")
            if parsed is None:
                self.bad_seeds.append(seed)
            else:
                self.seed_urls.append(parsed[0])
        self.scope = frozenset(host_domain(parse_web_url(url)[1]) for url in self.seed_urls)

    @classmethod
    def from_crawler(cls, crawler, *args, **kwargs):
        spider = super().from_crawler(crawler, *args, **kwargs)
        settings = crawler.settings
        spider.crawl_id = settings.get("LINKINDEX_CRAWL_ID") or DEFAULT_CRAWL_ID
        # A distributed crawl's scope comes from Redis (see `linkindex seed`).
        spider.scope = spider.scope | frozenset(settings.getlist("LINKINDEX_SCOPE"))
        spider.max_depth = settings.getint("LINKINDEX_MAX_DEPTH", DEFAULT_MAX_DEPTH)
        # Scrapy's UrlLengthMiddleware would drop the same URLs silently (a
        # stat outside the summary); checking here counts them with the
        # other skipped pages.
        spider.max_url_length = settings.getint("URLLENGTH_LIMIT", DEFAULT_MAX_URL_LENGTH) or None
        spider.max_page_bytes = settings.getint("LINKINDEX_MAX_PAGE_BYTES", DEFAULT_MAX_PAGE_BYTES)
        # Hashes of the URLs this process requested lately (bounded memory).
        spider.recent_limit = settings.getint("LINKINDEX_RECENT_URLS", DEFAULT_RECENT_URLS)
        spider.recently_requested = set()
        spider.counter = StatsCounter(crawler)
        return spider

    def in_scope(self, domain: str) -> bool:
        return domain in self.scope

    async def start(self):
        if self.bad_seeds:
            self.logger.error("ignoring seeds that are not http(s) URLs: %s", ", ".join(self.bad_seeds))
            self.counter["seeds/invalid"] = len(self.bad_seeds)
        self.counter["seeds/valid"] = len(self.seed_urls)
        for url in self.seed_urls:
            yield self.request(url, depth=0)

    def request(self, url: str, depth: int) -> scrapy.Request:
        return scrapy.Request(
            url, callback=self.parse, errback=self.on_error, meta={"depth": depth}
        )

    def parse(self, response) -> Iterable:
        fetched_at = datetime.now(timezone.utc)
        error = None
        if "download_stopped" in response.flags:
            # Cut at exactly the limit, so the WARC archive holds the same
            # bytes and re-extraction gives the same links.
            error = "too_large"
            response = response.replace(body=response.body[: self.max_page_bytes])
        records = page_records(
            response.url,
            response.status,
            header_pairs(response.headers),
            response.body,
            fetched_at,
            self.counter,
            error=error,
            ip_address=str(response.ip_address) if response.ip_address is not None else None,
        )
        if records is None:
            self.finished(response.request)
            return
        if records.src.domain not in self.scope and self.refresh_scope is not None:
            self.refresh_scope()
        # Follow-up requests first, the page's records last: once the
        # records are written the request counts as done, and by then its
        # links are safely in the frontier.
        depth = response.meta.get("depth", 0) + 1
        recent = self.recently_requested
        for link in records.links:
            dst_url, dst_domain = link.dst_url, link.dst_domain
            # Most links of a page were already requested from other pages
            # (menus, footers): skip those before Scrapy's scheduler and the
            # shared filter spend work on them. The filter still decides for
            # everything else.
            key = hash(dst_url)
            if key in recent or not self.in_scope(dst_domain):
                continue
            if depth > self.max_depth:
                self.counter["pages/skipped/depth"] += 1
                continue
            if self.max_url_length and len(dst_url) > self.max_url_length:
                self.counter["pages/skipped/url_too_long"] += 1
                continue
            if self.recent_limit > 0:
                if len(recent) >= self.recent_limit:
                    recent.clear()
                recent.add(key)
            yield self.request(dst_url, depth)
        yield PageItem(records, response, lease_id=response.meta.get("lease_id"))

    def seed_not_fetched(self, url: str, why: str):
        """A seed that could not be fetched: said at once, kept for the end of the crawl."""
        self.seed_failures[url] = why
        self.counter["seeds/not_fetched"] += 1
        self.logger.warning("seed %s not fetched: %s", url, why)

    def finished(self, request):
        """Done with a request that leaves no records (refused, unparseable URL)."""
        if not request.meta.get("keep_lease"):
            self.crawler.signals.send_catch_log(linkindex_signals.request_finished, request=request)

    def on_error(self, failure):
        """A URL that could not be fetched still gets a pages row, with why."""
        request = failure.request
        if failure.check(IgnoreRequest):
            if request.meta.get("depth", 0) == 0 and not request.meta.get("keep_lease"):
                self.seed_not_fetched(request.url, _refusal(failure))
            self.finished(request)
            return None
        reason = _failure_reason(failure)
        self.counter[f"pages/failed/{reason}"] += 1
        if request.meta.get("depth", 0) == 0:
            self.seed_not_fetched(request.url, _FAILURES[reason].format(error=failure.getErrorMessage()))
        parsed = parse_web_url(request.url)
        if parsed is None:
            self.finished(request)
            return None
        url, host = parsed
        page = PageRow(
            fetched_at=datetime.now(timezone.utc),
            url=url,
            final_url=url,
            error=reason,
        )
        self.counter["pages/seen"] += 1
        return PageItem(
            PageRecords(page, [], PageSource(url, host, host_domain(host), surt_host(host))),
            lease_id=request.meta.get("lease_id"),
        )


#: What each pages.error of a failed download means, for a person.
_FAILURES = {
    "too_large": "larger than the download size limit",
    "dns": "DNS lookup failed ({error})",
    "timeout": "timed out ({error})",
    "connection": "connection refused or lost ({error})",
    "download_error": "broken response ({error})",
}


def _refusal(failure) -> str:
    """Why a request was refused before it left (robots.txt, private network, page budget)."""
    message = failure.getErrorMessage()
    host = urlparse_cached(failure.request).hostname or ""
    if "robots.txt" in message:
        return f"robots.txt of {host} forbids it"
    if "private network" in message:
        return f"{host} is on a private network (allow with --allow-private-networks)"
    return message or "refused"


def _failure_reason(failure) -> str:
    if failure.check(DownloadCancelledError):
        return "too_large"
    if failure.check(DNSLookupError, CannotResolveHostError):
        return "dns"
    if failure.check(DownloadTimeoutError, TwistedTimeoutError, TCPTimedOutError):
        return "timeout"
    if failure.check(DownloadConnectionRefusedError, ConnectionRefusedError, ConnectError):
        return "connection"
    return "download_error"

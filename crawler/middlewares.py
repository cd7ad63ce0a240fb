"""Downloader middlewares of the linkindex crawler.

- ``PrivateNetworkGuard``: refuses destinations on loopback, private,
  link-local or metadata addresses, so a crawl seeded from the public web
  cannot be steered into the operator's network.
- ``PageBudgetMiddleware``: at most N pages fetched per registered domain.
- ``CrawlDelayMiddleware``: honours robots.txt ``Crawl-delay``.
"""

import ipaddress
import json
import logging
import os
from pathlib import Path

from scrapy import signals
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotConfigured
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IResolutionReceiver
from zope.interface import implementer

from crawler.defaults import DEFAULT_MAX_PAGES_PER_DOMAIN
from crawler.urls import host_domain

logger = logging.getLogger(__name__)


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


def is_public_address(address: str) -> bool:
    """Whether an IP address is globally routable (not loopback, private, link-local, ...).

    IPv6 forms that carry an IPv4 address (mapped, 6to4, NAT64, the old
    IPv4-compatible form) are judged by that IPv4 address.
    """
    ip = ipaddress.ip_address(address.strip("[]"))
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip.sixtofour is not None:
            ip = ip.sixtofour
        elif ip in _NAT64 or (ip in _IPV4_COMPATIBLE and int(ip) > 1):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast


def _ip_literal(host: str) -> str | None:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None
    return host.strip("[]")


@implementer(IResolutionReceiver)
class _AddressCollector:
    """Receives the addresses of one name resolution; ``done`` fires with them."""

    def __init__(self):
        self.addresses: list[str] = []
        self.done = Deferred()

    def resolutionBegan(self, resolution):
        pass

    def addressResolved(self, address):
        self.addresses.append(address.host)

    def resolutionComplete(self):
        self.done.callback(self.addresses)


def is_robots_request(request) -> bool:
    return bool(request.meta.get("dont_obey_robotstxt")) and request.url.endswith("/robots.txt")


class PrivateNetworkGuard:
    """Refuse requests whose host is, or resolves to, a non-public address.

    Names are resolved through the reactor's name resolver, the one the
    HTTP client connects with (Scrapy installs its caching resolver there),
    so the addresses checked are the addresses connected to; every one of
    them must be public. A request sent through an explicitly configured
    proxy is resolved by the proxy, so only IP-literal hosts are checked.
    Refusals count as ``offsite/refused_private`` and are logged once per host.

    Settings: ``LINKINDEX_ALLOW_PRIVATE_NETWORKS`` (False) turns the guard off.
    """

    def __init__(self, stats, resolve):
        self.stats = stats
        self.resolve = resolve
        self._verdicts: dict[str, bool] = {}  # IP-literal hosts
        self._refused: set[str] = set()  # hosts logged once

    @classmethod
    def from_crawler(cls, crawler):
        if crawler.settings.getbool("LINKINDEX_ALLOW_PRIVATE_NETWORKS"):
            raise NotConfigured("private networks allowed (LINKINDEX_ALLOW_PRIVATE_NETWORKS)")
        from twisted.internet import reactor

        async def resolve(host: str) -> list[str]:
            receiver = _AddressCollector()
            reactor.nameResolver.resolveHostName(receiver, host)
            addresses = await maybe_deferred_to_future(receiver.done)
            if not addresses:
                raise OSError(f"{host} does not resolve")
            return addresses

        return cls(crawler.stats, resolve)

    async def process_request(self, request):
        host = urlparse_cached(request).hostname or ""
        literal = _ip_literal(host)
        if literal is None and request.meta.get("proxy"):
            return None
        if literal is not None:
            allowed = self._verdicts.get(host)
            if allowed is None:
                allowed = self._verdicts[host] = is_public_address(literal)
        else:
            # Names are checked at every request, through the resolver (and
            # DNS cache) the connection itself uses, so a name that changes
            # its address is checked again.
            try:
                addresses = await self.resolve(host)
            except Exception as exc:
                # Let no request through on a lookup that failed here: the
                # connection would look the name up again.
                raise CannotResolveHostError(f"cannot resolve {host}: {exc}") from exc
            allowed = all(is_public_address(a) for a in addresses)
        if not allowed and host not in self._refused:
            self._refused.add(host)
            logger.warning("refusing %s: it is on a private network (allow with --allow-private-networks)", host)
        if not allowed:
            # A refused robots.txt is followed by the page that asked for it:
            # count the page only.
            if not is_robots_request(request):
                self.stats.inc_value("offsite/refused_private")
            raise IgnoreRequest(f"{host} is on a private network")
        return None


class LocalBudget:
    """Per-domain page counters of one process; kept in ``path``, if given, across runs of a job."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self.counts: dict[str, int] = {}
        if path is not None and path.exists():
            self.counts = {str(k): int(v) for k, v in json.loads(path.read_text()).items()}

    def save(self) -> None:
        if self.path is None:
            return
        temporary = self.path.with_name(f".{self.path.name}.tmp")
        temporary.write_text(json.dumps(self.counts))
        os.replace(temporary, self.path)

    def take(self, domain: str, limit: int) -> bool:
        count = self.counts.get(domain, 0)
        if count >= limit:
            return False
        self.counts[domain] = count + 1
        return True


class PageBudgetMiddleware:
    """Stop fetching a registered domain after ``LINKINDEX_MAX_PAGES_PER_DOMAIN`` pages.

    Counted where requests leave for the network, after the duplicate filter
    and robots.txt, so only real fetches use the budget (retries and
    robots.txt requests do not). Refusals count as ``pages/skipped/budget``.
    In a distributed crawl (``LINKINDEX_REDIS_URL``) the counters are in
    Redis, shared by all workers; in a crawl with a job directory
    (``JOBDIR``) they are saved there when the crawl stops, so a crawl that
    continues does not spend each budget twice.
    """

    def __init__(self, stats, limit: int, budget=None):
        self.stats = stats
        self.limit = limit
        self.budget = budget or LocalBudget()

    @classmethod
    def from_crawler(cls, crawler):
        limit = crawler.settings.getint("LINKINDEX_MAX_PAGES_PER_DOMAIN", DEFAULT_MAX_PAGES_PER_DOMAIN)
        if limit <= 0:
            raise NotConfigured
        budget = None
        if crawler.settings.get("LINKINDEX_REDIS_URL"):
            from crawler.distributed import RedisBudget, crawl_keys, crawler_redis

            budget = RedisBudget(crawler_redis(crawler), crawl_keys(crawler.settings).pages_per_domain)
        elif crawler.settings.get("JOBDIR"):
            jobdir = Path(crawler.settings["JOBDIR"])
            jobdir.mkdir(parents=True, exist_ok=True)
            budget = LocalBudget(jobdir / "page_budget.json")
            crawler.signals.connect(budget.save, signal=signals.spider_closed)
        return cls(crawler.stats, limit, budget)

    def process_request(self, request):
        if is_robots_request(request) or request.meta.get("retry_times") or request.meta.get("budget_taken"):
            return None
        domain = host_domain(urlparse_cached(request).hostname or "")
        try:
            taken = self.budget.take(domain, self.limit)
        except Exception as exc:  # Redis unreachable past its retries
            # Not fetched now, and not given up: the request keeps its lease
            # and goes back to the frontier when the worker is idle.
            logger.error("page budget unavailable (%s): %s goes back to the frontier", exc, request.url)
            self.stats.inc_value("redis/budget_unavailable")
            request.meta["keep_lease"] = True
            raise IgnoreRequest("page budget unavailable") from exc
        if not taken:
            self.stats.inc_value("pages/skipped/budget")
            raise IgnoreRequest(f"page budget of {domain} spent")
        request.meta["budget_taken"] = True
        return None


class CrawlDelayMiddleware:
    """Honour the ``Crawl-delay`` of robots.txt: that host's slot waits that long between requests.

    The delay is a floor: AutoThrottle is told not to shorten it, and the
    slot's random jitter (``DOWNLOAD_DELAY_JITTER``, +-50% by default) is
    turned off for that host. Settings:
    ``LINKINDEX_MAX_CRAWL_DELAY`` (60 s) caps what a site may ask for.

    Scrapy has no public API for one host's delay: this sets the
    downloader's ``per_slot_settings`` and ``slots``, as pinned by
    ``tests/test_upstream_internals.py``.
    """

    def __init__(self, crawler, max_delay: float):
        self.crawler = crawler
        self.max_delay = max_delay
        self.delays: dict[str, float] = {}

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured("robots.txt not obeyed")
        middleware = cls(crawler, crawler.settings.getfloat("LINKINDEX_MAX_CRAWL_DELAY", 60.0))
        crawler.signals.connect(middleware.robots_parsed, signal=signals.robots_parsed)
        return middleware

    def robots_parsed(self, robotparser, request):
        user_agent = self.crawler.settings.get("ROBOTSTXT_USER_AGENT") or self.crawler.settings.get("USER_AGENT")
        delay = robotparser.crawl_delay(user_agent)
        if delay:
            host = urlparse_cached(request).hostname or ""
            self.delays[host] = min(float(delay), self.max_delay)
            self.crawler.stats.inc_value("robotstxt/crawl_delay_hosts")

    def process_request(self, request):
        host = urlparse_cached(request).hostname or ""
        delay = self.delays.get(host)
        if delay is None:
            return None
        request.meta["autothrottle_dont_adjust_delay"] = True
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        # For the slot created later (or again, after the idle slot is
        # collected), and for the one that exists now.
        downloader.per_slot_settings.setdefault(key, {}).update(delay=delay, jitter=0.0)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, delay)
            slot.jitter = 0.0
        return None

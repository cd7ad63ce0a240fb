"""The crawler's settings and components, without crawling.

What ``linkindex crawl`` configures (defaults, command options, ``-s``
overrides), which extensions a real crawler built from those settings
enables, and the components' decisions on hand-made requests.
"""

import asyncio
from collections import Counter
from importlib.metadata import version
import json
import logging
import subprocess
import sys
from types import SimpleNamespace

import pytest
from scrapy import Request
from scrapy.exceptions import CannotResolveHostError, IgnoreRequest, NotConfigured, StopDownload
from scrapy.settings import Settings
from sites import ROOT, command_env

from crawler.extensions import PageSizeLimit
from crawler.middlewares import PageBudgetMiddleware, PrivateNetworkGuard, is_public_address
from crawler.spiders.links import LinksSpider, read_seeds
from linkindex.crawl import SettingError, crawl_settings, parse_overrides
from pipelines.parquet import data_dir_setting
from pipelines.warc import request_target, sent_headers


def test_defaults_are_polite_complete_and_safe(tmp_path):
    settings = crawl_settings(tmp_path, "c1")
    assert settings.getint("LINKINDEX_MAX_DEPTH") >= 5
    # The budget a crawl with these settings enforces, as docs/crawling.md says.
    crawler = SimpleNamespace(settings=settings, stats=None)  # all from_crawler reads
    assert PageBudgetMiddleware.from_crawler(crawler).limit == 10_000
    assert settings.getint("LINKINDEX_MAX_PAGE_BYTES") == 10 * 1024 * 1024
    assert settings.getbool("ROBOTSTXT_OBEY")
    assert settings["ROBOTSTXT_PARSER"] == "scrapy.robotstxt.ProtegoRobotParser"
    assert settings["USER_AGENT"] == f"linkindex/{version('linkindex')} (+https://github.com/linkindex/linkindex)"
    assert settings.getbool("AUTOTHROTTLE_ENABLED")
    assert 1 <= settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN") <= 8
    assert settings.getfloat("DOWNLOAD_DELAY") > 0
    # Redirects and error pages are records, not something Scrapy handles away.
    assert not settings.getbool("REDIRECT_ENABLED")
    assert settings.getbool("HTTPERROR_ALLOW_ALL")
    assert settings.getbool("HTTPPROXY_ENABLED")
    assert not settings.getbool("LINKINDEX_ALLOW_PRIVATE_NETWORKS")
    assert not settings.getbool("WARC_ARCHIVE_ENABLED")
    assert (settings["LINKINDEX_DATA_DIR"], settings["LINKINDEX_CRAWL_ID"]) == (str(tmp_path), "c1")


def test_options_then_setting_overrides(tmp_path):
    settings = crawl_settings(
        tmp_path,
        "c1",
        max_depth=3,
        max_pages_per_domain=50,
        warc=True,
        allow_private_networks=True,
        overrides=parse_overrides(["LINKINDEX_MAX_DEPTH=7", "DOWNLOAD_DELAY=0", "X=a=b"]),
    )
    assert settings.getint("LINKINDEX_MAX_DEPTH") == 7  # -s has the last word
    assert settings.getint("LINKINDEX_MAX_PAGES_PER_DOMAIN") == 50
    assert settings.getbool("WARC_ARCHIVE_ENABLED") and settings.getbool("LINKINDEX_ALLOW_PRIVATE_NETWORKS")
    assert settings.getfloat("DOWNLOAD_DELAY") == 0
    assert settings["X"] == "a=b"


@pytest.mark.parametrize("pair", ["NOVALUE", "=1", " =1"])
def test_malformed_overrides_are_refused(pair):
    with pytest.raises(SettingError, match="NAME=VALUE"):
        parse_overrides([pair])


def test_crawl_without_seeds_is_a_usage_error(tmp_path):
    from linkindex.cli import main

    assert main(["crawl", "--data", str(tmp_path)]) == 2
    assert main(["crawl", "http://example.com/", "--data", str(tmp_path), "-s", "BROKEN"]) == 2


def test_read_seeds_from_arguments_and_a_file(tmp_path):
    seeds_file = tmp_path / "seeds.txt"
    seeds_file.write_text("# comment\nhttp://a.example/\n\n  b.example  # trailing comment\n")
    assert read_seeds("http://x.example/,http://y.example/ z.example", seeds_file) == [
        "http://x.example/",
        "http://y.example/",
        "z.example",
        "http://a.example/",
        "b.example",
    ]
    assert read_seeds(["http://x.example/"]) == ["http://x.example/"]


def test_scope_is_the_registered_domains_of_the_seeds():
    spider = LinksSpider(seeds="http://www.shop.co.uk/ blog.example.com ftp://nope.example.com/ http://")
    assert spider.scope == frozenset({"shop.co.uk", "example.com"})
    assert spider.seed_urls == ["http://www.shop.co.uk/", "http://blog.example.com/"]
    assert spider.bad_seeds == ["ftp://nope.example.com/", "http://"]


# Runs in a child process: building a crawler installs a Twisted reactor.
ENABLED_COMPONENTS = """
import json, sys
from scrapy.crawler import Crawler
from scrapy.utils.conf import build_component_list
from crawler.spiders.links import LinksSpider
from linkindex.crawl import crawl_settings, parse_overrides

settings = crawl_settings(sys.argv[1], "c1", warc=True, overrides=parse_overrides(sys.argv[2:]))
crawler = Crawler(LinksSpider, settings, init_reactor=True)
crawler._apply_settings()
print(json.dumps({
    "extensions": [f"{type(e).__module__}.{type(e).__name__}" for e in crawler.extensions.middlewares],
    "downloader": build_component_list(crawler.settings.getwithbase("DOWNLOADER_MIDDLEWARES")),
    "pipelines": build_component_list(crawler.settings.getwithbase("ITEM_PIPELINES")),
}))
"""


@pytest.mark.parametrize(
    "overrides",
    [[], ["REMOTE_CONTROL_ENABLED=True", "TELNETCONSOLE_ENABLED=True"]],
    ids=["default", "asked-for"],
)
def test_a_real_crawler_has_no_remote_control_and_no_telnet(tmp_path, overrides):
    result = subprocess.run(
        [sys.executable, "-c", ENABLED_COMPONENTS, str(tmp_path), *overrides],
        env=command_env(None),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    enabled = json.loads(result.stdout.strip().splitlines()[-1])
    extensions = enabled["extensions"]
    assert "scrapy.extensions.corestats.CoreStats" in extensions
    assert "crawler.extensions.CrawlProgress" in extensions
    assert "crawler.extensions.PageSizeLimit" in extensions
    assert not [e for e in extensions if "remote_control" in e or "telnet" in e.lower()]
    downloader = enabled["downloader"]
    # The guard must see whether HttpProxyMiddleware chose a proxy.
    assert downloader.index("crawler.middlewares.PrivateNetworkGuard") > downloader.index(
        "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware"
    )
    assert enabled["pipelines"] == ["pipelines.warc.WarcArchivePipeline", "pipelines.parquet.LinksParquetPipeline"]


# -- the private-network guard ------------------------------------------------


@pytest.mark.parametrize(
    "address, public",
    [
        ("93.184.216.34", True),
        ("2606:2800:220:1:248:1893:25c8:1946", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),  # carrier-grade NAT
        ("0.0.0.0", False),
        ("224.0.0.1", False),
        ("::1", False),
        ("[::1]", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:93.184.216.34", True),
    ],
)
def test_is_public_address(address, public):
    assert is_public_address(address) is public


class Stats(Counter):
    """The part of Scrapy's stats collector the components use."""

    def inc_value(self, key, count=1):
        self[key] += count

    def get_value(self, key, default=None):
        return self.get(key, default)


class Guard:
    """A PrivateNetworkGuard with a fake resolver that records its lookups."""

    def __init__(self, names: dict[str, str]):
        self.lookups = []
        self.stats = Stats()

        async def resolve(host):
            self.lookups.append(host)
            if host not in names:
                raise OSError("no such name")
            return [names[host]]

        self.guard = PrivateNetworkGuard(self.stats, resolve)

    def allows(self, url: str, **meta) -> bool:
        try:
            asyncio.run(self.guard.process_request(Request(url, meta=meta)))
        except IgnoreRequest:
            return False
        return True

    @property
    def refused(self) -> int:
        return self.stats.get_value("offsite/refused_private", 0)


def test_guard_refuses_names_that_resolve_to_private_addresses(caplog):
    guard = Guard({"www.example.com": "93.184.216.34", "intranet.example.com": "10.0.0.7"})
    with caplog.at_level(logging.WARNING, logger="crawler.middlewares"):
        assert guard.allows("http://www.example.com/")
        assert not guard.allows("http://intranet.example.com/robots.txt", dont_obey_robotstxt=True)
        assert not guard.allows("http://intranet.example.com/a")
        assert not guard.allows("http://intranet.example.com/b")
        assert not guard.allows("http://169.254.169.254/latest/meta-data/")
        assert not guard.allows("http://[::1]:8080/")
        assert not guard.allows("http://[2002:7f00:1::1]/")  # 6to4 of 127.0.0.1
        assert not guard.allows("http://[64:ff9b::a9fe:a9fe]/")  # NAT64 of the metadata address
        # Unresolvable here: a DNS error, not a pass (the connection would look again).
        with pytest.raises(CannotResolveHostError):
            asyncio.run(guard.guard.process_request(Request("http://nowhere.example.com/")))
    assert guard.refused == 6  # robots.txt is not counted, the pages are
    # Names are looked up at every request (through the DNS cache the
    # connection uses), so a name that changes its address is checked again.
    assert guard.lookups == [
        "www.example.com",
        "intranet.example.com",
        "intranet.example.com",
        "intranet.example.com",
        "nowhere.example.com",
    ]
    refusals = [r.getMessage() for r in caplog.records if "refusing" in r.getMessage()]
    assert [m.split(": it is")[0] for m in refusals] == [
        "refusing intranet.example.com",
        "refusing 169.254.169.254",
        "refusing ::1",
        "refusing 2002:7f00:1::1",
        "refusing 64:ff9b::a9fe:a9fe",
    ]


def test_behind_a_proxy_only_ip_literals_are_checked():
    guard = Guard({})
    proxy = "http://proxy.internal:3128"
    assert guard.allows("http://www.example.com/", proxy=proxy)
    assert guard.allows("http://localhost/", proxy=proxy)  # the proxy's name to resolve
    assert not guard.allows("http://127.0.0.1/", proxy=proxy)
    assert not guard.allows("http://169.254.169.254/", proxy=proxy)
    assert guard.lookups == []
    assert guard.refused == 2


def test_guard_is_off_when_private_networks_are_allowed():
    class Crawler:
        settings = Settings({"LINKINDEX_ALLOW_PRIVATE_NETWORKS": True})

    with pytest.raises(NotConfigured):
        PrivateNetworkGuard.from_crawler(Crawler())


# -- the page budget ------------------------------------------------------------


def test_page_budget_counts_fetches_per_registered_domain():
    stats = Stats()
    budget = PageBudgetMiddleware(stats, limit=2)

    def fetches(url, **meta):
        try:
            budget.process_request(Request(url, meta=meta))
        except IgnoreRequest:
            return False
        return True

    assert fetches("http://www.example.com/robots.txt", dont_obey_robotstxt=True)  # free
    assert fetches("http://www.example.com/1")
    retried = Request("http://www.example.com/2")
    budget.process_request(retried)
    assert retried.meta["budget_taken"]
    budget.process_request(retried)  # the same request again (a retry): not charged twice
    assert not fetches("http://blog.example.com/3")  # same registered domain
    assert fetches("http://www.example.org/")
    assert stats.get_value("pages/skipped/budget") == 1


# -- the page size limit -----------------------------------------------------------


def test_page_size_limit_counts_each_attempt_from_zero():
    limit = PageSizeLimit(max_bytes=100)
    request = Request("http://www.example.com/big")
    limit.headers_received(request)
    limit.bytes_received(b"x" * 60, request)
    with pytest.raises(StopDownload) as stopped:
        limit.bytes_received(b"x" * 60, request)
    assert stopped.value.fail is False  # the response still reaches the spider, flagged
    retry = request.copy()  # carries the failed attempt's meta
    limit.headers_received(retry)
    limit.bytes_received(b"x" * 90, retry)


# -- small parts -------------------------------------------------------------------


def test_data_dir_defaults_like_the_command_line(monkeypatch):
    monkeypatch.delenv("LINKINDEX_DATA", raising=False)
    assert data_dir_setting(Settings()) == "./linkindex-data"
    monkeypatch.setenv("LINKINDEX_DATA", "/srv/links")
    assert data_dir_setting(Settings()) == "/srv/links"
    assert data_dir_setting(Settings({"LINKINDEX_DATA_DIR": "/data"})) == "/data"


def test_archived_request_line_and_headers():
    assert request_target("http://www.example.com/a/b?q=1") == "/a/b?q=1"
    assert request_target("http://www.example.com") == "/"
    assert sent_headers(
        "http://user@www.example.com:8080/x",
        [("User-Agent", "ua"), ("Proxy-Authorization", "Basic c2VjcmV0"), ("Accept", "*/*")],
    ) == [("Host", "www.example.com:8080"), ("User-Agent", "ua"), ("Accept", "*/*")]


def test_project_settings_module_is_the_one_scrapy_cfg_names():
    assert "default = crawler.settings" in (ROOT / "scrapy.cfg").read_text()


def test_the_crawler_needs_only_the_record_contract_of_the_other_packages():
    # crawler/ makes records; writing them (pipelines/) and the command line
    # (linkindex/) come after it in the data flow, so it must import neither.
    code = (
        "import importlib, pkgutil, sys, crawler\n"
        "for module in pkgutil.walk_packages(crawler.__path__, 'crawler.'):\n"
        "    importlib.import_module(module.name)\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in ('pipelines', 'linkindex'))))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], env=command_env(), capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["linkindex", "linkindex.schema"]

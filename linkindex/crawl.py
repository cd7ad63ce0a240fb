"""Run the ``links`` spider in this process, as ``linkindex crawl`` does."""

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.spiders.links import LinksSpider


class SettingError(ValueError):
    """A ``-s NAME=VALUE`` override that is not of that form."""


def parse_overrides(pairs: list[str] | None) -> dict[str, str]:
    overrides = {}
    for pair in pairs or ():
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise SettingError(f"-s takes NAME=VALUE, got {pair!r}")
        overrides[name.strip()] = value
    return overrides


def crawl_settings(
    data_dir,
    crawl_id: str,
    max_depth: int | None = None,
    max_pages_per_domain: int | None = None,
    warc: bool = False,
    allow_private_networks: bool = False,
    overrides: dict[str, str] | None = None,
) -> Settings:
    """The project's settings, the command's options, then ``-s`` overrides on top."""
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    options = {
        "LINKINDEX_DATA_DIR": str(data_dir),
        "LINKINDEX_CRAWL_ID": crawl_id,
        "WARC_ARCHIVE_ENABLED": warc,
        "LINKINDEX_ALLOW_PRIVATE_NETWORKS": allow_private_networks,
    }
    if max_depth is not None:
        options["LINKINDEX_MAX_DEPTH"] = max_depth
    if max_pages_per_domain is not None:
        options["LINKINDEX_MAX_PAGES_PER_DOMAIN"] = max_pages_per_domain
    settings.setdict(options, priority="cmdline")
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


def run_crawl(seeds: list[str], seeds_file: str | None, settings: Settings) -> dict:
    """Crawl until the frontier is empty; return the crawl's stats."""
    process = CrawlerProcess(settings, install_root_handler=True)
    crawler = process.create_crawler(LinksSpider)
    process.crawl(crawler, seeds=seeds, seeds_file=seeds_file)
    process.start()
    return crawler.stats.get_stats()

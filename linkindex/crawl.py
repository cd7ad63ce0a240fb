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
    distributed: dict | None = None,
) -> Settings:
    """The project's settings, the command's options, then ``-s`` overrides on top.

    ``distributed``, for a worker of a shared crawl: ``redis_url``,
    ``worker_id``, ``idle_exit`` and the crawl's stored ``scope``,
    ``max_depth`` and ``max_pages_per_domain`` (see ``linkindex seed``).
    """
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
    if distributed is not None:
        options.update(
            {
                "LINKINDEX_REDIS_URL": distributed["redis_url"],
                "LINKINDEX_WORKER_ID": distributed["worker_id"],
                "LINKINDEX_SCOPE": distributed.get("scope") or [],
                "SCHEDULER": "crawler.distributed.DistributedScheduler",
                # Shorter batches: a request's lease is held until its
                # records are written.
                "LINKS_PARQUET_MAX_SECONDS": 5.0,
            }
        )
        if distributed.get("dupefilter"):
            options["LINKINDEX_DUPEFILTER"] = distributed["dupefilter"]
        if distributed.get("idle_exit") is not None:
            options["LINKINDEX_REDIS_IDLE_EXIT"] = distributed["idle_exit"]
        for name in ("max_depth", "max_pages_per_domain"):
            if distributed.get(name) is not None:
                options[f"LINKINDEX_{name.upper()}"] = distributed[name]
        extensions = dict(settings.getdict("EXTENSIONS"))
        extensions["crawler.distributed.ClusterWorker"] = 600
        options["EXTENSIONS"] = extensions
    settings.setdict(options, priority="cmdline")
    settings.setdict(overrides or {}, priority="cmdline")
    return settings


def run_crawl(seeds: list[str], seeds_file: str | None, settings: Settings) -> dict:
    """Crawl until the frontier is empty; return the crawl's stats."""
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(LinksSpider)
    process.crawl(crawler, seeds=seeds, seeds_file=seeds_file)
    process.start()
    return crawler.stats.get_stats()

"""Scrapy settings of the linkindex crawler (``scrapy.cfg`` points here).

Every linkindex-specific setting, with its default, is in
``crawler.defaults``; this module sets Scrapy's own settings to what a
polite, complete and safe link crawl needs. Override any of them on the
command line with ``-s NAME=VALUE``.
"""

from crawler.defaults import (
    DEFAULT_MAX_DEPTH,
    DEFAULT_MAX_PAGE_BYTES,
    DEFAULT_MAX_URL_LENGTH,
)
from crawler.defaults import (
    USER_AGENT as _USER_AGENT,
)

BOT_NAME = "linkindex"
SPIDER_MODULES = ["crawler.spiders"]
NEWSPIDER_MODULE = "crawler.spiders"

# An identifiable crawler with a URL that explains it.
USER_AGENT = _USER_AGENT
ROBOTSTXT_OBEY = True
ROBOTSTXT_PARSER = "scrapy.robotstxt.ProtegoRobotParser"
ROBOTSTXT_USER_AGENT = "linkindex"

# Politeness: few parallel requests per host, AutoThrottle adapting the
# delay to the server's latency, robots.txt Crawl-delay honoured (see
# crawler.middlewares.CrawlDelayMiddleware).
CONCURRENT_REQUESTS = 32
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.5
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30

# Every response reaches the spider: redirects and errors are data (a 3xx
# yields a redirect record, a 404 a pages row for broken-link reports).
REDIRECT_ENABLED = False
METAREFRESH_ENABLED = False
HTTPERROR_ALLOW_ALL = True
RETRY_TIMES = 2

# Depth is enforced by the spider (it counts what it drops); the URL length
# limit stops session-id and calendar traps.
DEPTH_LIMIT = 0
URLLENGTH_LIMIT = DEFAULT_MAX_URL_LENGTH
LINKINDEX_MAX_DEPTH = DEFAULT_MAX_DEPTH

# Pages over LINKINDEX_MAX_PAGE_BYTES are cut off (and recorded with an
# error); DOWNLOAD_MAXSIZE stays as a backstop for decompression bombs.
LINKINDEX_MAX_PAGE_BYTES = DEFAULT_MAX_PAGE_BYTES
DOWNLOAD_MAXSIZE = 4 * DEFAULT_MAX_PAGE_BYTES
DOWNLOAD_WARNSIZE = 0

# Breadth-first, so that a page budget keeps the pages nearest the seeds.
DEPTH_PRIORITY = 1
SCHEDULER_DISK_QUEUE = "scrapy.squeues.PickleFifoDiskQueue"
SCHEDULER_MEMORY_QUEUE = "scrapy.squeues.FifoMemoryQueue"

# The crawler runs on shared machines: no code-executing remote control, no
# telnet console. Both are also removed from EXTENSIONS below, so that a
# stray -s REMOTE_CONTROL_ENABLED=True cannot bring them back.
REMOTE_CONTROL_ENABLED = False
TELNETCONSOLE_ENABLED = False

DOWNLOADER_MIDDLEWARES = {
    # After HttpProxyMiddleware (750), so the guard knows whether a proxy is used.
    "crawler.middlewares.PrivateNetworkGuard": 760,
    "crawler.middlewares.PageBudgetMiddleware": 770,
    "crawler.middlewares.CrawlDelayMiddleware": 780,
}
ITEM_PIPELINES = {
    "pipelines.warc.WarcArchivePipeline": 100,
    "pipelines.parquet.LinksParquetPipeline": 300,
}
EXTENSIONS = {
    "scrapy.extensions.remote_control.RemoteControl": None,
    "scrapy.extensions.telnet.TelnetConsole": None,
    "scrapy.extensions.logstats.LogStats": None,
    "crawler.extensions.CrawlProgress": 500,
    "crawler.extensions.PageSizeLimit": 510,
    "crawler.extensions.StatsFile": 520,
}

LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

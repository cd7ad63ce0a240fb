"""Defaults of every linkindex setting, in one place.

Settings are read from the Scrapy settings (``crawler/settings.py``, the
command line's ``-s NAME=VALUE``) under these names; components document the
ones they read.
"""

from importlib.metadata import PackageNotFoundError, version


def _installed_version() -> str:
    # The installed distribution's version, so the crawler needs nothing of
    # the command-line package; a checkout that was never installed says so.
    try:
        return version("linkindex")
    except PackageNotFoundError:
        return "0+unknown"


PROJECT_URL = "https://github.com/linkindex/linkindex"
USER_AGENT = f"linkindex/{_installed_version()} (+{PROJECT_URL})"

#: Link hops from a seed to the deepest page fetched (the seed is depth 0).
DEFAULT_MAX_DEPTH = 10
#: Pages fetched per registered domain before the crawler stops following
#: links into it.
DEFAULT_MAX_PAGES_PER_DOMAIN = 10_000
#: Responses larger than this are cut off and recorded with error "too_large".
DEFAULT_MAX_PAGE_BYTES = 10 * 1024 * 1024
DEFAULT_CRAWL_ID = "default"
#: URLs a spider remembers having requested, to skip repeats of menu and
#: footer links cheaply (about 70 bytes each); 0 turns it off.
DEFAULT_RECENT_URLS = 500_000
#: Where records go when LINKINDEX_DATA_DIR is not set (``scrapy crawl links``
#: without ``-s LINKINDEX_DATA_DIR=...``): $LINKINDEX_DATA, else this, as
#: ``linkindex --data`` does.
DEFAULT_DATA_DIR = "./linkindex-data"
#: Longest URL followed; longer ones are session-id or path-repeating traps.
DEFAULT_MAX_URL_LENGTH = 2083

#: LINKS_PARQUET_*: the Parquet writer pipeline.
LINKS_PARQUET_ENABLED = True
LINKS_PARQUET_MAX_ROWS = 200_000
LINKS_PARQUET_MAX_SECONDS = 60.0

#: WARC_ARCHIVE_*: the WARC archive pipeline (off unless --warc).
WARC_ARCHIVE_ENABLED = False
WARC_ARCHIVE_MAX_BYTES = 1024 * 1024 * 1024

#: Seconds between progress lines.
PROGRESS_INTERVAL = 10.0

#: Distributed crawling (scrapy-redis). Every key of a crawl starts with
#: this prefix, so several crawls share one Redis without colliding.
REDIS_KEY_PREFIX = "linkindex:%(crawl)s"
REDIS_KEYS = {
    "requests": "%(prefix)s:requests",  # sorted set: the frontier
    "seen": "%(prefix)s:seen",  # set (or Bloom bitmaps): the duplicate filter
    "inflight": "%(prefix)s:inflight:%(worker)s",  # hash: requests a worker holds
    "workers": "%(prefix)s:workers",  # sorted set: worker -> last heartbeat
    "worker_info": "%(prefix)s:worker_info",  # hash: worker -> JSON of its counters
    "pages_per_domain": "%(prefix)s:pages_per_domain",  # hash: page budget counters
    "settings": "%(prefix)s:settings",  # hash: scope and limits, set by `seed`
    "stats": "%(prefix)s:stats",  # hash: crawl-wide counters
    "lease_seq": "%(prefix)s:lease_seq",  # counter naming leases
    "requeues": "%(prefix)s:requeues",  # hash: request digest -> times put back
    "abandoned": "%(prefix)s:abandoned",  # counter: requests put back too often
    "files": "%(prefix)s:extract:files",  # sorted set: WARC paths to extract
    "files_inflight": "%(prefix)s:extract:inflight:%(worker)s",
    "extract_workers": "%(prefix)s:extract:workers",
    "files_requeues": "%(prefix)s:extract:requeues",
    "files_abandoned": "%(prefix)s:extract:abandoned",
}
#: Seconds without a heartbeat after which a worker is dead and the requests
#: it held go back to the frontier.
REDIS_LEASE_TIMEOUT = 30.0
#: Times a request (or WARC file) is put back after its worker died or
#: dropped it, before it is given up and counted as abandoned: a page that
#: crashes every worker must not stall the crawl forever.
REDIS_MAX_REQUEUES = 5
#: Seconds between a worker's heartbeats (and its check for dead workers).
REDIS_HEARTBEAT_INTERVAL = 2.0
#: Seconds between an idle worker's looks at the shared frontier.
REDIS_IDLE_POLL_INTERVAL = 0.5
#: Seconds the whole cluster must be idle before a worker exits.
REDIS_IDLE_EXIT = 10.0
#: Redis commands are retried with exponential backoff for about this long
#: before a worker gives up (a Redis restart or a short outage).
REDIS_RETRY_SECONDS = 120.0
#: Bloom-filter duplicate filter (LINKINDEX_DUPEFILTER = "bloom").
BLOOM_CAPACITY = 100_000_000
BLOOM_ERROR_RATE = 0.001

#: LINK_QUALITY_*: the thresholds of the link-quality flags of the index
#: (``linkindex build -s NAME=VALUE``; see linkindex/quality.py and docs/tables.md).
#: sitewide: links to the target from at least this share of the referring
#: domain's HTML pages that answered 2xx...
LINK_QUALITY_SITEWIDE_MIN_SHARE = 0.5
#: ...and from at least this many of them.
LINK_QUALITY_SITEWIDE_MIN_PAGES = 10
#: outbound_heavy: the linking pages link to at least this many distinct
#: external domains, on average.
LINK_QUALITY_OUTBOUND_HEAVY_MIN_DOMAINS = 100
#: same_network: a referring domain whose server shares a network (IPv4 /24,
#: IPv6 /48) with at least this many other referring domains of the target.
LINK_QUALITY_SAME_NETWORK_MIN_DOMAINS = 3
#: low_authority: a referring domain whose authority is below this (0-100).
LINK_QUALITY_LOW_AUTHORITY_BELOW = 5.0
#: anchor_over_optimised: keyword anchors are more than this share of the
#: target's dofollow anchor backlinks (each referring domain and text once).
LINK_QUALITY_KEYWORD_ANCHOR_MAX_SHARE = 0.3

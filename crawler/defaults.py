"""Defaults of every linkindex setting, in one place.

Settings are read from the Scrapy settings (``crawler/settings.py``, the
command line's ``-s NAME=VALUE``) under these names; components document the
ones they read.
"""

from linkindex import __version__

PROJECT_URL = "https://github.com/linkindex/linkindex"
USER_AGENT = f"linkindex/{__version__} (+{PROJECT_URL})"

#: Link hops from a seed to the deepest page fetched (the seed is depth 0).
DEFAULT_MAX_DEPTH = 10
#: Pages fetched per registered domain before the crawler stops following
#: links into it.
DEFAULT_MAX_PAGES_PER_DOMAIN = 10_000
#: Responses larger than this are cut off and recorded with error "too_large".
DEFAULT_MAX_PAGE_BYTES = 10 * 1024 * 1024
DEFAULT_CRAWL_ID = "default"

#: LINKS_PARQUET_*: the Parquet writer pipeline.
LINKS_PARQUET_ENABLED = True
LINKS_PARQUET_MAX_ROWS = 200_000
LINKS_PARQUET_MAX_SECONDS = 60.0

#: WARC_ARCHIVE_*: the WARC archive pipeline (off unless --warc).
WARC_ARCHIVE_ENABLED = False
WARC_ARCHIVE_MAX_BYTES = 1024 * 1024 * 1024

#: Seconds between progress lines.
PROGRESS_INTERVAL = 10.0

"""The record contract: every record type, and one Arrow schema per table.

Everything that makes, writes or reads records imports them from here: the
extractor builds ``LinkRecord``s, ``crawler.records`` one ``PageRow`` and a
``PageSource`` per response, the Parquet writer turns them into
``LINKS_SCHEMA`` and ``PAGES_SCHEMA`` columns, and the tests check both.
``docs/schema.md`` documents every field with an example row. Changing a
field's name, type or meaning is a breaking change: bump ``SCHEMA_VERSION``
(major for renames/removals/type changes, minor for added nullable columns).

A reader of version X.Y reads every X.* file: columns added by a later minor
version are ignored, columns a file lacks read as null.

History: 1.0 the first contract; 1.1 adds ``pages.noindex`` and
``pages.ip_address`` (null in 1.0 files).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import pyarrow as pa

SCHEMA_VERSION = "1.1"

#: Key under which the schema version is stored in every Parquet file's metadata.
SCHEMA_VERSION_KEY = b"linkindex.schema_version"
#: Key naming the table ("links" or "pages") in every Parquet file's metadata.
TABLE_KEY = b"linkindex.table"

TIMESTAMP = pa.timestamp("us", tz="UTC")

LINK_KINDS = ("anchor", "image", "area", "canonical", "redirect")
PLACEMENTS = ("main", "nav", "header", "footer", "aside", "comment", "body")


def _with_metadata(name, fields):
    return pa.schema(
        fields, metadata={SCHEMA_VERSION_KEY: SCHEMA_VERSION.encode(), TABLE_KEY: name.encode()}
    )


#: One row per hyperlink found on a page, in document order, duplicates kept.
LINKS_SCHEMA = _with_metadata(
    "links",
    [
        pa.field("crawl_id", pa.string(), nullable=False),
        pa.field("fetched_at", TIMESTAMP, nullable=False),
        pa.field("src_url", pa.string(), nullable=False),
        pa.field("src_host", pa.string(), nullable=False),
        pa.field("src_domain", pa.string(), nullable=False),
        pa.field("src_surt_host", pa.string(), nullable=False),
        pa.field("dst_url", pa.string(), nullable=False),
        pa.field("dst_host", pa.string(), nullable=False),
        pa.field("dst_domain", pa.string(), nullable=False),
        pa.field("dst_surt_host", pa.string(), nullable=False),
        # '' for canonical and redirect records, which have no text.
        pa.field("anchor_text", pa.string(), nullable=False),
        # Lowercased rel tokens, sorted, space-joined; '' when absent.
        pa.field("rel", pa.string(), nullable=False),
        pa.field("nofollow", pa.bool_(), nullable=False),
        pa.field("ugc", pa.bool_(), nullable=False),
        pa.field("sponsored", pa.bool_(), nullable=False),
        pa.field("page_nofollow", pa.bool_(), nullable=False),
        pa.field("internal", pa.bool_(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        # Null for canonical and redirect records.
        pa.field("placement", pa.string(), nullable=True),
        pa.field("position", pa.int32(), nullable=False),
    ],
)

#: One row per fetched URL (every response, whatever its status or type).
PAGES_SCHEMA = _with_metadata(
    "pages",
    [
        pa.field("crawl_id", pa.string(), nullable=False),
        pa.field("fetched_at", TIMESTAMP, nullable=False),
        pa.field("url", pa.string(), nullable=False),
        pa.field("final_url", pa.string(), nullable=False),
        pa.field("status", pa.int16(), nullable=True),
        pa.field("content_type", pa.string(), nullable=True),
        pa.field("charset", pa.string(), nullable=True),
        pa.field("title", pa.string(), nullable=True),
        pa.field("content_length", pa.int64(), nullable=True),
        pa.field("links_out", pa.int32(), nullable=False),
        pa.field("page_nofollow", pa.bool_(), nullable=False),
        pa.field("warc_file", pa.string(), nullable=True),
        pa.field("warc_offset", pa.int64(), nullable=True),
        # Why the page yielded no links although it might have (too_large,
        # binary, decode_error, revisit, ...); null when it was processed.
        pa.field("error", pa.string(), nullable=True),
        # 1.1: robots noindex (meta robots/googlebot or X-Robots-Tag, directives
        # for other agents ignored); null in 1.0 files.
        pa.field("noindex", pa.bool_(), nullable=True),
        # 1.1: the server's IP address (Scrapy's response.ip_address, or
        # WARC-IP-Address); null when unknown and in 1.0 files.
        pa.field("ip_address", pa.string(), nullable=True),
    ],
)

SCHEMAS = {"links": LINKS_SCHEMA, "pages": PAGES_SCHEMA}


class LinkRecord(NamedTuple):
    """One link of a page: the ``links`` columns that differ from link to link.

    The extractor makes these; the writer adds the page's columns
    (``LINK_PAGE_FIELDS``) to each. A tuple underneath, so a page's links
    turn into columns with one ``zip``.
    """

    dst_url: str
    dst_host: str
    dst_domain: str
    dst_surt_host: str
    anchor_text: str
    rel: str
    nofollow: bool
    ugc: bool
    sponsored: bool
    internal: bool
    kind: str
    placement: str | None
    position: int


class PageSource(NamedTuple):
    """The page a link is on: its ``src_*`` columns."""

    url: str
    host: str
    domain: str
    surt_host: str


#: The ``links`` columns a page gives all of its links, in the order the writer fills them.
LINK_PAGE_FIELDS = (
    "crawl_id",
    "fetched_at",
    "src_url",
    "src_host",
    "src_domain",
    "src_surt_host",
    "page_nofollow",
)


@dataclass(slots=True)
class PageRow:
    """One row of ``pages`` (``PAGES_SCHEMA``), without the crawl id the writer adds."""

    fetched_at: datetime
    url: str
    final_url: str
    status: int | None = None
    content_type: str | None = None
    charset: str | None = None
    title: str | None = None
    content_length: int | None = None
    links_out: int = 0
    page_nofollow: bool = False
    warc_file: str | None = None
    warc_offset: int | None = None
    error: str | None = None
    noindex: bool | None = None
    ip_address: str | None = None

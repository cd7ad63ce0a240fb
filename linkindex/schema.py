"""The record contract: one Arrow schema per table.

Everything that writes or reads link records imports these constants: the
Parquet writer, the WARC extractor, the crawler pipelines and the tests.
``docs/schema.md`` documents every field with an example row. Changing a
field's name, type or meaning is a breaking change: bump ``SCHEMA_VERSION``
(major for renames/removals/type changes, minor for added nullable columns).

A reader of version X.Y reads every X.* file: columns added by a later minor
version are ignored, columns a file lacks read as null.

History: 1.0 the first contract; 1.1 adds ``pages.noindex`` and
``pages.ip_address`` (null in 1.0 files).
"""

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

#: Column order of the per-link tuples produced by the extractor
#: (the page-level columns are added by the writer).
LINK_TUPLE_FIELDS = (
    "dst_url",
    "dst_host",
    "dst_domain",
    "dst_surt_host",
    "anchor_text",
    "rel",
    "nofollow",
    "ugc",
    "sponsored",
    "internal",
    "kind",
    "placement",
    "position",
)
#: Page-level link columns, repeated on every link of a page.
LINK_PAGE_FIELDS = (
    "crawl_id",
    "fetched_at",
    "src_url",
    "src_host",
    "src_domain",
    "src_surt_host",
    "page_nofollow",
)

"""Helpers that write small link and page records as Parquet, for any test.

Rows are plain dicts; ``link()`` and ``page()`` fill in the columns derived
from the URLs (hosts, domains, SURT hosts, ``internal``) the way the
extractor does, so a test only writes what it means.
"""

from datetime import datetime, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from crawler.urls import host_domain, split_web_url, surt_host
from linkindex.schema import SCHEMAS


def ts(day: int, hour: int = 0, minute: int = 0, month: int = 1, year: int = 2024) -> datetime:
    """A UTC timestamp, short to write in fixtures."""
    return datetime(year, month, day, hour, minute, tzinfo=timezone.utc)


def _host(url: str) -> str:
    return split_web_url(url)[1]


def link(
    crawl_id: str,
    fetched_at: datetime,
    src_url: str,
    dst_url: str,
    anchor_text: str = "",
    *,
    rel: str = "",
    page_nofollow: bool = False,
    kind: str = "anchor",
    placement: str | None = "body",
    position: int = 0,
) -> dict:
    """One LINKS_SCHEMA row; flags and hosts derived as the extractor derives them."""
    src_host, dst_host = _host(src_url), _host(dst_url)
    tokens = rel.split()
    return {
        "crawl_id": crawl_id,
        "fetched_at": fetched_at,
        "src_url": src_url,
        "src_host": src_host,
        "src_domain": host_domain(src_host),
        "src_surt_host": surt_host(src_host),
        "dst_url": dst_url,
        "dst_host": dst_host,
        "dst_domain": host_domain(dst_host),
        "dst_surt_host": surt_host(dst_host),
        "anchor_text": anchor_text,
        "rel": " ".join(sorted(tokens)),
        "nofollow": page_nofollow or "nofollow" in tokens,
        "ugc": "ugc" in tokens,
        "sponsored": "sponsored" in tokens,
        "page_nofollow": page_nofollow,
        "internal": host_domain(src_host) == host_domain(dst_host),
        "kind": kind,
        "placement": None if kind in ("canonical", "redirect") else placement,
        "position": position,
    }


def page(
    crawl_id: str,
    fetched_at: datetime,
    url: str,
    status: int | None = 200,
    *,
    links_out: int = 0,
    page_nofollow: bool = False,
    title: str | None = None,
    final_url: str | None = None,
    error: str | None = None,
    noindex: bool | None = False,
    ip_address: str | None = None,
) -> dict:
    """One PAGES_SCHEMA row."""
    return {
        "crawl_id": crawl_id,
        "fetched_at": fetched_at,
        "url": url,
        "final_url": final_url or url,
        "status": status,
        "content_type": "text/html; charset=utf-8" if status is not None else None,
        "charset": "utf-8" if status is not None else None,
        "title": title,
        "content_length": 1000 if status is not None else None,
        "links_out": links_out,
        "page_nofollow": page_nofollow,
        "warc_file": None,
        "warc_offset": None,
        "error": error,
        "noindex": noindex,
        "ip_address": ip_address,
    }


def write_parquet(data_dir: str | Path, table: str, rows: list[dict], part: int = 0) -> list[Path]:
    """Write ``rows`` as ``DIR/<table>/crawl_id=<id>/part-<part>.parquet``, one file per crawl id.

    The files carry the schema and its metadata exactly as the real writers
    do (``table`` is ``links`` or ``pages``). Returns the paths written.
    """
    schema = SCHEMAS[table]
    by_crawl: dict[str, list[dict]] = {}
    for row in rows:
        by_crawl.setdefault(row["crawl_id"], []).append(row)
    written = []
    for crawl_id, crawl_rows in sorted(by_crawl.items()):
        path = Path(data_dir) / table / f"crawl_id={crawl_id}" / f"part-{part:04d}.parquet"
        path.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(pa.Table.from_pylist(crawl_rows, schema=schema), path)
        written.append(path)
    return written


# -- a small sample crawl, small enough to count by hand --------------------
#
# Two crawls (c1, c2). blog.net/post is fetched twice in c1: only the second
# fetch (12:00) counts, its first fetch (10:00, with an "old" link) is
# superseded. example.com/gone answers 404; www.example.com/pricing is never
# fetched. old.blog.net redirects to example.com; spam.biz/copy is a robots
# nofollow page with a cross-domain canonical.
#
# Backlinks to example.com in the kept fetches, for the expected numbers:
#   a  blog.net/post    c1 01-01 12:00  anchor  "Example"       -> example.com/      main    pos 0
#   b  blog.net/post    c1 01-01 12:00  anchor  "Example"       -> example.com/      main    pos 1  (duplicate of a)
#   c  blog.net/post    c1 01-01 12:00  anchor  "pricing"       -> www../pricing     footer  pos 2  nofollow
#   d  news.org/story   c1 01-02 09:00  image   "Example logo"  -> example.com/      comment pos 0  ugc
#   e  news.org/story   c1 01-02 09:00  anchor  "broken"        -> example.com/gone  aside   pos 1  nofollow sponsored
#   f  old.blog.net/    c1 01-02 11:00  redirect ""             -> example.com/              pos 0
#   g  spam.biz/copy    c1 01-02 12:00  anchor  "Example"       -> example.com/      body    pos 0  nofollow (page)
#   h  spam.biz/copy    c1 01-02 12:00  canonical ""            -> example.com/              pos 1  nofollow (page)
#   i  blog.net/post    c2 02-01 10:00  anchor  "Example"       -> example.com/      main    pos 0  nofollow ugc

POST = "https://blog.net/post"
STORY = "https://news.org/story"
HOME = "https://example.com/"
GONE = "https://example.com/gone"
PRICING = "https://www.example.com/pricing"


def sample_records() -> tuple[list[dict], list[dict]]:
    """(links, pages) of the sample crawl described above."""
    t1, t2 = ts(1, 10), ts(1, 12)
    links = [
        # c1, first fetch of POST: superseded by the re-fetch at 12:00
        link("c1", t1, POST, HOME, "Example", placement="main", position=0),
        link("c1", t1, POST, GONE, "old", placement="main", position=1),
        # c1, the re-fetch of POST
        link("c1", t2, POST, HOME, "Example", placement="main", position=0),
        link("c1", t2, POST, HOME, "Example", placement="main", position=1),
        link("c1", t2, POST, PRICING, "pricing", rel="nofollow", placement="footer", position=2),
        link("c1", t2, POST, "https://blog.net/about", "About", placement="nav", position=3),
        # c1, STORY
        link(
            "c1",
            ts(2, 9),
            STORY,
            HOME,
            "Example logo",
            rel="ugc",
            kind="image",
            placement="comment",
            position=0,
        ),
        link("c1", ts(2, 9), STORY, GONE, "broken", rel="sponsored nofollow", placement="aside", position=1),
        link("c1", ts(2, 9), STORY, STORY, kind="canonical", position=2),
        link("c1", ts(2, 9), STORY, POST, "travel stories", placement="main", position=3),
        # c1, a redirect and a robots-nofollow copy with a cross-domain canonical
        link("c1", ts(2, 11), "https://old.blog.net/", HOME, kind="redirect", position=0),
        link(
            "c1",
            ts(2, 12),
            "https://spam.biz/copy",
            HOME,
            "Example",
            page_nofollow=True,
            placement="body",
            position=0,
        ),
        link(
            "c1", ts(2, 12), "https://spam.biz/copy", HOME, page_nofollow=True, kind="canonical", position=1
        ),
        # c2
        link(
            "c2", ts(1, 10, month=2), POST, HOME, "Example", rel="ugc nofollow", placement="main", position=0
        ),
        link("c2", ts(1, 11, month=2), HOME, PRICING, "Pricing", placement="nav", position=0),
        link("c2", ts(1, 11, month=2), HOME, "https://news.org/", "News", placement="footer", position=1),
    ]
    pages = [
        page("c1", t1, POST, 200, links_out=2, title="first fetch"),
        page("c1", t2, POST, 200, links_out=4, title="second fetch"),
        page("c1", ts(2, 9), STORY, 200, links_out=4),
        page("c1", ts(2, 10), HOME, 500, error="http_error"),
        page("c1", ts(2, 10, 5), GONE, 404, error="http_error"),
        page("c1", ts(2, 11), "https://old.blog.net/", 301, links_out=1),
        page("c1", ts(2, 12), "https://spam.biz/copy", 200, links_out=2, page_nofollow=True),
        page("c2", ts(1, 10, month=2), POST, 200, links_out=1),
        page("c2", ts(1, 11, month=2), HOME, 200, links_out=2),
    ]
    return links, pages


#: The disavow file imported for example.com: every link from spam.biz, and one page of news.org.
SAMPLE_DISAVOW = "# imported\ndomain:spam.biz\nhttps://news.org/story\n"


def write_sample(data_dir: str | Path) -> Path:
    """Write the sample crawl's Parquet records under ``data_dir``, and its disavow file; return it."""
    links, pages = sample_records()
    write_parquet(data_dir, "links", links)
    write_parquet(data_dir, "pages", pages)
    disavow = Path(data_dir) / "disavow" / "example.com.txt"
    disavow.parent.mkdir(parents=True, exist_ok=True)
    disavow.write_text(SAMPLE_DISAVOW)
    return Path(data_dir)

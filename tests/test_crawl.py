"""End-to-end crawls of a local multi-host site, run as ``linkindex crawl`` commands.

The site (``tests/sites.py``) is served on 127.0.0.1 and the crawler reaches
every host name through it as its ``http_proxy``. Each test asserts exactly
which URLs the server was asked for, and reads back the Parquet records,
the stats (``-s LINKINDEX_STATS_FILE``) and the WARC archive.
"""

from collections import Counter
import json
import os
from pathlib import Path
import random
import re
import signal
import socket
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest
from sites import (
    BROKEN,
    ROOT,
    Resource,
    Site,
    command_env,
    generated_site,
    html,
    page,
    redirect,
    robots,
    serve,
)
from warcio.archiveiterator import ArchiveIterator

from linkindex.crawl import CrawlJob, JobError
from linkindex.schema import LINKS_SCHEMA, PAGES_SCHEMA

#: No politeness delays against the local test server.
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=False"]
#: What Scrapy logs when our code raises: in a callback, a pipeline, a signal handler, a timer.
CODE_ERRORS = ("Spider error processing", "Error processing", "Error caught on signal handler", "Unhandled error")

WWW = "http://www.example.com"
BLOG = "http://blog.example.com"
SHOP = "http://www.shop.co.uk"
SHOP_BLOG = "http://blog.shop.co.uk"


class Crawl:
    """A finished ``linkindex crawl`` command: its output, stats and records."""

    def __init__(self, process, data: Path, stats_file: Path):
        self.returncode = process.returncode
        self.stdout = process.stdout
        self.stderr = process.stderr
        self.data = data
        self.stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}

    def links(self) -> list[dict]:
        return read_records(self.data, "links")

    def pages(self) -> list[dict]:
        return read_records(self.data, "pages")


def linkindex(*args, proxy: str | None = None, no_proxy: str | None = None, cwd=None, timeout: float = 60):
    return subprocess.run(
        [sys.executable, "-m", "linkindex.cli", *map(str, args)],
        env=command_env(proxy, no_proxy),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def crawl(
    tmp: Path, *args, proxy: str | None = None, no_proxy: str | None = None, data: Path | None = None, expect: int = 0
) -> Crawl:
    """Run ``linkindex crawl`` to its end; ``expect``: its exit code (1: some pages could not be fetched)."""
    tmp.mkdir(parents=True, exist_ok=True)
    data = data or tmp / "data"
    stats_file = tmp / "stats.json"
    process = linkindex(
        "crawl", *args, "--data", data, *FAST, "-s", f"LINKINDEX_STATS_FILE={stats_file}",
        proxy=proxy, no_proxy=no_proxy, cwd=tmp,
    )  # fmt: skip
    result = Crawl(process, data, stats_file)
    assert process.returncode == expect, process.stderr[-4000:]
    for marker in CODE_ERRORS:
        assert marker not in process.stderr, process.stderr[-4000:]
    return result


def record_files(data: Path, table: str) -> list[Path]:
    return sorted((data / table).glob("*/part-*.parquet"))


def read_records(data: Path, table: str) -> list[dict]:
    rows = []
    for path in record_files(data, table):
        rows += pq.read_table(path).to_pylist()
    return rows


def by_url(pages: list[dict]) -> dict[str, dict]:
    rows = {}
    for row in pages:
        assert row["url"] not in rows, f"{row['url']} has two pages rows"
        rows[row["url"]] = row
    return rows


# -- the site ----------------------------------------------------------------

PDF = b"%PDF-1.4\n1 0 obj << /URI (http://www.example.com/from-pdf) >> endobj\n<a href='/from-pdf'>x</a>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
GARBAGE = random.Random(7).randbytes(4000)  # NUL bytes and all: an image served as HTML
NOISE = bytes(random.Random(8).randrange(0x80, 0x100) for _ in range(4000))  # no NULs, no markup
BIG = b"<html><head><title>Big</title></head><body><a href='/big-link'>lost</a>" + b"<p>padding</p>\n" * 720_000
CP1251 = (
    '<html><head><meta charset="windows-1251"><title>Привет, мир</title></head>'
    '<body><p>Это страница в кодировке windows-1251.</p><a href="/">Главная</a></body></html>'
).encode("cp1251")
SJIS = (
    "<html><head><title>日本語のページ</title></head><body>"
    "<p>これはシフトJISで書かれたページです。文字コードはヘッダにもメタにも書かれていません。"
    "ブラウザは内容から文字コードを推測します。</p>"
    '<a href="/">ホームに戻る</a></body></html>'
).encode("shift_jis")


def main_site() -> Site:
    return Site(
        {
            "www.example.com": {
                "/robots.txt": robots("User-agent: *\nDisallow: /private/\n"),
                "/": html(
                    "Example home",
                    '<nav><a href="/about">About</a></nav>',
                    f'<a href="{BLOG}/">Blog</a>',
                    '<a href="/old">Old page</a>',
                    '<a href="/missing">Missing</a>',
                    '<a href="/report.pdf">Report</a>',
                    '<a href="/logo.png"><img src="/logo.png" alt="Logo"></a>',
                    '<a href="/private/secret">Secret</a>',
                    '<a href="http://external.org/page" rel="nofollow">External</a>',
                    '<a href="/meta-nofollow">Meta nofollow</a>',
                    '<a href="/x-robots">X-Robots-Tag</a>',
                    '<a href="/cp1251">Cyrillic</a>',
                    '<a href="/sjis">Japanese</a>',
                    '<a href="/big">Big</a>',
                    '<a href="/garbage">Garbage</a>',
                    '<a href="/noise">Noise</a>',
                    '<a href="/calendar/2024/1">Calendar</a>',
                    '<a href="/s/a/page">Session</a>',
                    '<a href="/error500">Error</a>',
                    '<a href="/broken">Broken</a>',
                    '<a href="mailto:someone@example.com">Mail</a>',
                    f'<a href="{SHOP}/">Shop</a>',
                ),
                "/about": html(
                    "About",
                    '<a href="/">Home</a>',
                    '<a href="/#top">Top</a>',
                    head=f'<link rel="canonical" href="{WWW}/about">',
                ),
                "/old": redirect("/new"),
                "/new": html("New"),
                "/report.pdf": Resource(PDF, 200, (("Content-Type", "application/pdf"),)),
                "/logo.png": Resource(PNG, 200, (("Content-Type", "image/png"),)),
                "/private/secret": html("Secret"),
                "/meta-nofollow": html(
                    "Meta nofollow",
                    '<a href="/nf-target">Followed anyway</a>',
                    '<a href="http://external.org/nf">Not endorsed</a>',
                    head='<meta name="robots" content="index, nofollow">',
                ),
                "/nf-target": html("NF target"),
                "/x-robots": html(
                    "X-Robots-Tag", '<a href="/xr-target">XR</a>', headers=(("X-Robots-Tag", "nofollow"),)
                ),
                "/xr-target": html("XR target"),
                "/cp1251": Resource(CP1251, 200, (("Content-Type", "text/html"),)),
                "/sjis": Resource(SJIS, 200, (("Content-Type", "text/html"),)),
                "/big": Resource(BIG, 200, (("Content-Type", "text/html"),)),
                "/big-link": html("Linked from the cut page"),
                "/garbage": Resource(GARBAGE, 200, (("Content-Type", "text/html"),)),
                "/noise": Resource(NOISE, 200, (("Content-Type", "text/html; charset=utf-8"),)),
                "/error500": page("<title>Oops</title>", status=500),
                "/broken": BROKEN,
            },
            "blog.example.com": {
                "/robots.txt": robots("User-agent: *\nDisallow:\n\nUser-agent: linkindex\nDisallow: /drafts/\n"),
                "/": html(
                    "Blog",
                    '<a href="/drafts/one">Draft</a>',
                    '<a href="/post">Post</a>',
                    '<a href="/moved">Moved</a>',
                    '<a href="http://shop2.co.uk/">Shop two</a>',
                ),
                "/post": html(
                    "Post",
                    f'<main><a href="{SHOP}/" rel="sponsored">Buy</a></main>',
                    f'<a href="{WWW}/">Example home</a>',
                    '<footer><a href="http://external.org/ugc" rel="UGC nofollow">Comment link</a></footer>',
                ),
                "/moved": redirect("http://external.org/landing", 302),
                "/drafts/one": html("Draft"),
            },
            "www.shop.co.uk": {
                "/": html(
                    "Shop",
                    f'<a href="{SHOP_BLOG}/">Shop blog</a>',
                    '<a href="http://shop2.co.uk/">Other shop</a>',
                    f'<a href="{WWW}/about">About Example</a>',
                ),
            },
            "blog.shop.co.uk": {
                "/": html("Shop blog", f'<a href="{SHOP}/">Shop home</a>', f'<a href="{WWW}/">Example</a>'),
            },
            # Out of scope: linked to, never fetched.
            "shop2.co.uk": {"/": html("Shop two")},
            "external.org": {"/page": html("External"), "/landing": html("Landing")},
        },
        traps=frozenset({"www.example.com"}),
    )


CALENDAR = [f"{WWW}/calendar/2024/{month}" for month in range(1, 11)]  # depth 1..10
SESSIONS = [f"{WWW}/s/a{'x1234567' * hops}/page" for hops in range(7)]  # 31..79 characters
URL_LIMIT = 80

EXPECTED_FETCHES = Counter(
    {
        **{
            f"{WWW}{path}": 1
            for path in (
                "/", "/about", "/old", "/new", "/missing", "/report.pdf", "/logo.png", "/meta-nofollow",
                "/nf-target", "/x-robots", "/xr-target", "/cp1251", "/sjis", "/big", "/big-link", "/garbage",
                "/noise",
            )
        },
        **{url: 1 for url in CALENDAR + SESSIONS},
        # Retried twice (RETRY_TIMES), then recorded.
        f"{WWW}/error500": 3,
        f"{WWW}/broken": 3,
        f"{BLOG}/": 1,
        f"{BLOG}/post": 1,
        f"{BLOG}/moved": 1,
        f"{SHOP}/": 1,
        f"{SHOP_BLOG}/": 1,
    }
)


@pytest.fixture(scope="module")
def main_crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("main")
    site = main_site()
    with serve(site) as base:
        # Proxy credentials, so the test can check they stay out of the archive.
        proxy = base.replace("http://", "http://crawler:s3cret@")
        result = crawl(
            tmp,
            f"{WWW}/",
            SHOP,
            "--warc",
            "--crawl-id",
            "test-1",
            "-s",
            f"URLLENGTH_LIMIT={URL_LIMIT}",
            # A part every 16 links or so: the records span several files.
            "-s",
            "LINKS_PARQUET_MAX_ROWS=16",
            proxy=proxy,
            expect=1,  # /broken could not be fetched
        )
    result.site = site
    result.tmp = tmp
    return result


def test_fetches_every_in_scope_page_once_and_nothing_else(main_crawl):
    site = main_crawl.site
    assert site.fetched() == EXPECTED_FETCHES
    assert Counter(h.host for h in site.hits if h.path == "/robots.txt") == Counter(
        {"www.example.com": 1, "blog.example.com": 1, "www.shop.co.uk": 1, "blog.shop.co.uk": 1}
    )
    hit = site.hits[0]
    assert all(h.proxied for h in site.hits)
    assert hit.header("User-Agent").startswith("linkindex/") and "+https://" in hit.header("User-Agent")
    assert hit.header("Proxy-Authorization")  # the credentials were used...


def L(dst, text="", kind="anchor", rel="", page_nofollow=False, internal=True, placement="body"):
    """An expected link record: the fields the test compares, after src_url and position."""
    tokens = rel.split()
    return (
        dst, kind, text, rel, page_nofollow or "nofollow" in tokens, "ugc" in tokens, "sponsored" in tokens,
        page_nofollow, internal, None if kind in ("canonical", "redirect") else placement,
    )  # fmt: skip


EXPECTED_LINKS = {
    f"{WWW}/": [
        L(f"{WWW}/about", "About", placement="nav"),
        L(f"{BLOG}/", "Blog"),
        L(f"{WWW}/old", "Old page"),
        L(f"{WWW}/missing", "Missing"),
        L(f"{WWW}/report.pdf", "Report"),
        L(f"{WWW}/logo.png", "Logo", kind="image"),
        L(f"{WWW}/private/secret", "Secret"),
        L("http://external.org/page", "External", rel="nofollow", internal=False),
        L(f"{WWW}/meta-nofollow", "Meta nofollow"),
        L(f"{WWW}/x-robots", "X-Robots-Tag"),
        L(f"{WWW}/cp1251", "Cyrillic"),
        L(f"{WWW}/sjis", "Japanese"),
        L(f"{WWW}/big", "Big"),
        L(f"{WWW}/garbage", "Garbage"),
        L(f"{WWW}/noise", "Noise"),
        L(CALENDAR[0], "Calendar"),
        L(SESSIONS[0], "Session"),
        L(f"{WWW}/error500", "Error"),
        L(f"{WWW}/broken", "Broken"),
        L(f"{SHOP}/", "Shop", internal=False),
    ],
    f"{WWW}/about": [
        L(f"{WWW}/about", kind="canonical", rel="canonical"),
        L(f"{WWW}/", "Home"),
        L(f"{WWW}/", "Top"),
    ],
    f"{WWW}/old": [L(f"{WWW}/new", kind="redirect")],
    f"{WWW}/meta-nofollow": [
        L(f"{WWW}/nf-target", "Followed anyway", page_nofollow=True),
        L("http://external.org/nf", "Not endorsed", page_nofollow=True, internal=False),
    ],
    f"{WWW}/x-robots": [L(f"{WWW}/xr-target", "XR", page_nofollow=True)],
    f"{WWW}/cp1251": [L(f"{WWW}/", "Главная")],
    f"{WWW}/sjis": [L(f"{WWW}/", "ホームに戻る")],
    # Cut at 10 MB: the links of the part kept are still records.
    f"{WWW}/big": [L(f"{WWW}/big-link", "lost")],
    **{url: [L(after, "next month")] for url, after in zip(CALENDAR, CALENDAR[1:] + [f"{WWW}/calendar/2024/11"])},
    **{url: [L(url.replace("/page", "x1234567/page"), "again")] for url in SESSIONS},
    f"{BLOG}/": [
        L(f"{BLOG}/drafts/one", "Draft"),
        L(f"{BLOG}/post", "Post"),
        L(f"{BLOG}/moved", "Moved"),
        L("http://shop2.co.uk/", "Shop two", internal=False),
    ],
    f"{BLOG}/post": [
        L(f"{SHOP}/", "Buy", rel="sponsored", internal=False, placement="main"),
        L(f"{WWW}/", "Example home"),
        L("http://external.org/ugc", "Comment link", rel="nofollow ugc", internal=False, placement="footer"),
    ],
    f"{BLOG}/moved": [L("http://external.org/landing", kind="redirect", internal=False)],
    f"{SHOP}/": [
        L(f"{SHOP_BLOG}/", "Shop blog"),
        L("http://shop2.co.uk/", "Other shop", internal=False),
        L(f"{WWW}/about", "About Example", internal=False),
    ],
    f"{SHOP_BLOG}/": [
        L(f"{SHOP}/", "Shop home"),
        L(f"{WWW}/", "Example", internal=False),
    ],
}


def test_link_records(main_crawl):
    links = main_crawl.links()
    got = sorted(
        (
            r["src_url"], r["position"], r["dst_url"], r["kind"], r["anchor_text"], r["rel"], r["nofollow"],
            r["ugc"], r["sponsored"], r["page_nofollow"], r["internal"], r["placement"],
        )
        for r in links
    )  # fmt: skip
    expected = sorted(
        (src, position, *link) for src, links in EXPECTED_LINKS.items() for position, link in enumerate(links)
    )
    assert got == expected
    assert {r["crawl_id"] for r in links} == {"test-1"}
    shop_blog = [r for r in links if r["src_url"] == f"{SHOP_BLOG}/"]
    assert [(r["src_domain"], r["dst_domain"], r["dst_surt_host"]) for r in shop_blog] == [
        ("shop.co.uk", "shop.co.uk", "uk.co.shop.www"),
        ("shop.co.uk", "example.com", "com.example.www"),
    ]


def test_pages_rows(main_crawl):
    pages = by_url(main_crawl.pages())
    got = {
        url: (row["status"], row["error"], row["links_out"], row["title"], row["final_url"], row["page_nofollow"])
        for url, row in pages.items()
    }
    expected = {url: (200, None, len(links), None, url, False) for url, links in EXPECTED_LINKS.items()}
    expected.update(
        {
            f"{WWW}/": (200, None, 20, "Example home", f"{WWW}/", False),
            f"{WWW}/about": (200, None, 3, "About", f"{WWW}/about", False),
            f"{WWW}/old": (301, None, 1, None, f"{WWW}/new", False),
            f"{WWW}/new": (200, None, 0, "New", f"{WWW}/new", False),
            f"{WWW}/missing": (404, None, 0, None, f"{WWW}/missing", False),
            f"{WWW}/report.pdf": (200, None, 0, None, f"{WWW}/report.pdf", False),
            f"{WWW}/logo.png": (200, None, 0, None, f"{WWW}/logo.png", False),
            f"{WWW}/meta-nofollow": (200, None, 2, "Meta nofollow", f"{WWW}/meta-nofollow", True),
            f"{WWW}/nf-target": (200, None, 0, "NF target", f"{WWW}/nf-target", False),
            f"{WWW}/x-robots": (200, None, 1, "X-Robots-Tag", f"{WWW}/x-robots", True),
            f"{WWW}/xr-target": (200, None, 0, "XR target", f"{WWW}/xr-target", False),
            f"{WWW}/cp1251": (200, None, 1, "Привет, мир", f"{WWW}/cp1251", False),
            f"{WWW}/sjis": (200, None, 1, "日本語のページ", f"{WWW}/sjis", False),
            f"{WWW}/big": (200, "too_large", 1, "Big", f"{WWW}/big", False),
            f"{WWW}/big-link": (200, None, 0, "Linked from the cut page", f"{WWW}/big-link", False),
            f"{WWW}/garbage": (200, "binary", 0, None, f"{WWW}/garbage", False),
            f"{WWW}/noise": (200, None, 0, None, f"{WWW}/noise", False),
            f"{WWW}/error500": (500, None, 0, None, f"{WWW}/error500", False),
            f"{WWW}/broken": (None, "download_error", 0, None, f"{WWW}/broken", False),
            f"{BLOG}/": (200, None, 4, "Blog", f"{BLOG}/", False),
            f"{BLOG}/post": (200, None, 3, "Post", f"{BLOG}/post", False),
            f"{BLOG}/moved": (302, None, 1, None, "http://external.org/landing", False),
            f"{SHOP}/": (200, None, 3, "Shop", f"{SHOP}/", False),
            f"{SHOP_BLOG}/": (200, None, 2, "Shop blog", f"{SHOP_BLOG}/", False),
        }
    )
    for url in CALENDAR:
        year, month = url.rsplit("/", 2)[1:]
        expected[url] = (200, None, 1, f"Calendar {year}-{int(month):02d}", url, False)
    for url in SESSIONS:
        expected[url] = (200, None, 1, f"Session {url.split('/')[-2]}", url, False)
    assert got == expected
    # Every fetched URL has a row; no row for what was never fetched.
    assert set(pages) == set(EXPECTED_FETCHES)

    assert pages[f"{WWW}/cp1251"]["charset"] == "cp1251"
    assert pages[f"{WWW}/sjis"]["charset"] in ("shift_jis", "cp932")
    assert pages[f"{WWW}/"]["charset"] == "utf-8"
    assert pages[f"{WWW}/report.pdf"]["content_type"] == "application/pdf"
    assert pages[f"{WWW}/report.pdf"]["charset"] is None
    assert pages[f"{WWW}/big"]["content_length"] == 10 * 1024 * 1024 < len(BIG)  # cut off at the limit
    assert pages[f"{WWW}/"]["content_type"] == "text/html; charset=utf-8"
    assert all(row["crawl_id"] == "test-1" for row in pages.values())


def test_stats(main_crawl):
    stats = main_crawl.stats
    links, pages = main_crawl.links(), main_crawl.pages()
    assert stats["finish_reason"] == "finished"
    assert stats["seeds/valid"] == 2
    assert stats["pages/seen"] == len(pages) == stats["parquet/rows/pages"]
    assert stats["links/extracted"] == len(links) == stats["parquet/rows/links"]
    parts = record_files(main_crawl.data, "links") + record_files(main_crawl.data, "pages")
    assert stats["parquet/files_written"] == len(parts) > 2
    assert {
        key: stats.get(key, 0)
        for key in (
            "robotstxt/forbidden",
            "pages/skipped/depth",
            "pages/skipped/url_too_long",
            "pages/partial/too_large",
            "pages/skipped/binary",
            "pages/skipped/budget",
            "pages/redirect",
            "pages/http_error",
            "pages/non_html",
            "pages/failed/download_error",
            "offsite/refused_private",
            "links/skipped/non_web",
        )
    } == {
        "robotstxt/forbidden": 2,  # /private/secret, blog's /drafts/one
        "pages/skipped/depth": 1,  # the 11th month
        "pages/skipped/url_too_long": 1,  # the 8th session id
        "pages/partial/too_large": 1,
        "pages/skipped/binary": 1,
        "pages/skipped/budget": 0,
        "pages/redirect": 2,
        "pages/http_error": 2,  # 404, 500
        "pages/non_html": 2,  # PDF, PNG
        "pages/failed/download_error": 1,
        "offsite/refused_private": 0,  # names behind a proxy are the proxy's business
        "links/skipped/non_web": 1,  # mailto:
    }
    # The end-of-run summary.
    assert "pages" in main_crawl.stdout and f"{len(pages):,}" in main_crawl.stdout
    # A normal crawl is quiet: no Scrapy log, no component disabled with a warning, no deprecated API; the
    # page that could not be fetched is counted in the summary (in words) and said once on stderr.
    assert " INFO: " not in main_crawl.stderr and "WARNING" not in main_crawl.stderr
    assert "DeprecationWarning" not in main_crawl.stderr
    assert "failed: broken response" in main_crawl.stdout and "refused: robots.txt" in main_crawl.stdout
    assert main_crawl.stderr.strip() == "1 page(s) could not be fetched: see the summary"


def test_index_tables(main_crawl):
    index = pytest.importorskip("linkindex.index")
    index.build(main_crawl.data)
    con = index.open_index(main_crawl.data)
    try:
        referring = con.execute(
            "select target_domain, referring_domain, backlinks, dofollow_backlinks, linked_pages "
            "from referring_domains where target_domain in ('example.com', 'shop.co.uk') order by all"
        ).fetchall()
        anchors = con.execute(
            "select anchor_text, backlinks, referring_domains, dofollow_backlinks, share "
            "from anchor_distribution where target_domain = 'shop.co.uk' order by all"
        ).fetchall()
        inbound = con.execute(
            "select dst_url, src_url, anchor_text, kind, nofollow, occurrences, dst_status from inbound_links "
            "where dst_domain in ('external.org', 'example.com') order by all"
        ).fetchall()
    finally:
        con.close()
    assert referring == [
        ("example.com", "shop.co.uk", 2, 2, 2),
        ("shop.co.uk", "example.com", 2, 2, 1),
    ]
    assert anchors == [("Buy", 1, 1, 1, 0.5), ("Shop", 1, 1, 1, 0.5)]
    assert inbound == [
        ("http://external.org/landing", f"{BLOG}/moved", "", "redirect", False, 1, None),
        ("http://external.org/nf", f"{WWW}/meta-nofollow", "Not endorsed", "anchor", True, 1, None),
        ("http://external.org/page", f"{WWW}/", "External", "anchor", True, 1, None),
        ("http://external.org/ugc", f"{BLOG}/post", "Comment link", "anchor", True, 1, None),
        (f"{WWW}/", f"{SHOP_BLOG}/", "Example", "anchor", False, 1, 200),
        (f"{WWW}/about", f"{SHOP}/", "About Example", "anchor", False, 1, 200),
    ]


def test_report_on_each_kind_of_target(main_crawl):
    data = main_crawl.data
    assert linkindex("build", "--data", data).returncode == 0

    def backlinks(*target) -> tuple[int, str]:
        done = linkindex("report", *target, "--data", data)
        found = re.search(r"Backlinks\s+│\s+([\d,]+)", done.stdout)
        title = re.search(r"Backlink profile of (.+?) \(mode (\w+)\)", done.stdout)
        return done.returncode, (int(found[1]) if found else 0), (title.groups() if title else done.stderr)

    # The backlinks of the site (see EXPECTED_LINKS): shop.co.uk's pages link to www.example.com's / and
    # /about; www.example.com and blog.example.com link out to external.org four times.
    assert backlinks("example.com") == (0, 2, ("example.com", "domain"))
    assert backlinks(f"{WWW}/about") == (0, 1, (f"{WWW}/about", "exact"))
    subdomains = ("www.example.com and its subdomains", "subdomains")
    assert backlinks("www.example.com", "--mode", "subdomains") == (0, 2, subdomains)
    assert backlinks("http://external.org/", "--mode", "prefix") == (0, 4, ("http://external.org/*", "prefix"))
    missing = backlinks("blog.example.com", "--mode", "subdomains")
    assert missing[:2] == (1, 0)
    assert "No backlinks to blog.example.com and its subdomains (mode subdomains)" in missing[2]


def warc_records(path: Path):
    with open(path, "rb") as stream:
        for record in ArchiveIterator(stream):
            yield record, record.content_stream().read()


def test_warc_archive_records_every_response(main_crawl):
    files = sorted((main_crawl.data / "warc").iterdir())
    assert files and all(f.name.endswith(".warc.gz") for f in files)  # none left open
    responses, requests = {}, {}
    for path in files:
        records = list(warc_records(path))
        assert records[0][0].rec_type == "warcinfo"
        for record, payload in records[1:]:
            headers = record.rec_headers
            assert headers.get_header("WARC-Date")
            if record.rec_type == "response":
                assert headers.get_header("WARC-Payload-Digest").startswith("sha1:")
                assert headers.get_header("WARC-IP-Address") == "127.0.0.1"  # the proxy's
                responses[headers.get_header("WARC-Target-URI")] = (record, payload)
            else:
                assert record.rec_type == "request"
                assert record.http_headers.get_header("Proxy-Authorization") is None
                requests[headers.get_header("WARC-Target-URI")] = record
    # The retried URLs are archived once, as the response recorded.
    fetched = {url for url in EXPECTED_FETCHES if url != f"{WWW}/broken"}
    assert set(responses) == set(requests) == fetched
    big, body = responses[f"{WWW}/big"]
    assert big.rec_headers.get_header("WARC-Truncated") == "length"
    assert len(body) == 10 * 1024 * 1024 < len(BIG)
    assert responses[f"{WWW}/cp1251"][1] == CP1251
    assert requests[f"{WWW}/about"].http_headers.get_header("Host") == "www.example.com"
    for path in files:
        assert b"s3cret" not in path.read_bytes()

    # pages.warc_file / warc_offset point at each page's response record.
    pages = by_url(main_crawl.pages())
    for url in (f"{WWW}/about", f"{BLOG}/moved", f"{WWW}/sjis"):
        row = pages[url]
        with open(row["warc_file"], "rb") as stream:
            stream.seek(row["warc_offset"])
            record = next(iter(ArchiveIterator(stream)))
            assert (record.rec_type, record.rec_headers.get_header("WARC-Target-URI")) == ("response", url)
    assert pages[f"{WWW}/broken"]["warc_file"] is None


def test_extracting_the_warc_archive_reproduces_the_link_records(main_crawl, tmp_path):
    warcs = sorted((main_crawl.data / "warc").glob("*.warc.gz"))
    result = linkindex("extract", *warcs, "--data", tmp_path / "again", "--crawl-id", "test-1", "--no-progress")
    assert result.returncode == 0, result.stdout + result.stderr

    def rows(records):
        return sorted(tuple(r[name] for name in LINKS_SCHEMA.names) for r in records)

    assert rows(read_records(tmp_path / "again", "links")) == rows(main_crawl.links())

    fields = [n for n in PAGES_SCHEMA.names if n != "warc_file"]
    crawled = {url: row for url, row in by_url(main_crawl.pages()).items() if row["warc_file"]}
    # The server's address (the proxy's, here) travels through WARC-IP-Address.
    assert {row["ip_address"] for row in crawled.values()} == {"127.0.0.1"}
    extracted = by_url(read_records(tmp_path / "again", "pages"))
    assert {u: [r[n] for n in fields] for u, r in extracted.items()} == {
        u: [r[n] for n in fields] for u, r in crawled.items()
    }


def test_extracting_reproduces_a_crawl_with_a_smaller_page_limit(tmp_path, site_server):
    # The page is cut at the limit in the crawl and archived cut, with
    # WARC-Truncated: length; both read the links of the part kept.
    big = html("Big", '<a href="/kept">kept</a>', "<p>padding</p>" * 4000, '<a href="/lost">lost</a>')
    site = Site({"www.example.com": {"/": html("Home", '<a href="/big">big</a>'), "/big": big}})
    result = crawl(tmp_path, f"{WWW}/", "--warc", "-s", "LINKINDEX_MAX_PAGE_BYTES=20000", proxy=site_server(site))
    crawled = sorted((r["src_url"], r["dst_url"], r["position"]) for r in result.links())
    assert crawled == [(f"{WWW}/", f"{WWW}/big", 0), (f"{WWW}/big", f"{WWW}/kept", 0)]
    warcs = sorted((result.data / "warc").glob("*.warc.gz"))
    assert linkindex("extract", *warcs, "--data", tmp_path / "again", "--no-progress").returncode == 0
    again = read_records(tmp_path / "again", "links")
    assert sorted((r["src_url"], r["dst_url"], r["position"]) for r in again) == crawled
    pages = by_url(read_records(tmp_path / "again", "pages"))
    assert pages[f"{WWW}/big"]["error"] == "too_large"


def test_scrapy_crawl_from_the_project_root_writes_records(tmp_path):
    """``scrapy crawl links -a seeds=...`` with scrapy.cfg and no data setting: ./linkindex-data."""
    site = Site({"www.example.com": {"/": html("Home", '<a href="/a">A</a>'), "/a": html("A")}})
    (tmp_path / "scrapy.cfg").write_text((ROOT / "scrapy.cfg").read_text())
    with serve(site) as base:
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "links", "-a", f"seeds={WWW}/", *FAST],
            env=command_env(base),
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0, result.stderr[-4000:]
    assert site.fetched() == Counter({f"{WWW}/": 1, f"{WWW}/a": 1})
    pages = read_records(tmp_path / "linkindex-data", "pages")
    assert sorted(p["url"] for p in pages) == [f"{WWW}/", f"{WWW}/a"]
    assert {p["crawl_id"] for p in pages} == {"default"}
    assert [r["dst_url"] for r in read_records(tmp_path / "linkindex-data", "links")] == [f"{WWW}/a"]


# -- what the terminal shows, exit codes ---------------------------------------


def test_the_full_log_goes_to_a_file_and_the_terminal_stays_quiet(tmp_path, site_server):
    site = Site({"www.example.com": {"/": html("Home", '<a href="/a">A</a>'), "/a": html("A")}})
    log = tmp_path / "crawl.log"
    result = crawl(
        tmp_path, f"{WWW}/", "--log-file", log, "-s", "LINKINDEX_PROGRESS_INTERVAL=0.2", proxy=site_server(site)
    )
    assert site.fetched() == Counter({f"{WWW}/": 1, f"{WWW}/a": 1})
    assert "[scrapy.core.engine] INFO: Spider opened" in log.read_text()
    assert "[scrapy" not in result.stderr and "INFO" not in result.stderr


def test_a_crawl_that_fetches_no_seed_says_why_and_exits_1(tmp_path, site_server):
    site = Site({"www.closed.com": {"/robots.txt": robots("User-agent: *\nDisallow: /\n"), "/": html("Closed")}})
    result = crawl(tmp_path, "http://www.closed.com/", "http://10.1.2.3/", "-v", proxy=site_server(site), expect=1)
    assert site.fetched() == Counter()
    # Each seed is said when it fails, then again at the end, with the reason.
    lines = result.stderr.splitlines()
    assert lines[-3:] == [
        "error: no seed could be fetched:",
        "  http://10.1.2.3/: 10.1.2.3 is on a private network (allow with --allow-private-networks)",
        "  http://www.closed.com/: robots.txt of www.closed.com forbids it",
    ]
    assert "WARNING: seed http://www.closed.com/ not fetched: robots.txt of www.closed.com forbids it" in result.stderr
    assert "[scrapy.core.engine] INFO: Spider opened" in result.stderr  # -v: the full log
    assert "refused: robots.txt" in result.stdout and "refused: private network" in result.stdout


def wait_for_pages(site: Site, count: int, process, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while len(site.page_hits()) < count:
        assert process.poll() is None, "the crawl ended before it was interrupted"
        assert time.monotonic() < deadline, "the crawl fetched too little"
        time.sleep(0.02)


def test_ctrl_c_then_the_same_command_continues_the_crawl(tmp_path, site_server):
    # 120 slow pages on two hosts of one domain, a budget of 100: the crawl is
    # stopped after some 20 pages (of at least 2.5 s of work) and continued to its end.
    hosts = ["www.resume.com", "blog.resume.com"]
    site = generated_site(hosts, 60, delay=0.05, external="elsewhere.example")
    base = site_server(site)
    data = tmp_path / "data"
    command = [
        "crawl", "--data", data, "--crawl-id", "c1", "--max-pages-per-domain", "100", *FAST,
        "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=1",
    ]  # fmt: skip
    first = subprocess.Popen(
        [sys.executable, "-m", "linkindex.cli", *map(str, command), "http://www.resume.com/p/0"],
        env=command_env(base),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        wait_for_pages(site, 20, first)
        # Nobody else may run this crawl meanwhile: its queue is this process's.
        with pytest.raises(JobError, match="crawl c1 is running in another process"):
            CrawlJob(data, "c1").lock()
        os.killpg(first.pid, signal.SIGINT)  # as a terminal's Ctrl-C does
        out, err = first.communicate(timeout=30)
    finally:
        if first.poll() is None:
            first.kill()
    assert first.returncode == 130, err[-4000:]
    assert err.strip().splitlines()[-1] == (
        "interrupted: run `linkindex crawl --data "
        f"{data} --crawl-id c1` to continue where it stopped, with --restart to start over"
    )
    fetched_first = len(read_records(data, "pages"))
    assert 20 <= fetched_first < 100

    # The seed may be left out: the crawl knows its own.
    second = linkindex(*command, proxy=base, cwd=tmp_path)
    assert second.returncode == 0, second.stderr[-4000:]
    assert second.stderr.splitlines()[0] == f"resuming crawl c1: {fetched_first:,} pages already fetched"
    fetched = site.fetched()
    assert set(fetched.values()) == {1}, "a page was fetched twice across the two runs"
    assert len(fetched) == 100  # one budget across both runs
    assert {p["url"] for p in read_records(data, "pages")} == set(fetched)  # the first run's records stay

    # Finished: nothing to continue. --restart crawls it again.
    again = linkindex(*command, proxy=base, cwd=tmp_path)
    assert again.returncode == 0 and "crawl c1 is finished (100 pages fetched)" in again.stderr
    assert sum(site.fetched().values()) == 100
    restarted = linkindex(*command, "--restart", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8", proxy=base, cwd=tmp_path)
    assert restarted.returncode == 0 and "starting crawl c1 over" in restarted.stderr
    assert sum(site.fetched().values()) == 200


# -- limits --------------------------------------------------------------------


def test_depth_and_page_budget_with_a_seeds_file(tmp_path, site_server):
    chain = {f"/{i}": html(f"Chain {i}", f'<a href="/{i + 1}">next</a>') for i in range(10)}
    wide = {f"/{i}": html(f"Wide {i}") for i in range(1, 6)}
    # Ten links over two hosts of one registered domain: one budget.
    wide_links = [f'<a href="http://{host}.wide.com{path}">{path}</a>' for host in ("www", "img") for path in wide]
    site = Site(
        {
            "www.deep.com": chain,
            "www.wide.com": {"/": html("Wide", *wide_links), **wide},
            "img.wide.com": wide,
        }
    )
    base = site_server(site)
    seeds = tmp_path / "seeds.txt"
    seeds.write_text("# two seeds\nhttp://www.deep.com/0\n\nhttp://www.wide.com/   # the wide one\n")
    result = crawl(tmp_path, "--seeds-file", seeds, "--max-depth", "2", "--max-pages-per-domain", "5", proxy=base)

    fetched = site.fetched()
    assert Counter({u: n for u, n in fetched.items() if "deep" in u}) == Counter(
        {"http://www.deep.com/0": 1, "http://www.deep.com/1": 1, "http://www.deep.com/2": 1}
    )
    wide_fetched = [u for u in fetched if "wide" in u]
    assert "http://www.wide.com/" in wide_fetched
    assert len(wide_fetched) == 5 and set(fetched.values()) == {1}
    stats = result.stats
    assert stats["seeds/valid"] == 2
    assert stats["pages/skipped/depth"] == 1  # deep.com/3
    assert stats["pages/skipped/budget"] == 6  # 11 wide.com pages, 5 fetched
    assert stats["pages/seen"] == 8


def test_crawl_delay_and_setting_overrides(tmp_path, site_server):
    site = Site(
        {
            "www.slow.com": {
                "/robots.txt": robots("User-agent: *\nCrawl-delay: 0.5\n"),
                "/": html("Slow", '<a href="/1">1</a>', '<a href="/2">2</a>', '<a href="/big">big</a>'),
                "/1": html("One"),
                "/2": html("Two"),
                "/big": html("Big", '<a href="/kept">kept</a>', "<p>padding</p>" * 4000, '<a href="/lost">lost</a>'),
                "/kept": html("Kept"),
            },
            "www.fast.com": {"/": html("Fast", '<a href="/1">1</a>'), "/1": html("1")},
        }
    )
    base = site_server(site)
    result = crawl(
        tmp_path, "http://www.slow.com/", "http://www.fast.com/", "-s", "LINKINDEX_MAX_PAGE_BYTES=20000", proxy=base
    )
    pages = [h for h in site.hits_of("www.slow.com") if h.path != "/robots.txt"]
    assert sorted(h.path for h in pages) == ["/", "/1", "/2", "/big", "/kept"]
    gaps = [b.at - a.at for a, b in zip(pages, pages[1:])]
    # Scrapy spaces requests by when it hands them to the network; on a loaded
    # machine one can leave late and the next on time, so the server sees a
    # shorter gap than the crawler kept. Well above the 0.1 s of no delay.
    assert min(gaps) >= 0.35, gaps
    assert sum(gaps) / len(gaps) >= 0.5, gaps
    assert result.stats["robotstxt/crawl_delay_hosts"] == 1
    # The -s override: a 56 KB page is over the limit.
    big = by_url(result.pages())["http://www.slow.com/big"]
    assert (big["status"], big["error"], big["links_out"]) == (200, "too_large", 1)
    assert big["content_length"] == 20000
    assert result.stats["pages/partial/too_large"] == 1


# -- the private-network guard ------------------------------------------------


def closed_port() -> int:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        return listener.getsockname()[1]


def test_loopback_destinations_are_refused_unless_allowed(tmp_path, site_server):
    site = Site(
        {
            "127.0.0.1": {"/": html("Local", '<a href="/inner">inner</a>'), "/inner": html("Inner")},
            "www.example.com": {"/": html("Home")},
        }
    )
    base = site_server(site)
    port = base.rsplit(":", 1)[1]
    refused = crawl(tmp_path / "refused", base + "/", f"http://localhost:{port}/", f"http://[::1]:{port}/", expect=1)
    assert site.hits == []
    assert refused.stats["offsite/refused_private"] == 3
    assert refused.stats.get("pages/seen", 0) == 0
    # Logged once per host, though robots.txt and the page were both refused.
    assert refused.stderr.count("refusing 127.0.0.1") == 1

    # Allowed; and no_proxy sends 127.0.0.1 straight to the server, the rest through the proxy.
    closed = f"http://127.0.0.1:{closed_port()}/"
    allowed = crawl(
        tmp_path / "allowed",
        *(base + "/", closed, f"{WWW}/"),
        "--allow-private-networks",
        proxy=base,
        no_proxy="127.0.0.1",
        expect=1,  # the closed port
    )
    assert sorted((h.host, h.path, h.proxied) for h in site.hits) == [
        ("127.0.0.1", "/", False),
        ("127.0.0.1", "/inner", False),
        ("127.0.0.1", "/robots.txt", False),
        ("www.example.com", "/", True),
        ("www.example.com", "/robots.txt", True),
    ]
    assert "offsite/refused_private" not in allowed.stats
    pages = {p["url"]: (p["status"], p["error"]) for p in allowed.pages()}
    assert pages == {
        f"{base}/": (200, None),
        f"{base}/inner": (200, None),
        f"{WWW}/": (200, None),
        closed: (None, "connection"),
    }
    assert allowed.stats["pages/failed/connection"] == 1


def test_behind_a_proxy_names_pass_and_private_ip_literals_are_refused(tmp_path, site_server):
    site = Site({"www.example.com": {"/": html("Home")}, "169.254.169.254": {"/latest/meta-data/": html("Secrets")}})
    base = site_server(site)
    result = crawl(tmp_path, f"{WWW}/", "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", proxy=base)
    assert site.fetched() == Counter({f"{WWW}/": 1})
    assert result.stats["offsite/refused_private"] == 2
    # The crawl goes on with the seed it could fetch; the others are said again at its end.
    assert result.stderr.splitlines()[-3:] == [
        "warning: 2 seed(s) could not be fetched:",
        "  http://10.0.0.1/: 10.0.0.1 is on a private network (allow with --allow-private-networks)",
        "  http://169.254.169.254/latest/meta-data/: 169.254.169.254 is on a private network (allow with "
        "--allow-private-networks)",
    ]


# -- a killed crawl -----------------------------------------------------------


def test_a_killed_crawl_leaves_only_complete_files(tmp_path, site_server):
    # A binary tree of slow pages: far more than the crawl gets through before it is killed.
    tree = {
        f"/p/{i}": html(f"Page {i}", f'<a href="/p/{2 * i + 1}">L</a>', f'<a href="/p/{2 * i + 2}">R</a>', delay=0.05)
        for i in range(4000)
    }
    site = Site({"www.big.com": tree})
    base = site_server(site)
    data = tmp_path / "data"
    args = [
        "crawl", "http://www.big.com/p/0", "--data", data, "--warc", *FAST,
        "-s", "LINKS_PARQUET_MAX_SECONDS=0.5", "-s", "WARC_ARCHIVE_MAX_BYTES=20000",
        "-s", "LINKINDEX_PROGRESS_INTERVAL=0.5", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=8",
    ]  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "linkindex.cli", *map(str, args)],
        env=command_env(base),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while len(record_files(data, "pages")) < 3:
            assert process.poll() is None, "the crawl ended before it was killed"
            assert time.monotonic() < deadline, "no Parquet parts written during the crawl"
            time.sleep(0.05)
        process.send_signal(signal.SIGKILL)
        stderr = process.communicate(timeout=10)[1]
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == -signal.SIGKILL
    assert " pages, " in stderr and " pages/s, " in stderr  # the progress line
    for marker in CODE_ERRORS:
        assert marker not in stderr, stderr[-4000:]

    # Every file a reader would pick up is whole: readable, and each pages part
    # has the links of exactly its pages in the links part of the same name.
    # (A flush writes links first: a kill between the two leaves links that
    # the index drops, as they have no pages row; never pages without links.)
    pages_parts, links_parts = record_files(data, "pages"), record_files(data, "links")
    assert len(pages_parts) >= 3
    assert {p.name for p in pages_parts} <= {p.name for p in links_parts}
    assert len(links_parts) - len(pages_parts) <= 1
    fetched = set(site.fetched())
    for pages_part in pages_parts:
        pages = pq.read_table(pages_part).to_pylist()
        links = pq.read_table(pages_part.parent.parent.parent / "links" / pages_part.parent.name / pages_part.name)
        assert sum(p["links_out"] for p in pages) == links.num_rows == 2 * len(pages)
        assert {p["url"] for p in pages} <= fetched
    # Leftovers are hidden or marked unfinished, never under a final name
    # (jobs/ holds the crawl's queue for the next run, not records).
    for path in data.rglob("*"):
        if path.is_file() and not path.name.endswith((".parquet", ".warc.gz")) and "jobs" not in path.parts:
            assert path.name.startswith(".") or path.name.endswith(".open"), path
    # WARC files closed by rotation are complete.
    closed = sorted((data / "warc").glob("*.warc.gz"))
    assert closed
    for path in closed:
        types = [record.rec_type for record, _ in warc_records(path)]
        assert types[0] == "warcinfo" and types.count("response") == types.count("request") >= 1

"""The extractor against other projects' link-extraction tests and real pages.

- Common Crawl's WAT link-extraction test WARC (ia-web-commons): its expected
  list, filtered to what we extract (a@href, area@href, link rel=canonical,
  meta refresh), resolved as a browser does.
- Scrapy's link-extractor samples: the same links as Scrapy's LinkExtractor
  wherever the two sets of rules agree; the differences are listed below.
- web-platform-tests' meta refresh parsing cases.
- The 876 real pages of the shared corpus (``shared/data/html`` beside the
  repository), when present: no exception, and the time per page.

Sources and licences: tests/data/ATTRIBUTION.md.
"""

import gzip
import json
from pathlib import Path
import time

import pytest
from scrapy.http import HtmlResponse
from scrapy.linkextractors import LinkExtractor
from warcio.archiveiterator import ArchiveIterator

from crawler.extractor import _collapse, extract_links, refresh_url
from crawler.urls import resolve, strip_fragment

CONFORMANCE = Path(__file__).parent / "data" / "conformance"
#: The shared real-page corpus, beside the repository (see its MANIFEST.md).
SHARED_HTML = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "html"


def records(page):
    return [link._asdict() for link in page.links]


# --- ia-web-commons (Common Crawl WAT extractor) ---------------------------------

IA = CONFORMANCE / "ia-web-commons"
IA_EXPECTED = json.loads((IA / "link-extraction-test.expected.json").read_text(encoding="utf-8"))["records"]
#: Expected paths we extract, and the kinds our records have for them.
IA_KINDS = {"A@/href": ("anchor", "image"), "AREA@/href": ("area",), "__meta_refresh__": ("redirect",)}
#: Where the HTML5 tree differs from ia-web-commons' (non-HTML5) parser.
IA_SPLIT_ANCHORS = {
    # <p><a>text<ul><li>...</ul></a></p>: the <ul> closes the <p> and the <a>;
    # the parser reopens the <a> inside the list and again after it, so a
    # browser's DOM has three links where ia-web-commons sees one. Their text
    # together is ia-web-commons' anchor text.
    "exampleLinks": 3,
}


def _ia_responses():
    with open(IA / "link-extraction-test.warc", "rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type == "response":
                yield (
                    record.rec_headers.get_header("WARC-Target-URI").strip("<>"),
                    record.http_headers.get_header("Content-Type"),
                    record.content_stream().read(),
                )


IA_PAGES = list(zip(IA_EXPECTED, _ia_responses(), strict=True))


def _ia_expected_links(expected, url):
    base = url
    for link in expected["links"]:
        if link["path"] == "__base__":
            base = resolve(url, link["url_as_written"])
    wanted = []
    for link in expected["links"]:
        path = link["path"]
        if path in IA_KINDS or (path == "LINK@/href" and link.get("rel") == "canonical"):
            wanted.append(
                {
                    "dst_url": strip_fragment(resolve(base, link["url_as_written"])),
                    "kinds": IA_KINDS.get(path, ("canonical",)),
                    "text": link.get("text"),
                }
            )
    return wanted


@pytest.mark.parametrize(("expected", "response"), IA_PAGES, ids=[page[0]["array"] for page in IA_PAGES])
def test_ia_web_commons_link_extraction(expected, response):
    url, content_type, body = response
    assert url == expected["warc_target_uri"].strip("<>")
    page = extract_links(body, url, content_type)
    assert (page.title or None) == expected["expected_title"]  # they report an empty title as null
    wanted = _ia_expected_links(expected, url)
    ours = records(page)
    split = IA_SPLIT_ANCHORS.get(expected["array"])
    if split:
        (only,) = wanted
        assert [link["dst_url"] for link in ours] == [only["dst_url"]] * split
        assert _collapse(" ".join(link["anchor_text"] for link in ours)) == only["text"]
        return
    assert [link["dst_url"] for link in ours] == [link["dst_url"] for link in wanted]
    for link, want in zip(ours, wanted):
        assert link["kind"] in want["kinds"]
        if want["text"] is not None:
            assert link["anchor_text"] == _collapse(want["text"])


def test_ia_web_commons_counts():
    """Of the 68 links ia-web-commons finds, 19 are of the kinds we extract."""
    assert sum(len(page["links"]) for page in IA_EXPECTED) == 68
    total = sum(len(_ia_expected_links(page, page["warc_target_uri"].strip("<>"))) for page in IA_EXPECTED)
    assert total == 19


def test_ia_web_commons_rel_nofollow():
    expected, (url, content_type, body) = next(p for p in IA_PAGES if p[0]["array"] == "escapedEntitiesLinks")
    links = records(extract_links(body, url, content_type))
    assert [(link["kind"], link["rel"], link["nofollow"]) for link in links] == [
        ("redirect", "", False),
        ("anchor", "", False),
        ("anchor", "nofollow", True),
    ]


# --- Scrapy's LinkExtractor --------------------------------------------------------
#
# Where the rules differ, and how the comparison accounts for it:
# - Scrapy dedupes links by default: compared with unique=False.
# - Scrapy keeps the fragment in the URL: stripped from its URLs.
# - Scrapy extracts ftp: links: only http(s) compared.
# - Scrapy's text is the element's text, stripped but not collapsed, with no
#   word break at block boundaries; ours collapses whitespace and separates
#   blocks. Scrapy's text is collapsed before comparing.
# - An <area> has no text in Scrapy; ours is its alt. A link whose only
#   content is images has no text in Scrapy; ours is their alt (kind image).
#   Both compared as ''.
# - nofollow in Scrapy is rel=nofollow only; ours is also true when the page
#   says nofollow (robots meta, X-Robots-Tag). None of these pages does.

SCRAPY = CONFORMANCE / "scrapy"


def _scrapy_links(body, url, encoding=None):
    response = HtmlResponse(url=url, body=body, encoding=encoding)
    extractor = LinkExtractor(unique=False, deny_extensions=())
    return [
        (strip_fragment(link.url), _collapse(link.text), link.nofollow)
        for link in extractor.extract_links(response)
        if link.url.startswith(("http://", "https://"))
    ]


def _our_links(body, url, content_type=None):
    return [
        (link["dst_url"], "" if link["kind"] in ("area", "image") else link["anchor_text"], link["nofollow"])
        for link in records(extract_links(body, url, content_type))
        if link["kind"] in ("anchor", "image", "area")
    ]


def test_scrapy_linkextractor_expected_list():
    """Scrapy's own expectation (test_extract_all_links), under our rules."""
    page = extract_links((SCRAPY / "linkextractor.html").read_bytes(), "http://example.com/index")
    assert [(link["dst_url"], link["anchor_text"], link["kind"]) for link in records(page)] == [
        ("http://example.com/sample1.html", "sample1", "area"),  # Scrapy: text ''
        ("http://example.com/sample2.html", "sample 2", "anchor"),
        ("http://example.com/sample3.html", "sample 3 text", "anchor"),
        ("http://example.com/sample3.html", "sample 3 repetition", "anchor"),  # Scrapy dedupes
        ("http://example.com/sample3.html", "sample 3 repetition", "anchor"),  # Scrapy dedupes
        ("http://example.com/sample3.html", "sample 3 repetition with fragment", "anchor"),  # Scrapy: #foo
        ("http://www.google.com/something", "", "anchor"),
        ("http://example.com/innertag.html", "inner tag", "anchor"),
        ("http://example.com/page%204.html", "href with whitespaces", "anchor"),
    ]


@pytest.mark.parametrize("name", ["linkextractor.html", "linkextractor_noenc.html", "linkextractor_no_href.html"])
def test_scrapy_samples(name):
    body = (SCRAPY / name).read_bytes()
    assert _our_links(body, "http://example.com/index") == _scrapy_links(body, "http://example.com/index")


def test_scrapy_latin1_sample_declares_no_browser_label():
    # The page says charset=latin-1 over UTF-8 bytes. "latin-1" is a Python
    # codec name (so Scrapy decodes windows-1252 and gets "sample Ã¡ text")
    # but not an Encoding Standard label: a browser ignores it and, the bytes
    # being valid UTF-8, reads UTF-8.
    body = (SCRAPY / "linkextractor_latin1.html").read_bytes()
    page = extract_links(body, "http://example.com/index")
    assert page.charset == "utf-8"
    assert [(link["dst_url"], link["anchor_text"], link["kind"]) for link in records(page)] == [
        ("http://example.com/sample_%C3%B1.html", "sample2", "image"),
        ("http://example.com/sample_%C3%A1.html", "sample \u00e1 text", "anchor"),
        ("http://example.com/sample_%C3%B6.html?price=%C2%A332&%C2%B5=unit", "sample3", "image"),
    ]
    assert _scrapy_links(body, "http://example.com/index")[1][1] == "sample \u00c3\u00a1 text"


# Inline documents from Scrapy's tests/test_linkextractors.py.
SCRAPY_INLINE = {
    "nofollow": (
        b"""<html><head><title>Page title</title></head>
        <body>
        <div class='links'><p><a href="/about.html">About us</a></p></div>
        <div><p><a href="/follow.html">Follow this link</a></p></div>
        <div><p><a href="/nofollow.html" rel="nofollow">Dont follow this one</a></p></div>
        <div><p><a href="/nofollow2.html" rel="blah">Choose to follow or not</a></p></div>
        <div><p><a href="http://google.com/something" rel="external nofollow">External link not to follow</a></p></div>
        </body></html>""",
        "http://example.org/somepage/index.html",
        None,
    ),
    "encoding_windows_1252": (
        b"""<html><head><title>Page title</title></head>
        <body><p><a href="item/12.html">Item 12</a></p>
        <div class='links'><p><a href="/about.html">About us\xa3</a></p></div>
        </body></html>""",
        "http://example.org/somepage/index.html",
        "windows-1252",
    ),
    "html_entities_iso8859_15": (
        b'<html><body><p><a href="/&hearts;/you?c=&euro;">text</a></p></body></html>',
        "http://example.org/somepage/index.html",
        "iso8859-15",
    ),
    "gb18030": (
        b"""<html><body><div><a href="/foo">&gt;\xbe\xa9&lt;\xb6\xab</a></body></html>""",
        "http://example.org",
        "gb18030",
    ),
    "encoded_url": (b"""<html><body><div><a href="?page=2">BinB</a></body></html>""", "http://known.fm/AC%2FDC/", "utf8"),
    "base_url": (
        b"""<html><head><title>Page title</title><base href="http://otherdomain.com/base/" /></head>
        <body><p><a href="item/12.html">Item 12</a></p></body></html>""",
        "http://example.org/somepage/index.html",
        None,
    ),
    "wrong_href": (
        b"""<a href="http://example.org/item1.html">Item 1</a>
        <a href="http://[example.org/item2.html">Item 2</a>
        <a href="http://example.org/item3.html">Item 3</a>""",
        "http://example.org/index.html",
        None,
    ),
    "bad_port": (
        b"""<a href="http://example.org:non-port">Why would you do this?</a>
        <a href="http://example.org/item2.html">Good Link</a>""",
        "http://example.org/index.html",
        None,
    ),
    "ftp": (
        b"""<html><body><div><a href="ftp://www.external.com/">An Item</a></div></body></html>""",
        "http://www.example.com/index.html",
        "utf8",
    ),
}


@pytest.mark.parametrize("name", sorted(SCRAPY_INLINE))
def test_scrapy_inline_documents(name):
    body, url, encoding = SCRAPY_INLINE[name]
    content_type = f"text/html; charset={encoding}" if encoding else None
    assert _our_links(body, url, content_type) == _scrapy_links(body, url, encoding)


def test_scrapy_entities_query_in_document_encoding():
    # Scrapy's expectation for test_restrict_xpaths_with_html_entities, which
    # is also a browser's: the query is encoded in ISO-8859-15 (euro = A4).
    body, url, encoding = SCRAPY_INLINE["html_entities_iso8859_15"]
    page = extract_links(body, url, f"text/html; charset={encoding}")
    assert page.links[0].dst_url == "http://example.org/%E2%99%A5/you?c=%A4"


# --- web-platform-tests: meta refresh parsing --------------------------------------

WPT_REFRESH = json.loads((CONFORMANCE / "wpt" / "meta-refresh-parsing.json").read_text(encoding="utf-8"))["cases"]


@pytest.mark.parametrize("case", WPT_REFRESH, ids=lambda case: repr(case["input"]))
def test_wpt_meta_refresh_parsing(case):
    base = "http://web-platform.test/support/refresh.sub.html"
    got = refresh_url(case["input"])
    expected = case["expected"]
    if expected in (None, "SELF"):  # no refresh, or a reload of the page: no link
        assert got is None
    else:
        assert got is not None and resolve(base, got) == resolve(base, expected)


# --- Real pages ----------------------------------------------------------------------


def _real_pages():
    """(path, url, body) of every page of the shared corpus, with the URLs its MANIFEST.md names."""
    pages = []
    for source in sorted((SHARED_HTML / "readability").glob("*/source.html")):
        pages.append((source, "http://fakehost/test/page.html"))  # the harness's document URL
    for group in ("cache", "eval"):
        listing = json.loads((SHARED_HTML / "trafilatura" / f"{group}_urls.json").read_text(encoding="utf-8"))
        for entry in listing["files"]:
            pages.append((SHARED_HTML / "trafilatura" / group / entry["file"], entry["urls"][0]))
    truth = json.loads((SHARED_HTML / "article-extraction-benchmark" / "ground-truth.json").read_text(encoding="utf-8"))
    for digest, entry in sorted(truth.items()):
        pages.append((SHARED_HTML / "article-extraction-benchmark" / "html" / f"{digest}.html.gz", entry["url"]))
    return [
        (path, url, gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes())
        for path, url in pages
    ]


@pytest.mark.skipif(not SHARED_HTML.is_dir(), reason=f"real pages not present at {SHARED_HTML}")
def test_real_pages_robustness():
    pages = _real_pages()
    assert len(pages) == 876
    start = time.perf_counter()
    links = 0
    for path, url, body in pages:
        try:
            page = extract_links(body, url)
        except Exception as error:  # report which page, then fail
            raise AssertionError(f"{path}: {error!r}") from error
        assert page.error is None, path
        links += len(page.links)
    elapsed = time.perf_counter() - start
    print(f"\n{len(pages)} real pages, {links} links, {elapsed / len(pages) * 1000:.2f} ms/page")
    assert links > 100_000

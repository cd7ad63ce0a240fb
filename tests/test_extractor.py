"""The extractor over fixture pages, one per rule, comparing whole record lists.

Each fixture under tests/data/html/ is named for what it tests. The expected
records are what a browser's DOM holds: the HTML5 tree (Lexbor, as in
Chromium and Firefox), URLs resolved by the WHATWG URL standard in the
document's encoding, and the decoding a browser picks.
"""

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import pytest

from crawler.extractor import (
    declared_encoding,
    encoding_for_label,
    extract_links,
    is_html,
    redirect_link,
    refresh_url,
    robots_nofollow,
)
from crawler.records import page_records
from linkindex.schema import LINK_KINDS, PLACEMENTS, LinkRecord

HTML = Path(__file__).parent / "data" / "html"
PAGE = "https://www.example.com/dir/page.html"


def extract(name, url=PAGE, content_type=None, x_robots_tag=None):
    return extract_links((HTML / name).read_bytes(), url, content_type, x_robots_tag)


def records(links):
    """Link tuples as dicts, so a failing comparison names the field."""
    return [dict(zip(LinkRecord._fields, link, strict=True)) for link in links]


def test_base_href():
    page = extract("base_href.html")
    # The first <base href> (relative, resolved against the page) applies to
    # every link, the canonical link included; '#...' and '' are the base itself.
    assert records(page.links) == records([
        ("https://www.example.com/docs/v2/index.html", "www.example.com", "example.com", "com.example.www", "", "canonical", False, False, False, True, "canonical", None, 0),
        ("https://www.example.com/docs/v2/intro.html", "www.example.com", "example.com", "com.example.www", "Relative to the base", "", False, False, False, True, "anchor", "body", 1),
        ("https://www.example.com/docs/v1/old.html", "www.example.com", "example.com", "com.example.www", "Dot segments against the base", "", False, False, False, True, "anchor", "body", 2),
        ("https://www.example.com/root.html", "www.example.com", "example.com", "com.example.www", "Root-relative keeps the base's host", "", False, False, False, True, "anchor", "body", 3),
        ("https://www.example.com/docs/v2/?page=2", "www.example.com", "example.com", "com.example.www", "Query only", "", False, False, False, True, "anchor", "body", 4),
        ("https://www.example.com/docs/v2/", "www.example.com", "example.com", "com.example.www", "Fragment only: the base itself", "", False, False, False, True, "anchor", "body", 5),
        ("https://www.example.com/docs/v2/", "www.example.com", "example.com", "com.example.www", "Empty href: the base itself", "", False, False, False, True, "anchor", "body", 6),
        ("https://cdn.example.net/lib.js", "cdn.example.net", "example.net", "net.example.cdn", "Scheme-relative", "", False, False, False, False, "anchor", "body", 7),
    ])
    assert (page.title, page.charset, page.page_nofollow, page.skipped) == ("Base href", "cp1252", False, {})


def test_base_href_javascript_is_ignored():
    page = extract("base_href_unusable.html")
    assert records(page.links) == records([
        ("https://www.example.com/dir/next.html", "www.example.com", "example.com", "com.example.www", "Next", "", False, False, False, True, "anchor", "body", 0),
    ])


def test_href_forms():
    page = extract("href_forms.html")
    # Whitespace trimmed, tabs and newlines removed, case and default ports
    # normalized, dot segments resolved, IDN to punycode, spaces and non-ASCII
    # percent-encoded (UTF-8 page), backslashes as slashes, fragments dropped.
    # "http:relative.html" on an https page names a host, as in a browser.
    # IP hosts are their own domain; techblog.github.io is under a private
    # public suffix; internal means same registered domain as the page.
    assert records(page.links) == records([
        ("https://www.example.com/padded", "www.example.com", "example.com", "com.example.www", "Leading and trailing spaces", "", False, False, False, True, "anchor", "body", 0),
        ("https://www.example.com/newline", "www.example.com", "example.com", "com.example.www", "Newline and tab inside", "", False, False, False, True, "anchor", "body", 1),
        ("http://www.example.com/a/c", "www.example.com", "example.com", "com.example.www", "Case, default port, dot segments", "", False, False, False, True, "anchor", "body", 2),
        ("https://www.example.com/", "www.example.com", "example.com", "com.example.www", "Default https port", "", False, False, False, True, "anchor", "body", 3),
        ("http://www.example.com:8080/", "www.example.com", "example.com", "com.example.www", "Explicit port", "", False, False, False, True, "anchor", "body", 4),
        ("https://www.example.com/dir/page%204.html", "www.example.com", "example.com", "com.example.www", "Space in path", "", False, False, False, True, "anchor", "body", 5),
        ("https://xn--bcher-kva.de/stra%C3%9Fe?q=%C3%A4", "xn--bcher-kva.de", "xn--bcher-kva.de", "de.xn--bcher-kva", "IDN host, non-ASCII path and query", "", False, False, False, False, "anchor", "body", 6),
        ("https://user:pass@www.example.com/private", "www.example.com", "example.com", "com.example.www", "Credentials", "", False, False, False, True, "anchor", "body", 7),
        ("http://[2001:db8::1]/ipv6", "[2001:db8::1]", "[2001:db8::1]", "[2001:db8::1]", "IPv6", "", False, False, False, False, "anchor", "body", 8),
        ("http://192.168.0.1/ipv4", "192.168.0.1", "192.168.0.1", "192.168.0.1", "IPv4", "", False, False, False, False, "anchor", "body", 9),
        ("http://127.0.0.1/hex", "127.0.0.1", "127.0.0.1", "127.0.0.1", "Hex IPv4", "", False, False, False, False, "anchor", "body", 10),
        ("https://techblog.github.io/post", "techblog.github.io", "techblog.github.io", "io.github.techblog", "Private suffix", "", False, False, False, False, "anchor", "body", 11),
        ("https://news.bbc.co.uk/", "news.bbc.co.uk", "bbc.co.uk", "uk.co.bbc.news", "Two-level suffix", "", False, False, False, False, "anchor", "body", 12),
        ("https://www.example.com/search?a=1&b=2&copy=3", "www.example.com", "example.com", "com.example.www", "Ampersands and a false entity", "", False, False, False, True, "anchor", "body", 13),
        ("https://www.example.com/search?x=%3Cy%3E&z=1", "www.example.com", "example.com", "com.example.www", "Character references", "", False, False, False, True, "anchor", "body", 14),
        ("https://www.example.com/backslash/path", "www.example.com", "example.com", "com.example.www", "Backslashes", "", False, False, False, True, "anchor", "body", 15),
        ("http://relative.html/", "relative.html", "relative.html", "html.relative", "Scheme without slashes", "", False, False, False, False, "anchor", "body", 16),
        ("https://www.example.com/frag", "www.example.com", "example.com", "com.example.www", "Fragment dropped", "", False, False, False, True, "anchor", "body", 17),
    ])
    # mailto, javascript (also split by a newline), tel, data, ftp and an app
    # scheme are not web links; a space in the host, an unclosed IPv6
    # bracket, port 99999 and "https://" do not parse.
    assert page.skipped == {"non_web": 7, "unparseable": 4}
    assert page.charset == "utf-8"  # no declaration, but valid UTF-8


def test_shift_jis_no_header():
    page = extract("shift_jis_no_header.html", url="https://www.example.jp/index.html")
    # Nothing declares the encoding: detection (chardetng, hinted by .jp)
    # finds Shift_JIS. Paths are UTF-8 but, as in a browser, the query is
    # percent-encoded in the page's encoding ("日本" is 93 FA 96 7B, and
    # 0x7B is "{", which stays as is).
    assert records(page.links) == records([
        ("https://www.example.jp/%E6%A4%9C%E7%B4%A2?q=%93%8C%8B%9E&lang=%93%FA%96{%8C%EA", "www.example.jp", "example.jp", "jp.example.www", "東京の天気", "", False, False, False, True, "anchor", "body", 0),
        ("https://www.example.jp/%E3%83%8B%E3%83%A5%E3%83%BC%E3%82%B9/", "www.example.jp", "example.jp", "jp.example.www", "今日のニュース", "", False, False, False, True, "anchor", "body", 1),
        ("https://www.example.jp/item?name=%87@", "www.example.jp", "example.jp", "jp.example.www", "記号のリンク", "", False, False, False, True, "anchor", "body", 2),
    ])
    assert (page.charset, page.title) == ("cp932", "日本語のページ")


def test_windows1251_meta_charset():
    page = extract("windows1251_meta_charset.html", url="https://news.example.ru/")
    assert records(page.links) == records([
        ("https://news.example.ru/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/", "news.example.ru", "example.ru", "ru.example.news", "Главная страница", "", False, False, False, True, "anchor", "nav", 0),
        ("https://news.example.ru/%D0%BF%D0%BE%D0%B8%D1%81%D0%BA?q=%EF%EE%E3%EE%E4%E0", "news.example.ru", "example.ru", "ru.example.news", "Погода в Москве", "", False, False, False, True, "anchor", "main", 1),
    ])
    assert (page.charset, page.title) == ("cp1251", "Новости дня")


def test_http_charset_beats_meta_charset():
    page = extract("windows1251_meta_charset.html", "https://news.example.ru/", "text/html; charset=utf-8")
    # The header says UTF-8, so the windows-1251 bytes decode to U+FFFD, as
    # they would in a browser.
    assert page.charset == "utf-8"
    assert page.title == "\ufffd" * 7 + " " + "\ufffd" * 3
    assert [link.anchor_text for link in page.links] == ["\ufffd" * 7 + " " + "\ufffd" * 8, "\ufffd" * 6 + " \ufffd " + "\ufffd" * 6]


def test_unknown_http_charset_falls_back_to_meta():
    page = extract("windows1251_meta_charset.html", "https://news.example.ru/", "text/html; charset=no-such-label")
    assert page.charset == "cp1251"
    assert records(page.links) == records(extract("windows1251_meta_charset.html", "https://news.example.ru/").links)


def test_koi8r_http_equiv():
    page = extract("koi8r_http_equiv.html", url="http://old.example.ru/")
    assert records(page.links) == records([
        ("http://old.example.ru/%D0%B0%D1%80%D1%85%D0%B8%D0%B2?%C7%CF%C4=1999", "old.example.ru", "example.ru", "ru.example.old", "Архив за год", "", False, False, False, True, "anchor", "body", 0),
    ])
    assert (page.charset, page.title) == ("koi8-r", "Старая страница")


def test_utf8_bom_beats_header_and_meta():
    page = extract("utf8_bom.html", "https://cafe.example.fr/", "text/html; charset=iso-8859-1")
    assert records(page.links) == records([
        ("https://cafe.example.fr/menu?plat=cr%C3%A8me%20br%C3%BBl%C3%A9e", "cafe.example.fr", "example.fr", "fr.example.cafe", "Crème brûlée — dessert", "", False, False, False, True, "anchor", "body", 0),
    ])
    assert (page.charset, page.title) == ("utf-8", "Café")


def test_windows1252_no_declaration():
    page = extract("windows1252_no_declaration.html", url="https://cuisine.example.fr/")
    # Not UTF-8 and undeclared: the detector picks windows-1252, so the query
    # holds E8 for "è".
    assert records(page.links) == records([
        ("https://cuisine.example.fr/recettes?plat=cr%E8me", "cuisine.example.fr", "example.fr", "fr.example.cuisine", "Crème brûlée et gâteaux", "", False, False, False, True, "anchor", "body", 0),
    ])
    assert (page.charset, page.title) == ("cp1252", "Crème")


def test_utf16_http_charset_without_bom():
    # The label "utf-16" means little-endian; the NUL bytes are text, not binary.
    page = extract("utf16le_http_charset.html", content_type="text/html; charset=UTF-16")
    assert records(page.links) == records([
        ("https://www.example.com/wide?q=%C3%BC", "www.example.com", "example.com", "com.example.www", "Wide ü", "", False, False, False, True, "anchor", "body", 0),
    ])
    assert (page.charset, page.title, page.error) == ("utf-16-le", "UTF-16", None)


def test_meta_charset_utf16_means_utf8():
    page = extract("meta_charset_utf16.html")
    assert records(page.links) == records([
        ("https://www.example.com/d%C3%A9j%C3%A0?q=%C3%A9", "www.example.com", "example.com", "com.example.www", "Déjà vu", "", False, False, False, True, "anchor", "body", 0),
    ])
    assert (page.charset, page.title) == ("utf-8", "Déjà vu")


def test_meta_charset_not_a_label_is_ignored():
    # "latin-1" is a Python codec name, not an Encoding Standard label.
    page = extract("meta_charset_not_a_label.html")
    assert records(page.links) == records([
        ("https://www.example.com/se%C3%B1or?q=%C3%B1", "www.example.com", "example.com", "com.example.www", "Señor", "", False, False, False, True, "anchor", "body", 0),
    ])
    assert (page.charset, page.title) == ("utf-8", "Señor")


def test_meta_charset_after_long_head():
    # Past the first 1 KB: browsers still honour it (by reparsing).
    page = extract("meta_charset_after_long_head.html")
    assert records(page.links) == records([
        ("https://www.example.com/?q=%E4%E0", "www.example.com", "example.com", "com.example.www", "Да", "", False, False, False, True, "anchor", "body", 0),
    ])
    assert (page.charset, page.title) == ("cp1251", "Поздно")


def test_replacement_encoding_blanks_the_page():
    page = extract("replacement_encoding_iso2022kr.html")
    assert (page.charset, page.error, page.links, page.title) == ("replacement", "decode_error", [], None)


@pytest.mark.parametrize(
    ("content_type", "charset", "title"),
    [("application/xhtml+xml", "iso8859-15", "Prix en €"), ("text/html", "cp1252", "Prix en ¤")],
)
def test_xml_declaration_counts_for_xml_only(content_type, charset, title):
    # An HTML parser skips <?xml ...?>; only an XML document takes its encoding.
    page = extract("xml_declaration_encoding.html", content_type=content_type)
    assert (page.charset, page.title) == (charset, title)
    assert [link.dst_url for link in page.links] == ["https://www.example.com/prix?devise=%A4"]


@pytest.mark.parametrize(
    ("label", "codec"),
    [
        ("utf-8", "utf-8"),
        (" UTF8 ", "utf-8"),
        ("ISO-8859-1", "cp1252"),
        ("us-ascii", "cp1252"),
        ("latin1", "cp1252"),
        ("latin-1", None),
        ("utf8mb4", None),
        ("gb2312", "gb18030"),
        ("shift_jis", "cp932"),
        ("euc-kr", "cp949"),
        ("big5", "big5hkscs"),
        ("utf-16", "utf-16-le"),
        ("x-user-defined", "cp1252"),
        ("iso-2022-kr", "replacement"),
        ("utf-7", None),
        ("", None),
        (None, None),
    ],
)
def test_encoding_for_label(label, codec):
    assert encoding_for_label(label) == codec


@pytest.mark.parametrize(
    ("head", "codec"),
    [
        (b'<meta charset="windows-1251">', "cp1251"),
        (b"<meta charset=koi8-r>", "koi8-r"),
        (b'<meta http-equiv="Content-Type" content="text/html; charset=euc-jp">', "euc_jp"),
        (b'<meta content="text/html; charset=euc-jp">', None),  # no http-equiv pragma
        (b'<!-- <meta charset="koi8-r"> --><meta charset="cp1251">', "cp1251"),
        (b'<meta name="x" content="a > b" charset="latin2">', "iso8859-2"),
        (b'<meta charset="no-such"><meta charset="utf-8">', "utf-8"),
        (b'<META CHARSET="UTF-16BE">', "utf-8"),
        (b'<?xml version="1.0" encoding="koi8-r"?>', None),
    ],
)
def test_declared_encoding(head, codec):
    assert declared_encoding(b"<!DOCTYPE html><html><head>" + head + b"</head>") == codec


def test_binary_garbage():
    page = extract("binary_garbage.html", url="https://www.example.com/img.png", content_type="text/html")
    assert (page.error, page.links, page.charset, page.title) == ("binary", [], None, None)


def test_nested_anchors():
    page = extract("nested_anchors.html")
    # An <a> inside an open <a> closes it. The link wrapping a <ul> inside a
    # <p> is split by the parser into three elements: the text before the
    # list, the list (reopened inside it), and the whitespace after it. SVG
    # links count; markup in <textarea>, <template> and <script> is not links.
    assert records(page.links) == records([
        ("https://www.example.com/outer", "www.example.com", "example.com", "com.example.www", "outer text", "", False, False, False, True, "anchor", "body", 0),
        ("https://www.example.com/inner", "www.example.com", "example.com", "com.example.www", "inner text", "", False, False, False, True, "anchor", "body", 1),
        ("https://www.example.com/split", "www.example.com", "example.com", "com.example.www", "Anchor text with", "", False, False, False, True, "anchor", "body", 2),
        ("https://www.example.com/split", "www.example.com", "example.com", "com.example.www", "first item second item", "", False, False, False, True, "anchor", "body", 3),
        ("https://www.example.com/split", "www.example.com", "example.com", "com.example.www", "", "", False, False, False, True, "anchor", "body", 4),
        ("https://www.example.com/card", "www.example.com", "example.com", "com.example.www", "Card title Card summary", "", False, False, False, True, "anchor", "body", 5),
        ("https://www.example.com/svg-href", "www.example.com", "example.com", "com.example.www", "SVG link", "", False, False, False, True, "anchor", "body", 6),
        ("https://www.example.com/svg-xlink", "www.example.com", "example.com", "com.example.www", "Old SVG link", "", False, False, False, True, "anchor", "body", 7),
    ])


def test_misnested_tags():
    page = extract("misnested_tags.html")
    # Uppercase and unquoted markup; </b> before </a> splits the link in two
    # (adoption agency); the link in a table is moved before it; the
    # unterminated last tag is dropped, and the unclosed link holds the <p>.
    assert records(page.links) == records([
        ("https://www.example.com/upper", "www.example.com", "example.com", "com.example.www", "Upper case", "", False, False, False, True, "anchor", "body", 0),
        ("https://www.example.com/unquoted?a=1&b=2", "www.example.com", "example.com", "com.example.www", "Unquoted", "", False, False, False, True, "anchor", "body", 1),
        ("https://www.example.com/bold", "www.example.com", "example.com", "com.example.www", "bold italic", "", False, False, False, True, "anchor", "body", 2),
        ("https://www.example.com/bold", "www.example.com", "example.com", "com.example.www", "after end", "", False, False, False, True, "anchor", "body", 3),
        ("https://www.example.com/fostered", "www.example.com", "example.com", "com.example.www", "Fostered", "", False, False, False, True, "anchor", "body", 4),
        ("https://www.example.com/cell", "www.example.com", "example.com", "com.example.www", "Cell", "", False, False, False, True, "anchor", "body", 5),
        ("https://www.example.com/unclosed", "www.example.com", "example.com", "com.example.www", "Never closed Paragraph", "", False, False, False, True, "anchor", "body", 6),
    ])
    assert page.title == "Misnested and unclosed"


def test_image_and_area_links():
    page = extract("image_and_area_links.html")
    # A link with no text is kind image when it holds images, with their alt
    # texts joined (lazy-loading <noscript> images included); text wins over
    # alt. Areas use their alt; an area without href is not a link.
    assert records(page.links) == records([
        ("https://www.example.com/logo", "www.example.com", "example.com", "com.example.www", "Company logo", "", False, False, False, True, "image", "body", 0),
        ("https://www.example.com/two-images", "www.example.com", "example.com", "com.example.www", "First Third", "", False, False, False, True, "image", "body", 1),
        ("https://www.example.com/no-alt", "www.example.com", "example.com", "com.example.www", "", "", False, False, False, True, "image", "body", 2),
        ("https://www.example.com/text-wins", "www.example.com", "example.com", "com.example.www", "Visible text", "", False, False, False, True, "anchor", "body", 3),
        ("https://www.example.com/whitespace-text", "www.example.com", "example.com", "com.example.www", "Alt used", "", False, False, False, True, "image", "body", 4),
        ("https://www.example.com/lazy", "www.example.com", "example.com", "com.example.www", "Lazy image", "", False, False, False, True, "image", "body", 5),
        ("https://www.example.com/empty", "www.example.com", "example.com", "com.example.www", "", "", False, False, False, True, "anchor", "body", 6),
        ("https://www.example.com/area-one", "www.example.com", "example.com", "com.example.www", "Area one", "", False, False, False, True, "area", "body", 7),
        ("https://www.example.com/area-no-alt", "www.example.com", "example.com", "com.example.www", "", "", False, False, False, True, "area", "body", 8),
        ("https://partner.example.net/", "partner.example.net", "example.net", "net.example.partner", "Partner", "sponsored", False, False, True, False, "area", "body", 9),
    ])


def test_rel_variants():
    page = extract("rel_variants.html")
    # Tokens lowercased, deduplicated, sorted; flags match whole tokens only;
    # only rel=canonical among <link> elements is a record.
    assert records(page.links) == records([
        ("https://www.example.com/plain", "www.example.com", "example.com", "com.example.www", "Plain", "", False, False, False, True, "anchor", "body", 0),
        ("https://www.example.com/nofollow", "www.example.com", "example.com", "com.example.www", "Nofollow", "nofollow", True, False, False, True, "anchor", "body", 1),
        ("https://www.example.com/upper", "www.example.com", "example.com", "com.example.www", "Upper case", "nofollow", True, False, False, True, "anchor", "body", 2),
        ("https://www.example.com/many", "www.example.com", "example.com", "com.example.www", "Many tokens", "external nofollow noopener", True, False, False, True, "anchor", "body", 3),
        ("https://www.example.com/ugc", "www.example.com", "example.com", "com.example.www", "User content", "nofollow ugc", True, True, False, True, "anchor", "body", 4),
        ("https://www.example.com/sponsored", "www.example.com", "example.com", "com.example.www", "Sponsored", "sponsored", False, False, True, True, "anchor", "body", 5),
        ("https://www.example.com/all", "www.example.com", "example.com", "com.example.www", "All three", "nofollow sponsored ugc", True, True, True, True, "anchor", "body", 6),
        ("https://www.example.com/substring", "www.example.com", "example.com", "com.example.www", "Not the tokens", "nofollowing ugcx", False, False, False, True, "anchor", "body", 7),
        ("https://www.example.com/empty-rel", "www.example.com", "example.com", "com.example.www", "Empty rel", "", False, False, False, True, "anchor", "body", 8),
        ("https://www.example.com/rel", "www.example.com", "example.com", "com.example.www", "", "canonical", False, False, False, True, "canonical", None, 9),
    ])


def test_meta_nofollow():
    page = extract("meta_nofollow.html")
    assert page.page_nofollow
    assert records(page.links) == records([
        ("https://www.example.com/one", "www.example.com", "example.com", "com.example.www", "One", "", True, False, False, True, "anchor", "body", 0),
        ("https://other.example.net/", "other.example.net", "example.net", "net.example.other", "Two", "ugc", True, True, False, False, "anchor", "body", 1),
    ])


def test_meta_googlebot_none_after_the_links():
    page = extract("meta_googlebot_none.html")
    assert page.page_nofollow
    assert records(page.links) == records([
        ("https://www.example.com/before", "www.example.com", "example.com", "com.example.www", "Before the meta", "", True, False, False, True, "anchor", "body", 0),
    ])


@pytest.mark.parametrize(
    ("header", "nofollow"),
    [
        (None, False),
        ("", False),
        ("noindex", False),
        ("noindex, nofollow", True),
        ("NoFollow", True),
        ("none", True),
        ("googlebot: nofollow", True),
        ("otherbot: nofollow", False),
        ("otherbot: noindex, nofollow", False),
        ("googlebot: noindex, otherbot: nofollow", False),
        ("otherbot: noindex, googlebot: nofollow", True),
        ("unavailable_after: Sunday, 01-Sep-2030 15:00:00 PST", False),
        ("max-snippet: 20, nofollow", True),
    ],
)
def test_x_robots_tag(header, nofollow):
    page = extract("rel_variants.html", x_robots_tag=header)
    assert page.page_nofollow is nofollow
    by_rel = [link.nofollow for link in extract("rel_variants.html").links]
    assert [link.nofollow for link in page.links] == ([True] * len(by_rel) if nofollow else by_rel)


@pytest.mark.parametrize(
    ("content", "nofollow"),
    [("index, follow", False), ("noindex,nofollow", True), ("noindex nofollow", True), ("NONE", True), ("noarchive", False)],
)
def test_robots_meta_content(content, nofollow):
    assert robots_nofollow(content) is nofollow


@pytest.mark.parametrize(
    ("header", "meta", "noindex"),
    [
        (None, None, False),
        ("nofollow", None, False),
        ("noindex", None, True),
        ("NONE", None, True),
        ("otherbot: noindex", None, False),
        ("otherbot: nofollow, googlebot: noindex", None, True),
        (None, '<meta name="robots" content="noindex, follow">', True),
        (None, '<meta name="GoogleBot" content="none">', True),
        (None, '<meta name="otherbot" content="noindex">', False),
        (None, '<meta name="robots" content="index, nofollow">', False),
    ],
)
def test_noindex_from_meta_robots_and_x_robots_tag(header, meta, noindex):
    body = f"<html><head>{meta or ''}<title>t</title></head><body><a href='/a'>a</a></body></html>".encode()
    page = extract_links(body, "https://www.example.com/", x_robots_tag=header)
    assert page.noindex is noindex
    assert len(page.links) == 1  # noindex does not stop the links being read


def test_a_noindex_header_marks_any_response_page_html_or_not():
    stats = Counter()
    pdf = page_records(
        "https://www.example.com/a.pdf", 200, [("Content-Type", "application/pdf"), ("X-Robots-Tag", "noindex")],
        b"%PDF-1.4", datetime(2024, 1, 1, tzinfo=timezone.utc), stats,
    )
    missing = page_records(
        "https://www.example.com/gone", 404, [("Content-Type", "text/html")],
        b"<meta name=robots content=noindex>", datetime(2024, 1, 1, tzinfo=timezone.utc), stats,
        ip_address="192.0.2.7",
    )
    assert (pdf.page.noindex, pdf.page.ip_address) == (True, None)
    # A 404 body is not parsed: its meta tags are not read.
    assert (missing.page.noindex, missing.page.ip_address) == (False, "192.0.2.7")


def test_anchor_text_blocks():
    page = extract("anchor_text_blocks.html")
    # Block boundaries and <br> separate words, inline boundaries do not;
    # script, style and ruby parentheses are not text; every Unicode space
    # (no-break, em, ideographic) collapses; references are decoded.
    assert records(page.links) == records([
        ("https://www.example.com/blocks", "www.example.com", "example.com", "com.example.www", "Headline Summary text SourceName", "", False, False, False, True, "anchor", "body", 0),
        ("https://www.example.com/br", "www.example.com", "example.com", "com.example.www", "Line one line two", "", False, False, False, True, "anchor", "body", 1),
        ("https://www.example.com/inline", "www.example.com", "example.com", "com.example.www", "inline words", "", False, False, False, True, "anchor", "body", 2),
        ("https://www.example.com/script", "www.example.com", "example.com", "com.example.www", "Visible text", "", False, False, False, True, "anchor", "body", 3),
        ("https://www.example.com/spaces", "www.example.com", "example.com", "com.example.www", "many spaces and unicode spaces", "", False, False, False, True, "anchor", "body", 4),
        ("https://www.example.com/entities", "www.example.com", "example.com", "com.example.www", "Fish & Chips <3 © 2024", "", False, False, False, True, "anchor", "body", 5),
        ("https://www.example.com/table", "www.example.com", "example.com", "com.example.www", "Cell one Cell two", "", False, False, False, True, "anchor", "body", 6),
        ("https://www.example.com/comment", "www.example.com", "example.com", "com.example.www", "BeforeAfter", "", False, False, False, True, "anchor", "body", 7),
        ("https://www.example.com/ruby", "www.example.com", "example.com", "com.example.www", "漢kan", "", False, False, False, True, "anchor", "body", 8),
    ])


def test_meta_refresh_and_canonical():
    page = extract("meta_refresh.html")
    # Refresh targets are kind redirect, in document order with the other
    # links; a refresh without a URL, with a bad delay or to javascript: is
    # none (the last counted as non-web). The <noscript> one counts: the page
    # is parsed as with scripting off.
    assert records(page.links) == records([
        ("https://www.example.com/moved.html", "www.example.com", "example.com", "com.example.www", "", "", False, False, False, True, "redirect", None, 0),
        ("https://new.example.org/landing?from=old", "new.example.org", "example.org", "org.example.new", "", "", False, False, False, False, "redirect", None, 1),
        ("https://www.example.com/canonical-page", "www.example.com", "example.com", "com.example.www", "", "canonical", False, False, False, True, "canonical", None, 2),
        ("https://www.example.com/body-link", "www.example.com", "example.com", "com.example.www", "Body link", "", False, False, False, True, "anchor", "body", 3),
        ("https://www.example.com/nojs", "www.example.com", "example.com", "com.example.www", "", "", False, False, False, True, "redirect", None, 4),
    ])
    assert page.skipped == {"non_web": 1}


def test_placement_regions():
    page = extract("placement_regions.html")
    # Nearest region wins; a header or footer inside article, aside, main,
    # nav or section belongs to that section; a widget about comments is a
    # widget; body classes never count.
    assert records(page.links) == records([
        ("https://www.example.com/skip", "www.example.com", "example.com", "com.example.www", "Skip to content", "", False, False, False, True, "anchor", "body", 0),
        ("https://www.example.com/", "www.example.com", "example.com", "com.example.www", "Logo", "", False, False, False, True, "anchor", "header", 1),
        ("https://www.example.com/about", "www.example.com", "example.com", "com.example.www", "About", "", False, False, False, True, "anchor", "nav", 2),
        ("https://www.example.com/section", "www.example.com", "example.com", "com.example.www", "Section", "", False, False, False, True, "anchor", "nav", 3),
        ("https://www.example.com/author", "www.example.com", "example.com", "com.example.www", "Author byline", "", False, False, False, True, "anchor", "main", 4),
        ("https://www.example.com/in-text", "www.example.com", "example.com", "com.example.www", "In the text", "", False, False, False, True, "anchor", "main", 5),
        ("https://www.example.com/related", "www.example.com", "example.com", "com.example.www", "Related inside the article", "", False, False, False, True, "anchor", "aside", 6),
        ("https://www.example.com/tag/x", "www.example.com", "example.com", "com.example.www", "Tag", "", False, False, False, True, "anchor", "main", 7),
        ("https://commenter.example.org/", "commenter.example.org", "example.org", "org.example.commenter", "Commenter", "external nofollow ugc", True, True, False, False, "anchor", "comment", 8),
        ("https://www.example.com/post", "www.example.com", "example.com", "com.example.www", "Recent comment", "", False, False, False, True, "anchor", "aside", 9),
        ("https://www.example.com/sidebar-link", "www.example.com", "example.com", "com.example.www", "Sidebar link", "", False, False, False, True, "anchor", "aside", 10),
        ("https://www.example.com/role-aside", "www.example.com", "example.com", "com.example.www", "Role aside", "", False, False, False, True, "anchor", "aside", 11),
        ("https://www.example.com/role-nav", "www.example.com", "example.com", "com.example.www", "Role nav", "", False, False, False, True, "anchor", "nav", 12),
        ("https://www.example.com/section-header", "www.example.com", "example.com", "com.example.www", "Header inside a section", "", False, False, False, True, "anchor", "body", 13),
        ("https://www.example.com/ad", "www.example.com", "example.com", "com.example.www", "Advertisement", "", False, False, False, True, "anchor", "body", 14),
        ("https://www.example.com/privacy", "www.example.com", "example.com", "com.example.www", "Privacy", "", False, False, False, True, "anchor", "footer", 15),
        ("https://www.example.com/footer-nav", "www.example.com", "example.com", "com.example.www", "Footer menu", "", False, False, False, True, "anchor", "nav", 16),
        ("https://www.example.com/credits", "www.example.com", "example.com", "com.example.www", "Credits", "", False, False, False, True, "anchor", "footer", 17),
    ])


def test_svg_title_is_not_the_page_title():
    page = extract("svg_title_no_html_title.html")
    assert page.title is None
    # The icon's SVG title is the link's text, as in its accessible name.
    assert records(page.links) == records([
        ("https://www.example.com/icon", "www.example.com", "example.com", "com.example.www", "Twitter", "", False, False, False, True, "anchor", "body", 0),
    ])


def test_svg_and_math_elements():
    page = extract("svg_and_math_elements.html")
    assert records(page.links) == records([
        ("https://www.example.com/dir/svg-link", "www.example.com", "example.com", "com.example.www", "An SVG link is a link", "", False, False, False, True, "anchor", "body", 0),
        ("https://www.example.com/dir/html-link", "www.example.com", "example.com", "com.example.www", "Resolved against the page, not the SVG base", "", False, False, False, True, "anchor", "body", 1),
    ])
    assert page.title == "Foreign content"


@pytest.mark.parametrize("name", sorted(p.name for p in HTML.glob("*.html")))
def test_every_fixture_is_well_formed(name):
    page = extract(name)
    assert [link[-1] for link in page.links] == list(range(len(page.links)))
    for link in records(page.links):
        assert link["kind"] in LINK_KINDS
        assert (link["placement"] is None) == (link["kind"] in ("canonical", "redirect"))
        assert link["placement"] is None or link["placement"] in PLACEMENTS
        assert link["dst_url"].startswith(("http://", "https://")) and "#" not in link["dst_url"]


def test_redirect_link():
    assert records([redirect_link("https://www.example.com/old/page", "../new?x=1#frag")]) == records(
        [
            (
                "https://www.example.com/new?x=1",
                "www.example.com",
                "example.com",
                "com.example.www",
                "",
                "",
                False,
                False,
                False,
                True,
                "redirect",
                None,
                0,
            )
        ]
    )
    moved = redirect_link("http://example.com/", " https://WWW.Example.ORG ", page_nofollow=True)
    assert moved[:4] == ("https://www.example.org/", "www.example.org", "example.org", "org.example.www")
    assert moved[6] is True and moved[9] is False
    assert redirect_link("https://www.example.com/", "mailto:x@example.com") is None
    assert redirect_link("https://www.example.com/", "http://[bad") is None


def test_refresh_url():
    assert refresh_url("5; URL='/moved.html'") == "/moved.html"
    assert refresh_url("0;url=https://example.org/") == "https://example.org/"
    assert refresh_url("30") is None
    assert refresh_url("0; url=") is None
    assert refresh_url("0; url=''") is None
    assert refresh_url(None) is None
    # The WHATWG parsing cases of web-platform-tests are in test_conformance.py.


@pytest.mark.parametrize(
    ("content_type", "body", "expected"),
    [
        ("text/html; charset=utf-8", b'', True),
        ("application/xhtml+xml", b"<?xml version='1.0'?>", True),
        ("TEXT/HTML", b'', True),
        ("image/png", b'<html>', False),
        ("text/plain", b'<html>', False),
        ("unknown/unknown", b'<html>', True),
        (None, b"  \n<!DOCTYPE html>", True),
        (None, b"<a href=x>", True),
        (None, b"<P>text", True),
        (None, b"\xef\xbb\xbf<html>", True),
        (None, b"<pre>x</pre>", False),
        (None, b"<bodyx>", False),
        (None, b"\x89PNG\r\n", False),
        (None, b"", False),
    ],
)
def test_is_html(content_type, body, expected):
    assert is_html(content_type, body) is expected


def test_links_are_named_records():
    links = extract("base_href.html").links
    assert links and all(type(link) is LinkRecord for link in links)
    assert links[0].kind == "canonical" and links[0].dst_url == links[0][0]

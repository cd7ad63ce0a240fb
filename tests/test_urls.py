"""URL resolution and domains against the standards' own test suites.

- WHATWG URL: every case of web-platform-tests ``urltestdata.json`` that has
  a base, through ``resolve`` and through the extractor's ``Resolver``.
- Public Suffix List: the list's ``tests.txt``, through ``registered_domain``
  with the snapshot bundled in ``crawler/public_suffix_list.dat``.
- Query encoding in the document's charset: w3lib's WHATWG-derived cases.

Sources and licences: tests/data/ATTRIBUTION.md.
"""

import json
from pathlib import Path
import socket

import ada_url
import pytest
from tldextract.suffix_list import SuffixListNotFound

from crawler import urls
from crawler.urls import (
    NON_WEB,
    UNPARSEABLE,
    Resolver,
    host_domain,
    parse_web_url,
    registered_domain,
    resolve,
    split_web_url,
    strip_fragment,
    surt_host,
)

CONFORMANCE = Path(__file__).parent / "data" / "conformance"


def _url_cases():
    data = json.loads((CONFORMANCE / "whatwg-url" / "urltestdata.json").read_text(encoding="utf-8"))
    return [case for case in data if isinstance(case, dict) and case.get("base") is not None]


URL_CASES = _url_cases()
#: Cases where our answer knowingly differs from the standard's, with why.
#: Empty: ada-url passes every case.
URL_XFAIL = {}


def _url_id(case):
    return f"{case['input']!r} @ {case['base']!r}"


def test_url_cases_are_all_there():
    # 336 cases with a base, 62 of them expected to fail to parse.
    assert len(URL_CASES) == 336
    assert sum(1 for case in URL_CASES if case.get("failure")) == 62


@pytest.mark.parametrize("case", URL_CASES, ids=_url_id)
def test_whatwg_resolve(case):
    if _url_id(case) in URL_XFAIL:
        pytest.xfail(URL_XFAIL[_url_id(case)])
    expected = None if case.get("failure") else case["href"]
    assert resolve(case["base"], case["input"]) == expected


@pytest.mark.parametrize("case", URL_CASES, ids=_url_id)
def test_whatwg_resolver_web(case):
    """The extractor's path: (URL without fragment, host, domain, SURT) for http(s), else why not."""
    if _url_id(case) in URL_XFAIL:
        pytest.xfail(URL_XFAIL[_url_id(case)])
    # A base that itself fails to parse makes every relative input fail.
    got = Resolver(case["base"]).web(case["input"])
    if case.get("failure"):
        assert got == UNPARSEABLE
    elif case["protocol"] in ("http:", "https:"):
        host = case["hostname"]
        assert got == (strip_fragment(case["href"]), host, host_domain(host), surt_host(host))
    else:
        assert got == NON_WEB


def _psl_cases():
    cases = []
    for line in (CONFORMANCE / "psl" / "tests.txt").read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("//"):
            continue
        host, expected = line.split()
        cases.append((host, None if expected == "null" else expected))
    return cases


def _ascii(name):
    # Our hosts come from the URL parser, lowercase punycode; the list's
    # tests also give Unicode names, compared in their punycode form.
    return ada_url.idna_to_ascii(name).decode() if name and not name.isascii() else name


@pytest.mark.parametrize(("host", "expected"), _psl_cases())
def test_public_suffix_list(host, expected):
    if host == "null":  # "no input": registered_domain takes a host string
        assert expected is None
        return
    assert registered_domain(_ascii(host)) == _ascii(expected)


def test_public_suffix_list_cases_are_all_there():
    assert len(_psl_cases()) == 78


@pytest.mark.parametrize(
    ("host", "domain"),
    [
        ("techblog.github.io", "techblog.github.io"),  # private section
        ("github.io", "github.io"),  # a bare suffix is its own domain
        ("www.bbc.co.uk", "bbc.co.uk"),
        ("a.b.blogspot.com", "b.blogspot.com"),
        ("localhost", "localhost"),
        ("printer.lan", "printer.lan"),  # unknown TLD: the default rule "*"
        ("a.b.printer.lan", "printer.lan"),
        ("192.168.0.1", "192.168.0.1"),
        ("[2001:db8::1]", "[2001:db8::1]"),
        ("www.example.com.", "example.com"),
        ("xn--bcher-kva.de", "xn--bcher-kva.de"),
    ],
)
def test_host_domain(host, domain):
    assert host_domain(host) == domain


def test_public_suffix_list_is_read_without_network_or_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def no_network(*args, **kwargs):
        raise AssertionError("network access")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    extractor = urls.public_suffix_extractor()
    assert extractor("techblog.github.io").top_domain_under_public_suffix == "techblog.github.io"
    assert list(tmp_path.iterdir()) == []


def test_missing_public_suffix_list_fails_loudly(tmp_path):
    extractor = urls.public_suffix_extractor(tmp_path / "missing.dat")
    with pytest.raises(SuffixListNotFound, match="No remote Public Suffix List found"):
        extractor("www.example.com")


def _encoding_cases():
    data = json.loads((CONFORMANCE / "w3lib" / "safe_url_string_cases.json").read_text(encoding="utf-8"))
    return [case for case in data["safe_url_string_encoding_cases"]]


@pytest.mark.parametrize(
    "case", _encoding_cases(), ids=lambda case: f"{case['input']!r} {case['encoding']}"
)
def test_query_encoding(case):
    """The query of special URLs (not ws/wss) is encoded in the document's encoding."""
    expected = case["expected"]
    got = resolve("", case["input"], case["encoding"])
    if isinstance(expected, dict):  # an exception: the input is not a URL
        assert got is None
    else:
        # w3lib's expectations keep an empty path where the URL standard
        # serializes "/" for special schemes ("https://example.com" -> ".../").
        assert got == ada_url.normalize_url(expected)


@pytest.mark.parametrize(
    ("href", "encoding", "expected"),
    [
        # Scrapy's test_restrict_xpaths_with_html_entities: path in UTF-8,
        # query in ISO-8859-15 (the euro sign is A4).
        ("/\u2665/you?c=\u20ac", "iso8859-15", "http://example.org/%E2%99%A5/you?c=%A4"),
        ("/s?q=\u65e5\u672c", "shift_jis", "http://example.org/s?q=%93%FA%96{"),
        ("/s?q=\u4e00", "windows-1252", "http://example.org/s?q=&%2319968;"),  # not encodable: &#N;
        ("/s?q=\u00e9#fr\u00e9", "windows-1252", "http://example.org/s?q=%E9#fr%C3%A9"),
        ("/s#?q=\u00e9", "windows-1252", "http://example.org/s#?q=%C3%A9"),  # '?' in the fragment
        ("/s?q=\u00e9", "utf-16", "http://example.org/s?q=%C3%A9"),  # UTF-16 pages use UTF-8
        ("/s?q=\u00e9", None, "http://example.org/s?q=%C3%A9"),
    ],
)
def test_resolve_in_document_encoding(href, encoding, expected):
    assert resolve("http://example.org/somepage/index.html", href, encoding) == expected
    assert Resolver("http://example.org/somepage/index.html", encoding).web(href) == (
        strip_fragment(expected),
        "example.org",
        "example.org",
        "org.example",
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.example.com/a", ("https", "www.example.com")),
        ("http://user:pa@ss@host.example:8080/x?y#z", ("http", "host.example")),
        ("http://[2001:db8::1]:80/", ("http", "[2001:db8::1]")),
        ("ftp://ftp.example.com/", None),
        ("mailto:x@example.com", None),
    ],
)
def test_split_web_url(url, expected):
    assert split_web_url(url) == expected


def test_parse_web_url():
    assert parse_web_url("HTTPS://WWW.Example.com:443/a/../b#frag") == ("https://www.example.com/b", "www.example.com")
    assert parse_web_url("/relative") is None
    assert parse_web_url("javascript:alert(1)") is None
    assert parse_web_url("http://exa mple.com/") is None


def test_surt_host():
    assert surt_host("www.example.com") == "com.example.www"
    assert surt_host("www.example.com.") == "com.example.www"
    assert surt_host("192.168.0.1") == "192.168.0.1"
    assert surt_host("[::1]") == "[::1]"

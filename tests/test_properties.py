"""Properties that hold for every input, checked over inputs Hypothesis generates.

URLs and hosts: every URL the resolver gives parses back to itself,
resolving is idempotent, and a host's domain is the host or a parent of it,
itself its own domain. Extraction: over generated HTML, and over any bytes,
no exception and every record as the contract says
(``tests/support/contract.py``). Flattening: whatever the input, nothing is
left that could nest.
"""

from collections import Counter
from datetime import datetime, timezone
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crawler.extractor import _non_ascii_lines, extract_links, refresh_url
from crawler.records import page_records
from crawler.shape import flatten
from crawler.urls import NON_WEB, UNPARSEABLE, Resolver, host_domain, parse_web_url, resolve, surt_host
from tests.support.contract import check_records, check_url

FETCHED = datetime(2026, 1, 1, tzinfo=timezone.utc)
SETTINGS = settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# -- URLs ------------------------------------------------------------------------

label = st.one_of(
    st.text("abcdefghijklmnopqrstuvwxyz0123456789-", min_size=1, max_size=12),
    st.text(st.characters(min_codepoint=0xA1, max_codepoint=0x30FF), min_size=1, max_size=6),  # IDN
    st.sampled_from(["www", "co", "uk", "github", "io", "xn--nxasmq6b", "localhost", "com", "example"]),
)
hostname = st.one_of(
    st.lists(label, min_size=1, max_size=5).map(".".join),
    st.tuples(*[st.integers(0, 255)] * 4).map(lambda q: ".".join(map(str, q))),
    st.sampled_from(["[::1]", "[2001:db8::1]", "0x7f.1", "127.1", "EXAMPLE.COM.", "a..b", "-x-.com"]),
)
path_text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=20)
url = st.builds(
    lambda scheme, host, port, path, query, fragment: f"{scheme}://{host}{port}/{path}{query}{fragment}",
    st.sampled_from(["http", "https", "HTTP", "Https", "ftp", "ws"]),
    hostname,
    st.sampled_from(["", ":80", ":8080", ":0", ":99999"]),
    path_text,
    st.one_of(st.just(""), path_text.map(lambda q: "?" + q)),
    st.one_of(st.just(""), path_text.map(lambda f: "#" + f)),
)
href = st.one_of(
    url,
    path_text,
    st.sampled_from(["", "#", "/", "//evil.example/x", "javascript:void(0)", "mailto:a@b", "data:,x", "?q", ".."]),
    st.text(max_size=30),
)
base = url.filter(lambda u: parse_web_url(u) is not None)
encoding = st.sampled_from([None, "utf-8", "cp1252", "cp1251", "cp932", "gb18030", "utf-16-le"])


@SETTINGS
@given(base, href, encoding)
def test_every_resolved_url_parses_back_to_itself_and_resolving_again_changes_nothing(base, href, encoding):
    resolved = resolve(base, href, encoding)
    if resolved is None:
        return
    assert resolve(base, resolved, encoding) == resolved
    if resolved.startswith(("http://", "https://")):
        # A web URL is a base too: "" resolves to it without its fragment.
        assert resolve(resolved, "") == resolved.split("#", 1)[0]
        parsed = parse_web_url(resolved)
        assert parsed is not None and parsed[0] == resolved.split("#", 1)[0]


@SETTINGS
@given(base, href, encoding)
def test_a_link_target_is_a_web_url_whose_host_domain_and_surt_agree(base, href, encoding):
    target = Resolver(base, encoding).web(href)
    if target in (UNPARSEABLE, NON_WEB):
        return
    check_url(*target, "dst")


@SETTINGS
@given(url)
def test_a_hosts_domain_is_the_host_or_a_parent_and_is_its_own_domain(address):
    parsed = parse_web_url(address)
    if parsed is None:
        return
    host = parsed[1]
    domain = host_domain(host)
    assert host.rstrip(".") == domain or host.rstrip(".").endswith("." + domain)
    assert host_domain(domain) == domain
    if not host.startswith("[") and not host[-1:].isdigit():
        assert ".".join(reversed(surt_host(host).split("."))) == host.rstrip(".")


# -- extraction ---------------------------------------------------------------------

text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=15).map(
    lambda t: t.replace("<", "&lt;").replace("&", "&amp;")
)
attribute_value = st.one_of(href, st.sampled_from(["nofollow", "NoFollow UGC", "canonical", "robots", "refresh",
                                                   "0; url=/r", "noindex, nofollow", "none", "x:noindex"]))
attribute = st.tuples(
    st.sampled_from(["href", "rel", "alt", "name", "content", "http-equiv", "class", "id", "role", "xlink:href",
                     "charset"]),
    attribute_value,
).map(lambda pair: f' {pair[0]}="{pair[1].replace(chr(34), "&quot;")}"')
tag_name = st.sampled_from(
    "a area link base meta title div p ul li table tr td span b i font svg math object template script style "
    "textarea nav footer header aside main article section img br select option noscript x-y".split()
)


@st.composite
def markup(draw, depth=0):
    parts = []
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(0, 9))
        if kind < 3:
            parts.append(draw(text))
        elif kind == 3:
            parts.append(draw(st.sampled_from(["<!-- x -->", "<!--", "</p>", "</a>", "<br/>", "&amp;", "<", "]]>"])))
        else:
            name = draw(tag_name)
            attributes = "".join(draw(st.lists(attribute, max_size=3)))
            inner = draw(markup(depth + 1)) if depth < 4 else draw(text)
            close = draw(st.booleans())
            parts.append(f"<{name}{attributes}>{inner}" + (f"</{name}>" if close else ""))
    return "".join(parts)


headers = st.sampled_from([
    [("Content-Type", "text/html")],
    [("Content-Type", "text/html; charset=windows-1251")],
    [("Content-Type", "text/html; charset=utf-16")],
    [("Content-Type", "text/html"), ("X-Robots-Tag", "otherbot: noindex, nofollow")],
    [],
])


@SETTINGS
@given(markup(), base, headers, st.sampled_from(["utf-8", "cp1252", "utf-16-le"]))
def test_extraction_of_generated_html_gives_records_as_the_contract_says(document, page_url, header_list, codec):
    body = document.encode(codec, "replace")
    records = page_records(page_url, 200, header_list, body, FETCHED, Counter())
    assert records is not None
    check_records(records)


@SETTINGS
@given(st.binary(max_size=2000), base)
def test_extraction_of_any_bytes_gives_records_as_the_contract_says(body, page_url):
    records = page_records(page_url, 200, [("Content-Type", "text/html")], body, FETCHED, Counter())
    check_records(records)


# A '<' that starts a tag, and not one of the kept tags or a <br> made of another.
NESTING_TAG = re.compile(r"<(?=/?[A-Za-z])(?!/?(?:a|area|base|link|meta|title)[\t\n\f\r />]|br )", re.I)


@SETTINGS
@given(st.one_of(markup(), st.text(max_size=300)))
def test_a_flattened_page_holds_no_tag_that_nests_and_still_extracts(document):
    flat = flatten(document)
    assert not NESTING_TAG.search(flat)
    extract_links(flat.encode("utf-8", "surrogatepass"), "http://www.example.com/")


# -- the rewritten loops equal the originals -------------------------------------------------


def refresh_url_steps(content):
    """HTML's "shared declarative refresh steps", one character at a time (the reference)."""
    if not content:
        return None
    ws, digits = "\t\n\f\r ", "0123456789"
    s, n, i = content, len(content), 0
    while i < n and s[i] in ws:
        i += 1
    start = i
    while i < n and s[i] in digits:
        i += 1
    if i == start:
        return None
    while i < n and (s[i] in digits or s[i] == "."):
        i += 1
    if i < n:
        if s[i] not in ";," and s[i] not in ws:
            return None
        while i < n and s[i] in ws:
            i += 1
        if i < n and s[i] in ";,":
            i += 1
        while i < n and s[i] in ws:
            i += 1
    if i >= n:
        return None
    j = i
    if s[j : j + 3].lower() == "url":
        j += 3
        while j < n and s[j] in ws:
            j += 1
        if j < n and s[j] == "=":
            j += 1
            while j < n and s[j] in ws:
                j += 1
            i = j
    quote = s[i] if i < n and s[i] in "'\"" else ""
    found = s[i + 1 :] if quote else s[i:]
    if quote:
        cut = found.find(quote)
        if cut >= 0:
            found = found[:cut]
    return found if found.strip() else None


@settings(max_examples=400, deadline=None, database=None)
@given(st.text(st.sampled_from("0123456789.;, \t\nurlURL='\"/x=é"), max_size=25))
def test_refresh_urls_are_read_as_the_refresh_steps_say(content):
    assert refresh_url(content) == refresh_url_steps(content)


@settings(max_examples=300, deadline=None, database=None)
@given(st.binary(max_size=300).map(lambda b: b.replace(b"\r", b"\n")), st.integers(0, 400))
def test_the_lines_detection_reads_are_those_a_split_finds(data, limit):
    reference = b"\n".join(line for line in data.split(b"\n") if not line.isascii())[:limit]
    assert _non_ascii_lines(data, limit) == reference

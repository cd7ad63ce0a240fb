"""HTML page -> link records, as a browser sees the page.

A pure function over bytes and headers, shared by the live crawler and the
WARC reader so both produce identical records. Parsing is HTML5-conformant
(Lexbor through selectolax), decoding follows the browser's order (BOM, HTTP
charset, ``<meta charset>``, then detection), and hrefs are resolved by the
WHATWG URL standard (ada-url).

The per-link tuples follow ``linkindex.schema.LINK_TUPLE_FIELDS``; the
page-level columns (crawl id, source URL and host...) are added by the writer.
"""

from collections import Counter
from dataclasses import dataclass, field
import re

import charset_normalizer
from selectolax.lexbor import LexborHTMLParser
from w3lib.encoding import html_to_unicode, resolve_encoding

from crawler.urls import host_domain, resolve, split_web_url, strip_fragment, surt_host

_WS = re.compile(r"[\t\n\f\r ]+")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_REFRESH_URL = re.compile(r"""^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(['"]?)(.*?)\1\s*$""", re.I | re.S)

#: Class/id words naming a page region. Matched as whole words of the
#: lowercased attribute, split on anything that is not a letter or digit.
COMMENT_WORDS = frozenset({"comment", "comments", "commentlist", "disqus", "respond"})
NAV_WORDS = frozenset({"nav", "navbar", "navigation", "menu", "menubar", "breadcrumb", "breadcrumbs"})
HEADER_WORDS = frozenset({"header", "masthead", "banner"})
FOOTER_WORDS = frozenset({"footer", "colophon"})
ASIDE_WORDS = frozenset({"sidebar", "widget", "widgets", "aside"})
ROLE_REGIONS = {
    "navigation": "nav",
    "banner": "header",
    "contentinfo": "footer",
    "complementary": "aside",
    "main": "main",
}
TAG_REGIONS = {"nav": "nav", "aside": "aside", "main": "main", "article": "main"}
# As in the HTML accessibility mapping, a <header>/<footer> inside one of
# these belongs to that section (an article's byline or tag list), not to the
# page's banner or footer.
SECTIONING = frozenset({"article", "aside", "main", "nav", "section"})

ROBOTS_META_NAMES = frozenset({"robots", "googlebot"})
MAX_BINARY_SNIFF = 4096


@dataclass(slots=True)
class ExtractedPage:
    """What one HTML document yields."""

    url: str
    charset: str | None = None
    title: str | None = None
    page_nofollow: bool = False
    links: list[tuple] = field(default_factory=list)
    #: Hrefs that produced no record, by reason (``unparseable``, ``non_web``, ``empty``).
    skipped: Counter = field(default_factory=Counter)
    error: str | None = None


def is_html(content_type: str | None, body: bytes) -> bool:
    """Whether a response is an HTML document, by its media type or, lacking one, a sniff."""
    if content_type:
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime:
            return mime in ("text/html", "application/xhtml+xml") or mime.endswith("+html")
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<a ", b"<meta", b"<title"))


def looks_binary(body: bytes) -> bool:
    """NUL bytes in the first few KB mean images or archives mislabelled as HTML."""
    sniff = body[:MAX_BINARY_SNIFF]
    if sniff.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM is text
        return False
    return sniff.count(b"\x00") > 8


def _detect_encoding(data: bytes) -> str | None:
    # Called only when nothing declared an encoding: UTF-8 if it decodes, as
    # browsers do, else a statistical guess, else windows-1252.
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(data[:65536]).best()
    return best.encoding if best else "cp1252"


def decode_html(body: bytes, content_type: str | None) -> tuple[str, str]:
    """Decode as a browser: BOM, HTTP charset, <meta charset>, then detection."""
    encoding, text = html_to_unicode(content_type, body, auto_detect_fun=_detect_encoding)
    return resolve_encoding(encoding) or encoding, text


def robots_nofollow(value: str | None) -> bool:
    """Whether a robots meta content or X-Robots-Tag value forbids following links."""
    if not value:
        return False
    for directive in value.lower().split(","):
        name, _, rest = directive.partition(":")
        if rest and name.strip() not in ("googlebot", "robots", "*", "linkindex"):
            # "otherbot: nofollow" addresses another crawler; a "name: value"
            # directive such as unavailable_after is not about links.
            if name.strip() not in ("nofollow", "none"):
                continue
        token = (rest if rest else name).strip()
        for word in token.split():
            if word in ("nofollow", "none"):
                return True
    return False


def _rel_tokens(rel: str | None) -> str:
    if not rel:
        return ""
    return " ".join(sorted(set(rel.lower().split())))


def _collapse(text: str | None) -> str:
    if not text:
        return ""
    return _WS.sub(" ", text).strip()


class _Regions:
    """Nearest enclosing page region of an element, cached per ancestor.

    Links share most of their ancestors, so each element of the tree is
    classified at most once per page.
    """

    __slots__ = ("_cache",)

    def __init__(self):
        self._cache = {}

    def of(self, node):
        cache = self._cache
        chain = []
        parent = node.parent
        state = None
        while parent is not None:
            state = cache.get(parent.mem_id)
            if state is not None:
                break
            if parent.tag in ("body", "html", "-document"):
                state = (None, False)
                break
            chain.append(parent)
            parent = parent.parent
        if state is None:
            state = (None, False)
        region, sectioned = state
        for element in reversed(chain):
            own = _classify(element, sectioned)
            if own is not None:
                region = own
            sectioned = sectioned or element.tag in SECTIONING
            cache[element.mem_id] = (region, sectioned)
        return region or "body"


def _classify(element, in_section: bool) -> str | None:
    tag = element.tag
    attrs = element.attrs
    words = set()
    for name in ("class", "id"):
        value = attrs.get(name)
        if value:
            words.update(_NON_WORD.split(value.lower()))
    if words & COMMENT_WORDS:
        return "comment"
    region = TAG_REGIONS.get(tag)
    if region:
        return region
    role = attrs.get("role")
    if role:
        region = ROLE_REGIONS.get(role.strip().lower())
        if region and not (in_section and region in ("header", "footer")):
            return region
    if not in_section and (tag == "header" or words & HEADER_WORDS):
        return "header"
    if not in_section and (tag == "footer" or words & FOOTER_WORDS):
        return "footer"
    if words & NAV_WORDS:
        return "nav"
    if words & ASIDE_WORDS:
        return "aside"
    return None


def _link_tuple(dst_url, src_domain, text, rel, page_nofollow, kind, placement, position):
    dst_host = split_web_url(dst_url)[1]
    dst_domain = host_domain(dst_host)
    tokens = rel.split()
    return (
        dst_url,
        dst_host,
        dst_domain,
        surt_host(dst_host),
        text,
        rel,
        page_nofollow or "nofollow" in tokens,
        "ugc" in tokens,
        "sponsored" in tokens,
        dst_domain == src_domain,
        kind,
        placement,
        position,
    )


def redirect_link(url: str, location: str, page_nofollow: bool = False) -> tuple | None:
    """The link record of an HTTP redirect from ``url`` to its ``Location``."""
    target = resolve(url, location.strip())
    if target is None or split_web_url(target) is None:
        return None
    src = split_web_url(url)
    src_domain = host_domain(src[1]) if src else ""
    return _link_tuple(strip_fragment(target), src_domain, "", "", page_nofollow, "redirect", None, 0)


def extract_links(
    body: bytes,
    url: str,
    content_type: str | None = None,
    x_robots_tag: str | None = None,
) -> ExtractedPage:
    """Every hyperlink of one HTML document, in document order, duplicates kept.

    ``url`` is the document's URL (serialized); ``content_type`` the HTTP
    Content-Type header, for its charset; ``x_robots_tag`` the X-Robots-Tag
    header(s), joined by commas.
    """
    page = ExtractedPage(url=url)
    if looks_binary(body):
        page.error = "binary"
        return page
    try:
        page.charset, text = decode_html(body, content_type)
    except (LookupError, UnicodeError, ValueError):
        page.error = "decode_error"
        return page
    tree = LexborHTMLParser(text)

    src = split_web_url(url)
    src_domain = host_domain(src[1]) if src else ""

    title = tree.css_first("title")
    if title is not None:
        page.title = _collapse(title.text(deep=True))

    page_nofollow = robots_nofollow(x_robots_tag)
    refresh_targets = []
    for meta in tree.css("meta"):
        attrs = meta.attrs
        name = (attrs.get("name") or "").strip().lower()
        if name in ROBOTS_META_NAMES and robots_nofollow(attrs.get("content")):
            page_nofollow = True
        elif (attrs.get("http-equiv") or "").strip().lower() == "refresh":
            match = _REFRESH_URL.match(attrs.get("content") or "")
            if match and match.group(2).strip():
                refresh_targets.append(match.group(2).strip())
    page.page_nofollow = page_nofollow

    # The document base URL: the first <base href>, resolved against the
    # document URL; an unparseable one is ignored, as browsers do.
    base = url
    base_element = tree.css_first("base[href]")
    if base_element is not None:
        base = resolve(url, base_element.attrs.get("href") or "") or url

    links = page.links
    skipped = page.skipped
    regions = _Regions()
    position = 0
    for node in tree.css("a[href], area[href], link[href]"):
        tag = node.tag
        attrs = node.attrs
        rel = _rel_tokens(attrs.get("rel"))
        if tag == "link":
            if "canonical" not in rel.split():
                continue
            kind = "canonical"
        href = attrs.get("href")
        target = resolve(base, href)
        if target is None:
            skipped["unparseable"] += 1
            continue
        if split_web_url(target) is None:
            skipped["non_web"] += 1
            continue
        target = strip_fragment(target)
        if tag == "a":
            anchor = _collapse(node.text(deep=True))
            kind = "anchor"
            if not anchor:
                images = node.css("img")
                if images:
                    kind = "image"
                    anchor = _collapse(" ".join(img.attrs.get("alt") or "" for img in images))
            placement = regions.of(node)
        elif tag == "area":
            kind = "area"
            anchor = _collapse(attrs.get("alt"))
            placement = regions.of(node)
        else:
            anchor = ""
            placement = None
        links.append(
            _link_tuple(target, src_domain, anchor, rel, page_nofollow, kind, placement, position)
        )
        position += 1

    for refresh in refresh_targets:
        target = resolve(base, refresh)
        if target is None or split_web_url(target) is None:
            skipped["unparseable" if target is None else "non_web"] += 1
            continue
        links.append(
            _link_tuple(strip_fragment(target), src_domain, "", "", page_nofollow, "redirect", None, position)
        )
        position += 1
    return page

"""HTML page -> link records, as a browser sees the page.

A pure function over bytes and headers, shared by the live crawler and the
WARC reader so both produce identical records. Parsing is HTML5-conformant
(Lexbor through selectolax), decoding follows the browser's order (BOM, HTTP
charset, ``<meta charset>``, then detection), and hrefs are resolved by the
WHATWG URL standard (ada-url) in the document's encoding.

Each link is a ``linkindex.schema.LinkRecord``; the page-level columns
(crawl id, source URL and host...) are added by the writer.
"""

import codecs
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
import re

from chardetng_py import detect as chardetng_detect
from selectolax.lexbor import LexborHTMLParser
from w3lib.encoding import read_bom, to_unicode

from crawler.shape import bound
from crawler.urls import Resolver, host_domain, parse_web_url, resolve
from linkindex.schema import LinkRecord

_NON_WORD = re.compile(r"[^a-z0-9]+")
_TLD = re.compile(r"[a-z0-9-]+")
_ASCII_WS = "\t\n\f\r "
_DIGITS = "0123456789"

#: Class/id words naming a page region. Matched as whole words of the
#: lowercased attribute, split on anything that is not a letter or digit.
COMMENT_WORDS = frozenset({"comment", "comments", "commentlist", "disqus", "respond"})
NAV_WORDS = frozenset({"nav", "navbar", "navigation", "menu", "menubar", "breadcrumb", "breadcrumbs"})
HEADER_WORDS = frozenset({"header", "masthead"})
FOOTER_WORDS = frozenset({"footer", "colophon"})
ASIDE_WORDS = frozenset({"sidebar", "widget", "widgets", "aside"})
ROLE_REGIONS = {
    "navigation": "nav",
    "banner": "header",
    "contentinfo": "footer",
    "complementary": "aside",
    "main": "main",
    "article": "main",
}
TAG_REGIONS = {"nav": "nav", "aside": "aside", "main": "main", "article": "main"}
# As in the HTML accessibility mapping, a <header>/<footer> inside one of
# these (or an element with the matching role) belongs to that section (an
# article's byline or tag list), not to the page's banner or footer.
SECTIONING = frozenset({"article", "aside", "main", "nav", "section"})
SECTIONING_ROLES = frozenset({"article", "complementary", "main", "navigation", "region"})
_STOP_TAGS = frozenset({"body", "html", "-document", "frameset"})

# Anchor text: elements whose boundaries separate words (CSS block, list-item,
# table-row/cell, and <br>), and elements whose text is never rendered.
BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption center dd details dialog dir div dl dt "
    "fieldset figcaption figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr legend li "
    "listing main menu nav ol p plaintext pre search section summary table tbody td tfoot "
    "th thead tr ul xmp".split()
)
UNRENDERED_TAGS = frozenset({"script", "style", "template", "rp"})

ROBOTS_META_NAMES = frozenset({"robots", "googlebot"})
#: User agents whose robots directives this crawler obeys.
ROBOTS_AGENTS = frozenset({"robots", "googlebot", "*", "linkindex"})
#: Robots directives that take a value after a colon, so are not user agents.
ROBOTS_VALUE_DIRECTIVES = frozenset(
    {"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"}
)
_ROBOTS_AGENT = re.compile(r"[a-z0-9_*.-]+")

#: Links recorded per page at most; the rest of a page with more is not read
#: (recorded as ``too_many_links``).
MAX_LINKS = 50_000
#: <meta> elements read per page at most (robots and refresh); more is a flood
#: (``too_many_meta``).
MAX_META = 1_000
#: Nodes read for one link's anchor text at most: a link wrapping a whole
#: page region gets the text of its first part.
ANCHOR_TEXT_NODES = 2_000

MAX_BINARY_SNIFF = 4096
# WHATWG MIME sniffing: "text/html" patterns, each followed by a space or '>'.
_HTML_SNIFF = (
    b"<!doctype html", b"<html", b"<head", b"<script", b"<iframe", b"<h1", b"<div",
    b"<font", b"<table", b"<a", b"<style", b"<title", b"<b", b"<body", b"<br", b"<p", b"<!--",
)
_UNKNOWN_MIME = frozenset({"", "unknown/unknown", "application/unknown", "*/*"})

#: One document scan finds everything the extractor reads, in tree order.
#: Inside <svg> and <math> a title, base, area or link is not the HTML
#: element of that name (``_Foreign`` tells, faster than a ``:not(svg *)``
#: in the selector would); an SVG <a> is a link (with href or xlink:href).
_SELECTOR = "title, base[href], meta, a[href], area[href], link[href]"


@dataclass(slots=True)
class ExtractedPage:
    """What one HTML document yields."""

    url: str
    charset: str | None = None
    #: The first <title>, whitespace collapsed; '' if empty, None if there is none.
    title: str | None = None
    page_nofollow: bool = False
    #: Robots noindex, from meta robots/googlebot or the X-Robots-Tag header.
    noindex: bool = False
    links: list[LinkRecord] = field(default_factory=list)
    #: Hrefs that produced no record, by reason: ``unparseable`` (the URL
    #: parser fails) or ``non_web`` (mailto:, javascript:, data:, ftp: ...).
    skipped: Counter = field(default_factory=Counter)
    error: str | None = None
    #: Why only part of the page was read, or read flattened (``crawler.shape``
    #: causes, ``too_many_links``, ``too_many_meta``); its links are kept.
    bounded: str | None = None


def is_html(content_type: str | None, body: bytes) -> bool:
    """Whether a response is an HTML document, by its media type or, lacking one, a sniff.

    The sniff is the WHATWG one for an unknown type (leniently also after a
    UTF-8 BOM): a known tag at the start, after whitespace.
    """
    if content_type:
        mime = content_type.split(";", 1)[0].strip().lower()
        if mime not in _UNKNOWN_MIME:
            return mime in ("text/html", "application/xhtml+xml") or mime.endswith("+html")
    head = body[:512]
    if head.startswith(codecs.BOM_UTF8):
        head = head[3:]
    head = head.lstrip(b"\t\n\x0c\r ").lower()
    for pattern in _HTML_SNIFF:
        if head.startswith(pattern) and head[len(pattern) : len(pattern) + 1] in (b" ", b">"):
            return True
    return False


def looks_binary(body: bytes) -> bool:
    """NUL bytes in the first few KB mean images or archives mislabelled as HTML."""
    sniff = body[:MAX_BINARY_SNIFF]
    if sniff.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 with a BOM is text
        return False
    return sniff.count(b"\x00") > 8


# The Encoding Standard's labels (https://encoding.spec.whatwg.org/#names-and-labels),
# by the Python codec that decodes them. Browsers know these labels and no
# others: "latin-1" or "utf8mb4" is not a label, so the page falls through
# to detection. "replacement" labels make a browser show nothing.
_WHATWG_ENCODINGS = (
    ("utf-8", "unicode-1-1-utf-8 unicode11utf8 unicode20utf8 utf-8 utf8 x-unicode20utf8"),
    ("cp866", "866 cp866 csibm866 ibm866"),
    ("iso8859-2", "csisolatin2 iso-8859-2 iso-ir-101 iso8859-2 iso88592 iso_8859-2 iso_8859-2:1987 l2 latin2"),
    ("iso8859-3", "csisolatin3 iso-8859-3 iso-ir-109 iso8859-3 iso88593 iso_8859-3 iso_8859-3:1988 l3 latin3"),
    ("iso8859-4", "csisolatin4 iso-8859-4 iso-ir-110 iso8859-4 iso88594 iso_8859-4 iso_8859-4:1988 l4 latin4"),
    ("iso8859-5", "csisolatincyrillic cyrillic iso-8859-5 iso-ir-144 iso8859-5 iso88595 iso_8859-5 iso_8859-5:1988"),
    ("iso8859-6", "arabic asmo-708 csiso88596e csiso88596i csisolatinarabic ecma-114 iso-8859-6 iso-8859-6-e "
     "iso-8859-6-i iso-ir-127 iso8859-6 iso88596 iso_8859-6 iso_8859-6:1987"),
    ("iso8859-7", "csisolatingreek ecma-118 elot_928 greek greek8 iso-8859-7 iso-ir-126 iso8859-7 iso88597 "
     "iso_8859-7 iso_8859-7:1987 sun_eu_greek"),
    ("iso8859-8", "csiso88598e csisolatinhebrew hebrew iso-8859-8 iso-8859-8-e iso-ir-138 iso8859-8 iso88598 "
     "iso_8859-8 iso_8859-8:1988 visual csiso88598i iso-8859-8-i logical"),
    ("iso8859-10", "csisolatin6 iso-8859-10 iso-ir-157 iso8859-10 iso885910 l6 latin6"),
    ("iso8859-13", "iso-8859-13 iso8859-13 iso885913"),
    ("iso8859-14", "iso-8859-14 iso8859-14 iso885914"),
    ("iso8859-15", "csisolatin9 iso-8859-15 iso8859-15 iso885915 iso_8859-15 l9"),
    ("iso8859-16", "iso-8859-16"),
    ("koi8-r", "cskoi8r koi koi8 koi8-r koi8_r"),
    ("koi8-u", "koi8-ru koi8-u"),
    ("mac-roman", "csmacintosh mac macintosh x-mac-roman"),
    ("cp874", "dos-874 iso-8859-11 iso8859-11 iso885911 tis-620 windows-874"),
    ("cp1250", "cp1250 windows-1250 x-cp1250"),
    ("cp1251", "cp1251 windows-1251 x-cp1251"),
    ("cp1252", "ansi_x3.4-1968 ascii cp1252 cp819 csisolatin1 ibm819 iso-8859-1 iso-ir-100 iso8859-1 iso88591 "
     "iso_8859-1 iso_8859-1:1987 l1 latin1 us-ascii windows-1252 x-cp1252"),
    ("cp1253", "cp1253 windows-1253 x-cp1253"),
    ("cp1254", "cp1254 csisolatin5 iso-8859-9 iso-ir-148 iso8859-9 iso88599 iso_8859-9 iso_8859-9:1989 l5 "
     "latin5 windows-1254 x-cp1254"),
    ("cp1255", "cp1255 windows-1255 x-cp1255"),
    ("cp1256", "cp1256 windows-1256 x-cp1256"),
    ("cp1257", "cp1257 windows-1257 x-cp1257"),
    ("cp1258", "cp1258 windows-1258 x-cp1258"),
    ("mac-cyrillic", "x-mac-cyrillic x-mac-ukrainian"),
    ("gb18030", "chinese csgb2312 csiso58gb231280 gb2312 gb_2312 gb_2312-80 gbk iso-ir-58 x-gbk gb18030"),
    ("big5hkscs", "big5 big5-hkscs cn-big5 csbig5 x-x-big5"),
    ("euc_jp", "cseucpkdfmtjapanese euc-jp x-euc-jp"),
    ("iso2022_jp", "csiso2022jp iso-2022-jp"),
    ("cp932", "csshiftjis ms932 ms_kanji shift-jis shift_jis sjis windows-31j x-sjis"),
    ("cp949", "cseuckr csksc56011987 euc-kr iso-ir-149 korean ks_c_5601-1987 ks_c_5601-1989 ksc5601 ksc_5601 "
     "windows-949"),
    ("replacement", "csiso2022kr hz-gb-2312 iso-2022-cn iso-2022-cn-ext iso-2022-kr replacement"),
    ("utf-16-be", "unicodefffe utf-16be"),
    ("utf-16-le", "csunicode iso-10646-ucs-2 ucs-2 unicode unicodefeff utf-16 utf-16le"),
    # x-user-defined maps bytes 80-FF to the private use area; no Python codec does.
    ("cp1252", "x-user-defined"),
)
ENCODING_LABELS = {label: codec for codec, labels in _WHATWG_ENCODINGS for label in labels.split()}


def encoding_for_label(label: str | None) -> str | None:
    """The Python codec of an Encoding Standard label, or None if it is not one."""
    if not label:
        return None
    return ENCODING_LABELS.get(label.strip("\t\n\f\r ").lower())


# The charset parameter of a Content-Type header (the first one, quoted or not).
_HEADER_CHARSET = re.compile(r"""(?:^|[;,])[ \t]*charset[ \t]*=[ \t]*(?:"([^"]*)"|([^;,\s"]*))""", re.I)
# The bytes a prescan looks at, with comments skipped whole: meta tags (with
# their quoted values, which may hold ">") and, for XML documents, the XML
# declaration.
_PRESCAN = re.compile(
    rb"""<!--.*?(?:-->|$)
    | <meta(?=[\s/])(?P<meta>(?:[^<>"']|"[^"]*"|'[^']*')*)
    | <\?xml(?=\s)(?P<xml>[^<>]*)""",
    re.I | re.S | re.X,
)
_ATTRIBUTE = re.compile(rb"""([^\s/>"'=]+)\s*(?:=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?""")
_CONTENT_CHARSET = re.compile(rb"""charset\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s;"']+))""", re.I)
#: How far into the body a declaration is looked for. Browsers prescan 1 KB
#: but then honour a <meta charset> the parser meets later (by reloading);
#: this covers long heads.
PRESCAN_BYTES = 65536


def _meta_label(attributes: bytes) -> bytes | None:
    """The label a <meta> declares: charset=, or http-equiv=content-type with content="...charset=..."."""
    charset = content = None
    pragma = False
    for name, double, single, bare in _ATTRIBUTE.findall(attributes):
        name = name.lower()
        value = double or single or bare
        if name == b"charset" and charset is None:
            charset = value
        elif name == b"content" and content is None:
            content = value
        elif name == b"http-equiv" and value.strip().lower() == b"content-type":
            pragma = True
    if charset is not None:
        return charset
    if pragma and content is not None:
        match = _CONTENT_CHARSET.search(content)
        if match:
            return match.group(1) or match.group(2) or match.group(3)
    return None


def declared_encoding(body: bytes, xml: bool = False) -> str | None:
    """The Python codec a ``<meta>`` declares (an XML declaration too if ``xml``), or None.

    As the Encoding Standard says: unknown labels are skipped, and a
    document that declares UTF-16 in its own ASCII bytes is really UTF-8.
    """
    for match in _PRESCAN.finditer(body, 0, PRESCAN_BYTES):
        attributes = match.group("meta")
        if attributes is None:
            attributes = match.group("xml") if xml else None
            if attributes is None:
                continue
            found = _CONTENT_CHARSET.search(attributes.replace(b"encoding", b"charset"))
            label = found and (found.group(1) or found.group(2) or found.group(3))
        else:
            label = _meta_label(attributes)
        encoding = encoding_for_label(label.decode("latin-1")) if label else None
        if encoding is not None:
            if encoding.startswith("utf-16"):
                return "utf-8"
            return encoding
    return None


def _http_charset(content_type: str | None) -> str | None:
    """The Python codec of a Content-Type's charset, or None if absent or not a label."""
    if not content_type:
        return None
    match = _HEADER_CHARSET.search(content_type)
    if match is None:
        return None
    return encoding_for_label(match.group(1) if match.group(1) is not None else match.group(2))


def _detect_encoding(data: bytes, tld: str | None = None) -> str:
    """The encoding of a document that declares none.

    UTF-8 if it decodes as such (a body cut inside a character still counts),
    as Chromium does; otherwise Firefox's detector, chardetng, with the
    host's TLD as its hint (``.jp`` -> Shift_JIS, ``.ru`` -> windows-1251),
    which for pure ASCII is the browser's default for that TLD. The detector
    reads only the lines that have non-ASCII bytes, up to 64 KB.
    """
    if not data.isascii():
        try:
            codecs.getincrementaldecoder("utf-8")().decode(data, final=False)
            return "utf-8"
        except UnicodeDecodeError:
            pass
        data = _non_ascii_lines(data, 65536)
    else:
        data = b""
    # chardetng panics (it does not raise) on a TLD that is not a lowercase label.
    hint = tld.encode() if tld and _TLD.fullmatch(tld) else None
    return encoding_for_label(chardetng_detect(data, allow_utf8=False, tld=hint)) or "cp1252"


_NON_ASCII_BYTE = re.compile(rb"[\x80-\xff]")


def _non_ascii_lines(data: bytes, limit: int) -> bytes:
    """The lines of ``data`` that have a non-ASCII byte, joined by newlines, cut at ``limit`` bytes.

    Found from one non-ASCII byte to the next, so a page of a million lines
    is not split into a million pieces to find them.
    """
    lines = []
    size = 0
    pos = 0
    search = _NON_ASCII_BYTE.search
    while size <= limit:
        match = search(data, pos)
        if match is None:
            break
        start = data.rfind(b"\n", 0, match.start()) + 1
        end = data.find(b"\n", match.end())
        if end < 0:
            end = len(data)
        lines.append(data[start:end])
        size += end - start + 1
        pos = end + 1
    return b"\n".join(lines)[:limit]


def sniff_encoding(body: bytes, content_type: str | None, url: str | None = None) -> tuple[str, int]:
    """The encoding a browser decodes ``body`` with, and the length of its BOM.

    In the browser's order: BOM, HTTP charset, ``<meta charset>`` (an XML
    declaration only for XML media types), then detection, hinted by the TLD
    of ``url``. Labels are the Encoding Standard's. Returns a Python codec
    name, or "replacement" for the labels whose documents a browser blanks.
    """
    bom_encoding, bom = read_bom(body)
    if bom_encoding is not None:
        # There is no UTF-32 on the web: FF FE 00 00 is the UTF-16LE BOM and a NUL.
        if bom_encoding == "utf-32-le":
            return "utf-16-le", 2
        if bom_encoding != "utf-32-be":
            return bom_encoding, len(bom)
    encoding = _http_charset(content_type)
    if encoding is None:
        xml = bool(content_type) and "xml" in content_type.split(";", 1)[0].lower()
        encoding = declared_encoding(body, xml=xml)
    if encoding is None:
        encoding = _detect_encoding(body, _tld(url))
    return encoding, 0


def _tld(url: str | None) -> str | None:
    parsed = parse_web_url(url) if url else None
    if parsed is None or parsed[1].startswith("[") or parsed[1][-1:].isdigit():
        return None
    return parsed[1].rstrip(".").rpartition(".")[2] or None


def decode_html(body: bytes, content_type: str | None, url: str | None = None) -> tuple[str, str]:
    """Decode as a browser: BOM, HTTP charset, <meta charset>, then detection.

    Returns (Python codec name, text); undecodable bytes become U+FFFD.
    """
    encoding, bom = sniff_encoding(body, content_type, url)
    if encoding == "replacement":
        return encoding, "\ufffd" if body else ""
    return encoding, to_unicode(body[bom:] if bom else body, encoding)


def robots_nofollow(value: str | None) -> bool:
    """Whether a robots meta content or X-Robots-Tag value forbids following links (``nofollow``, ``none``)."""
    return not robots_directives(value).isdisjoint(("nofollow", "none"))


def robots_noindex(value: str | None) -> bool:
    """Whether a robots meta content or X-Robots-Tag value forbids indexing the page (``noindex``, ``none``)."""
    return not robots_directives(value).isdisjoint(("noindex", "none"))


def robots_directives(value: str | None) -> set[str]:
    """The directive words of a robots meta content or X-Robots-Tag value that apply to this crawler.

    Directives are comma-separated; ``agent: directives`` addresses the
    directives that follow, up to the next agent, to one crawler, so
    ``otherbot: noindex, nofollow`` does not apply to us. Several headers
    joined by commas read as one list.
    """
    words: set[str] = set()
    if not value:
        return words
    applies = True
    for directive in value.lower().split(","):
        name, colon, rest = directive.partition(":")
        if colon:
            name = name.strip()
            if name in ROBOTS_VALUE_DIRECTIVES:
                continue
            if not _ROBOTS_AGENT.fullmatch(name):
                continue  # e.g. the rest of a date split at its comma
            applies = name in ROBOTS_AGENTS
            directive = rest
        if applies:
            words.update(directive.split())
    return words


def refresh_url(content: str | None) -> str | None:
    """The URL in a ``<meta http-equiv=refresh>`` content, or None.

    HTML's "shared declarative refresh steps" as browsers implement them
    (web-platform-tests ``attr-meta-http-equiv-refresh/parsing.html``): a
    delay, a separator, then an optional ``url=`` and optional quotes. None
    when it does not parse or only reloads the page itself.
    """
    if not content:
        return None
    match = _REFRESH.match(content)
    if match is None:
        return None
    url = content[match.end() :]
    if not url:
        return None
    if url[0] in "'\"":
        cut = url.find(url[0], 1)
        url = url[1:cut] if cut >= 0 else url[1:]
    return url if url.strip() else None  # "url=" alone reloads the page


# A refresh content up to its URL: ASCII whitespace, a delay (digits, then
# digits and dots), a separator (';' or ',' and/or whitespace) and an
# optional "url=". Possessive, so a content of a million digits is read once.
_REFRESH = re.compile(
    r"[\t\n\f\r ]*+[0-9]++[0-9.]*+(?=[;,\t\n\f\r ])[\t\n\f\r ]*+[;,]?[\t\n\f\r ]*+"
    r"(?:url[\t\n\f\r ]*+=[\t\n\f\r ]*+)?",
    re.I,
)


@lru_cache(maxsize=4096)
def rel_info(rel: str | None) -> tuple[str, bool, bool, bool]:
    """(lowercased tokens sorted and space-joined, nofollow, ugc, sponsored) of a rel value."""
    if not rel:
        return "", False, False, False
    tokens = set(rel.lower().split())
    return " ".join(sorted(tokens)), "nofollow" in tokens, "ugc" in tokens, "sponsored" in tokens


def _collapse(text: str | None) -> str:
    """Runs of whitespace (any Unicode space, such as no-break space) -> one space, trimmed."""
    if not text:
        return ""
    return " ".join(text.split())


def _anchor_text(node) -> tuple[str, list[str] | None]:
    """Text of a link element and, when it has none, the alt of its images.

    Text as rendered: script and style contents dropped, and block boundaries
    and <br> separate words, so ``<div>Title</div><div>Source</div>`` reads
    "Title Source". A link nested in it (SVG links nest, and HTML ones do
    across ``<object>`` or table cells) has its own text, not counted here,
    so each node is read for one link at most; and at most
    ``ANCHOR_TEXT_NODES`` nodes are read. Returns (text, image alts or None
    if no image).
    """
    child = node.first_child
    if child is None:
        return "", None
    if child.next is None and child.is_text_node:  # the common case: plain text
        return _collapse(child.text_content), None
    parts = []
    alts = None
    stack = []
    budget = ANCHOR_TEXT_NODES
    while True:
        while child is None:
            if not stack:
                text = _collapse("".join(parts))
                return text, (alts if not text else None)
            child, block = stack.pop()
            if block:
                parts.append(" ")
        budget -= 1
        if not budget:
            stack.clear()
            child = None
            continue
        if child.is_text_node:
            parts.append(child.text_content)
            child = child.next
        elif child.is_element_node:
            tag = child.tag
            if tag == "img":
                if alts is None:
                    alts = []
                alts.append(child.attributes.get("alt") or "")
                child = child.next
            elif tag in UNRENDERED_TAGS or tag == "a":
                child = child.next
            else:
                block = tag in BLOCK_TAGS
                if block:
                    parts.append(" ")
                stack.append((child.next, block))
                child = child.first_child
        else:  # comment
            child = child.next


def _classify(tag: str, cls: str | None, ident: str | None, role: str | None, in_section: bool):
    """(region this element starts or None, whether it is a sectioning element)."""
    words = set(_NON_WORD.split(f"{cls or ''} {ident or ''}".lower())) if cls or ident else None
    if role:
        role = role.strip().lower()
    sectioning = tag in SECTIONING or role in SECTIONING_ROLES
    if words:
        # A widget listing recent comments is a sidebar widget, not a thread.
        if not words.isdisjoint(COMMENT_WORDS) and words.isdisjoint(ASIDE_WORDS):
            return "comment", sectioning
    region = TAG_REGIONS.get(tag)
    if region:
        return region, sectioning
    if role:
        region = ROLE_REGIONS.get(role)
        if region and not (in_section and region in ("header", "footer")):
            return region, sectioning
    if not in_section:
        if tag == "header" or (words and not words.isdisjoint(HEADER_WORDS)):
            return "header", sectioning
        if tag == "footer" or (words and not words.isdisjoint(FOOTER_WORDS)):
            return "footer", sectioning
    if words:
        if not words.isdisjoint(NAV_WORDS):
            return "nav", sectioning
        if not words.isdisjoint(ASIDE_WORDS):
            return "aside", sectioning
    return None, sectioning


# Pages repeat the same elements (``<li class="menu-item">``) and sites
# repeat the same templates, so classifications are memoized across pages.
_CLASSIFIED: dict = {}
_CLASSIFIED_MAX = 1 << 16


def _classify_element(tag: str, attrs: dict, in_section: bool):
    if not attrs:
        key = (tag, None, None, None, in_section)
    else:
        key = (tag, attrs.get("class"), attrs.get("id"), attrs.get("role"), in_section)
    result = _CLASSIFIED.get(key)
    if result is None:
        if len(_CLASSIFIED) >= _CLASSIFIED_MAX:
            _CLASSIFIED.clear()
        result = _CLASSIFIED[key] = _classify(*key)
    return result


class _Regions:
    """Nearest enclosing page region of an element, cached per ancestor.

    Links share most of their ancestors, so each element of the tree is
    classified at most once per page.
    """

    __slots__ = ("_cache",)

    def __init__(self):
        self._cache = {}

    def of(self, node) -> str:
        cache = self._cache
        parent = node.parent
        if parent is None:
            return "body"
        key = parent.mem_id
        state = cache.get(key)
        if state is not None:  # the common case: a sibling link was seen
            return state[0] or "body"
        chain = []
        while True:
            tag = parent.tag
            if tag in _STOP_TAGS:
                break
            chain.append((key, tag, parent))
            parent = parent.parent
            if parent is None:
                break
            key = parent.mem_id
            state = cache.get(key)
            if state is not None:
                break
        region, sectioned = state or (None, False)
        for key, tag, element in reversed(chain):
            own, sectioning = _classify_element(tag, element.attributes, sectioned)
            if own is not None:
                region = own
            sectioned = sectioned or sectioning
            cache[key] = (region, sectioned)
        return region or "body"


class _Foreign:
    """Whether an element is inside <svg> or <math>, cached per ancestor."""

    __slots__ = ("_cache",)

    def __init__(self):
        self._cache = {}  # element -> whether what is inside it is inside <svg> or <math>

    def of(self, node) -> bool:
        cache = self._cache
        chain = []
        inside = False
        parent = node.parent
        while parent is not None:
            key = parent.mem_id
            known = cache.get(key)
            if known is not None:
                inside = known
                break
            if parent.tag in ("svg", "math"):
                inside = cache[key] = True
                break
            chain.append(key)
            parent = parent.parent
        for key in chain:
            cache[key] = inside
        return inside


_NO_REL = rel_info(None)
# A LinkRecord from a tuple in field order: what the class call does, minus
# the keyword handling, which costs as much again on pages of a thousand links.
_new_record = tuple.__new__


def _link_record(target, src_domain, text, rel, page_nofollow, kind, placement, position) -> LinkRecord:
    """The record of a resolved link (``Resolver.web``)."""
    dst_url, dst_host, dst_domain, dst_surt_host = target
    rel, nofollow, ugc, sponsored = rel
    return _new_record(LinkRecord, (
        dst_url,
        dst_host,
        dst_domain,
        dst_surt_host,
        text,
        rel,
        page_nofollow or nofollow,
        ugc,
        sponsored,
        dst_domain == src_domain,
        kind,
        placement,
        position,
    ))


def _src_domain(url: str) -> tuple[str, str]:
    """(serialized document URL, its domain); the URL as given and '' if it does not parse."""
    parsed = parse_web_url(url)
    if parsed is None:
        return url, ""
    return parsed[0], host_domain(parsed[1])


def redirect_link(url: str, location: str, page_nofollow: bool = False) -> LinkRecord | None:
    """The link record of an HTTP redirect from ``url`` to its ``Location``."""
    base, src_domain = _src_domain(url)
    target = Resolver(base).web(location)
    if target.__class__ is str:
        return None
    return _link_record(target, src_domain, "", _NO_REL, page_nofollow, "redirect", None, 0)


def extract_links(
    body: bytes,
    url: str,
    content_type: str | None = None,
    x_robots_tag: str | None = None,
) -> ExtractedPage:
    """Every hyperlink of one HTML document, in document order, duplicates kept.

    ``url`` is the document's URL; ``content_type`` the HTTP Content-Type
    header, for its charset; ``x_robots_tag`` the X-Robots-Tag header(s),
    joined by commas.
    """
    page = ExtractedPage(url=url)
    if looks_binary(body) and not (_http_charset(content_type) or "").startswith("utf-16"):
        page.error = "binary"
        return page
    try:
        page.charset, bom = sniff_encoding(body, content_type, url)
        if page.charset == "replacement":  # a browser shows one U+FFFD
            page.error = "decode_error"
            return page
        if page.charset == "utf-8":
            # Lexbor decodes UTF-8 itself, invalid bytes to U+FFFD as a
            # browser does, which saves decoding and re-encoding the page.
            document = body[bom:] if bom else body
        else:
            document = to_unicode(body[bom:] if bom else body, page.charset)
    except (LookupError, UnicodeError, ValueError):
        page.error = "decode_error"
        return page
    # A page whose parse would run away is cut or flattened first (crawler.shape).
    document, page.bounded = bound(document)
    nodes = LexborHTMLParser(document).css(_SELECTOR)
    tags = [node.tag for node in nodes]

    doc_url, src_domain = _src_domain(url)
    header_directives = robots_directives(x_robots_tag)
    page_nofollow = not header_directives.isdisjoint(("nofollow", "none"))
    page.noindex = not header_directives.isdisjoint(("noindex", "none"))
    base_href = None
    metas = 0
    foreign = _Foreign()
    for tag, node in zip(tags, nodes):
        if tag == "meta":
            metas += 1
            if metas > MAX_META:
                continue
            attrs = node.attributes
            name = attrs.get("name")
            if name and name.strip().lower() in ROBOTS_META_NAMES:
                directives = robots_directives(attrs.get("content"))
                if not directives.isdisjoint(("nofollow", "none")):
                    page_nofollow = True
                if not directives.isdisjoint(("noindex", "none")):
                    page.noindex = True
        elif tag == "base":
            if base_href is None and not foreign.of(node):
                base_href = node.attributes.get("href") or ""
        elif tag == "title":
            if page.title is None and not foreign.of(node):
                page.title = _collapse(node.text(deep=True))
    page.page_nofollow = page_nofollow
    if metas > MAX_META and page.bounded is None:
        page.bounded = "too_many_meta"

    # The document base URL: the first <base href>, resolved against the
    # document URL; one that does not parse, or is data: or javascript:, is
    # ignored, as browsers do.
    base = doc_url
    if base_href is not None:
        frozen = resolve(doc_url, base_href, page.charset)
        if frozen is not None and not frozen.startswith(("data:", "javascript:")):
            base = frozen
    resolver = Resolver(base, page.charset)
    web = resolver.web

    links = page.links
    skipped = page.skipped
    new_record = _new_record
    regions = _Regions()
    metas = 0
    for tag, node in zip(tags, nodes):
        if len(links) >= MAX_LINKS:
            page.bounded = page.bounded or "too_many_links"
            break
        if tag == "a":
            attrs = node.attributes
            # SVG links may use xlink:href; href wins when both are set.
            target = web((attrs["href"] if "href" in attrs else attrs.get("xlink:href")) or "")
            if target.__class__ is str:
                skipped[target] += 1
                continue
            text, alts = _anchor_text(node)
            if alts is None:
                kind = "anchor"
            else:
                kind = "image"
                text = _collapse(" ".join(alts))
            placement = regions.of(node)
        elif tag == "area":
            if foreign.of(node):
                continue
            attrs = node.attributes
            target = web(attrs.get("href") or "")
            if target.__class__ is str:
                skipped[target] += 1
                continue
            kind = "area"
            text = _collapse(attrs.get("alt"))
            placement = regions.of(node)
        elif tag == "link":
            attrs = node.attributes
            rel = attrs.get("rel")
            if not rel or "canonical" not in rel.lower().split() or foreign.of(node):
                continue
            target = web(attrs.get("href") or "")
            if target.__class__ is str:
                skipped[target] += 1
                continue
            kind = "canonical"
            text = ""
            placement = None
        elif tag == "meta":
            metas += 1
            if metas > MAX_META:
                continue
            attrs = node.attributes
            equiv = attrs.get("http-equiv")
            if not equiv or equiv.strip().lower() != "refresh":
                continue
            refresh = refresh_url(attrs.get("content"))
            if refresh is None:
                continue
            target = web(refresh)
            if target.__class__ is str:
                skipped[target] += 1
                continue
            links.append(
                _link_record(target, src_domain, "", _NO_REL, page_nofollow, "redirect", None, len(links))
            )
            continue
        else:
            continue
        # _link_record, written out: this runs once per link.
        dst_url, dst_host, dst_domain, dst_surt_host = target
        rel, nofollow, ugc, sponsored = rel_info(attrs.get("rel"))
        links.append(
            new_record(
                LinkRecord,
                (
                    dst_url, dst_host, dst_domain, dst_surt_host, text, rel, page_nofollow or nofollow, ugc,
                    sponsored, dst_domain == src_domain, kind, placement, len(links),
                ),
            )
        )
    return page

"""URLs and hosts as a browser sees them.

Resolution follows the WHATWG URL standard through ada-url, including the
rule that a document in a legacy encoding percent-encodes the query of its
links in that encoding. Registered domains come from the Public Suffix List
(private section included) in the snapshot bundled with this package,
``public_suffix_list.dat``, read through tldextract and never refreshed over
the network; update it deliberately, as a reviewed change.
"""

from functools import lru_cache
import ipaddress
from pathlib import Path
import re

from ada_url import SchemeType
from ada_url._ada_wrapper import ffi, lib
import tldextract
from w3lib.encoding import resolve_encoding

WEB_SCHEMES = ("http", "https")

#: The project's Public Suffix List snapshot (MPL-2.0, see the file's header),
#: from https://github.com/publicsuffix/list commit
#: e8c9a2b2b2856b6449999dd0ec0d118f364ed0cd.
PUBLIC_SUFFIX_LIST = Path(__file__).with_name("public_suffix_list.dat")

#: Why an href yields no record: see ``Resolver.web``.
UNPARSEABLE = "unparseable"
NON_WEB = "non_web"

# ada's scheme types, as its public SchemeType names them.
_ADA_WEB = frozenset({int(SchemeType.HTTP), int(SchemeType.HTTPS)})
# Special schemes whose query is percent-encoded in the document's encoding
# (all special schemes except ws and wss).
_LEGACY_QUERY_SCHEMES = frozenset(int(t) for t in (SchemeType.HTTP, SchemeType.HTTPS, SchemeType.FTP, SchemeType.FILE))
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")

# ada's C API, called directly: one parse and three reads per URL cost about
# half of ada_url.join_url followed by taking the host apart in Python, and
# links are resolved by the hundred per page. ada_url._ada_wrapper is not
# its public API: tests/test_upstream_internals.py checks these functions
# against the public ada_url.URL and fails first if they change.
_parse_with_base = lib.ada_parse_with_base
_parse_alone = lib.ada_parse
_is_valid = lib.ada_is_valid
_scheme_type = lib.ada_get_scheme_type
_get_href = lib.ada_get_href
_get_hostname = lib.ada_get_hostname
_free = lib.ada_free
_unpack = ffi.unpack


def public_suffix_extractor(path: Path = PUBLIC_SUFFIX_LIST) -> tldextract.TLDExtract:
    """A tldextract reading only ``path``: no network, no cache files, no fallback.

    Without a fallback, a missing list is an error at first use instead of a
    silent switch to tldextract's own snapshot, which would change domains.
    """
    return tldextract.TLDExtract(
        cache_dir=None,
        suffix_list_urls=(path.resolve().as_uri(),),
        fallback_to_snapshot=False,
        include_psl_private_domains=True,
    )


_PSL = public_suffix_extractor()


@lru_cache(maxsize=64)
def _query_codec(encoding: str | None) -> str | None:
    """The Python codec a document's links encode their query with, or None for UTF-8.

    As in the URL standard's "get an output encoding", UTF-16 documents
    encode URLs in UTF-8; so do unknown labels.
    """
    if not encoding:
        return None
    name = resolve_encoding(encoding)
    if name is None or name.startswith("utf"):
        return None
    return name


def _encode_run(match, codec: str) -> str:
    # The encoder's "html" error mode writes unencodable characters as
    # "&#N;", whose '#' the query percent-encode set escapes.
    data = match.group().encode(codec, "xmlcharrefreplace")
    return "".join(chr(b) if b < 0x80 else "%%%02X" % b for b in data).replace("#", "%23")


def _encode_query(href: str, codec: str) -> str:
    """``href`` with the non-ASCII characters of its query encoded in ``codec``."""
    query = href.find("?")
    if query < 0:
        return href
    hash_ = href.find("#")
    if 0 <= hash_ < query:
        return href
    end = len(href) if hash_ < 0 else hash_
    encoded = _NON_ASCII.sub(lambda m: _encode_run(m, codec), href[query:end])
    return href[:query] + encoded + href[end:]


def _parse(href: bytes, base: bytes):
    """(serialized href, hostname, ada scheme type) or None if it does not parse.

    ``base`` may be empty: ``href`` must then be absolute.
    """
    url = _parse_with_base(href, len(href), base, len(base)) if base else _parse_alone(href, len(href))
    try:
        if not _is_valid(url):
            return None
        s = _get_href(url)
        serialized = _unpack(s.data, s.length).decode()
        h = _get_hostname(url)
        return serialized, _unpack(h.data, h.length).decode(), _scheme_type(url)
    finally:
        _free(url)


def _resolve(base: bytes, href: str, codec: str | None):
    try:
        raw = href.encode()
    except UnicodeEncodeError:  # lone surrogates
        return None
    if codec is None or href.isascii():
        return _parse(raw, base)
    parsed = _parse(_encode_query(href, codec).encode(), base)
    if parsed is not None and parsed[2] in _LEGACY_QUERY_SCHEMES:
        return parsed
    # Not a special scheme (or ws/wss): the query is UTF-8 after all.
    return _parse(raw, base)


def resolve(base: str, href: str, encoding: str | None = None) -> str | None:
    """Resolve ``href`` against ``base`` as a browser does; None if it does not parse.

    ``encoding`` is the document's character encoding, which a browser uses
    for the query of http(s), ftp and file URLs; None means UTF-8.
    """
    try:
        parsed = _resolve(base.encode(), href, _query_codec(encoding))
    except UnicodeEncodeError:
        return None
    return None if parsed is None else parsed[0]


def strip_fragment(url: str) -> str:
    # In a serialized URL the first '#' always starts the fragment.
    cut = url.find("#")
    return url if cut < 0 else url[:cut]


class Resolver:
    """Resolves the hrefs of one document against its base URL.

    Repeated hrefs (``/``, ``#``, a logo link) are resolved once per document.
    """

    __slots__ = ("base", "_base", "_codec", "_cache")

    def __init__(self, base: str, encoding: str | None = None):
        self.base = base
        self._base = base.encode("utf-8", "replace")
        self._codec = _query_codec(encoding)
        self._cache = {}

    def web(self, href: str) -> tuple[str, str, str, str] | str:
        """``(url without fragment, host, domain, SURT host)`` of an http(s) link, or why it is not one.

        The reason is ``UNPARSEABLE`` (the URL parser fails) or ``NON_WEB``
        (mailto:, javascript:, data:, ftp: ...). The domain is ``host_domain``.
        """
        result = self._cache.get(href)
        if result is None:
            parsed = _resolve(self._base, href, self._codec)
            if parsed is None:
                result = UNPARSEABLE
            elif parsed[2] not in _ADA_WEB:
                result = NON_WEB
            else:
                url, host, _ = parsed
                cut = url.find("#")
                result = (url if cut < 0 else url[:cut], host, host_domain(host), surt_host(host))
            self._cache[href] = result
        return result


def split_web_url(url: str) -> tuple[str, str] | None:
    """Return (scheme, host) of a serialized absolute URL, or None if not http(s).

    ``url`` must already be serialized by the URL parser, so the host is
    lowercase punycode and the form is ``scheme://[userinfo@]host[:port]/...``.
    """
    colon = url.find("://")
    scheme = url[:colon]
    if scheme not in WEB_SCHEMES:
        return None
    start = colon + 3
    end = len(url)
    for delim in "/?#":
        i = url.find(delim, start)
        if 0 <= i < end:
            end = i
    authority = url[start:end]
    at = authority.rfind("@")
    if at >= 0:
        authority = authority[at + 1 :]
    if authority.startswith("["):
        return scheme, authority[: authority.find("]") + 1]
    colon = authority.rfind(":")
    if colon >= 0:
        authority = authority[:colon]
    return scheme, authority


def parse_web_url(url: str) -> tuple[str, str] | None:
    """Parse any URL string; return (serialized url without fragment, host) or None."""
    try:
        parsed = _parse(url.encode(), b"")
    except UnicodeEncodeError:
        return None
    if parsed is None or parsed[2] not in _ADA_WEB or not parsed[1]:
        return None
    return strip_fragment(parsed[0]), parsed[1]


def _is_ip(host: str) -> bool:
    if host.startswith("["):
        return True
    if not host[-1:].isdigit():
        return False  # a serialized IPv4 host ends in a digit; most names do not
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def registered_domain(host: str) -> str | None:
    """The registrable domain of ``host`` by the Public Suffix List, or None.

    None for public suffixes themselves (``co.uk``, ``github.io``), for IP
    addresses and for malformed names (an empty label). A name under a TLD the
    list does not know follows the list's default rule ``*``: the TLD is the
    suffix, so ``a.b.internal`` -> ``b.internal``, and ``localhost`` is a suffix.
    """
    host = host.rstrip(".").lower()
    if not host or _is_ip(host) or host.startswith(".") or ".." in host:
        return None
    result = _PSL.extract_str(host, include_psl_private_domains=True)
    if result.suffix:
        return result.top_domain_under_public_suffix or None
    labels = host.rsplit(".", 2)
    return ".".join(labels[-2:]) if len(labels) > 1 else None


@lru_cache(maxsize=1 << 16)
def host_domain(host: str) -> str:
    """The domain a host is grouped under: its registered domain, else the host itself.

    IP addresses, bare public suffixes and single-label names (``localhost``)
    are their own domain.
    """
    return registered_domain(host) or host.rstrip(".")


@lru_cache(maxsize=1 << 16)
def surt_host(host: str) -> str:
    """Sort-friendly reversed host: ``www.example.com`` -> ``com.example.www``."""
    if _is_ip(host):
        return host
    return ".".join(reversed(host.rstrip(".").split(".")))

"""URLs and hosts as a browser sees them.

Resolution follows the WHATWG URL standard through ada-url; registered
domains come from the Public Suffix List (private section included) in the
snapshot bundled with tldextract, which is never refreshed over the network.
"""

from functools import lru_cache
import ipaddress

import ada_url
import tldextract

WEB_SCHEMES = ("http", "https")

# suffix_list_urls=() and cache_dir=None: the bundled snapshot only, no
# network access and no cache files written to the user's home.
_PSL = tldextract.TLDExtract(
    cache_dir=None,
    suffix_list_urls=(),
    fallback_to_snapshot=True,
    include_psl_private_domains=True,
)


def resolve(base: str, href: str) -> str | None:
    """Resolve ``href`` against ``base`` as a browser does; None if it does not parse."""
    try:
        return ada_url.join_url(base, href)
    except ValueError:
        return None


def strip_fragment(url: str) -> str:
    # In a serialized URL the first '#' always starts the fragment.
    cut = url.find("#")
    return url if cut < 0 else url[:cut]


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
        serialized = ada_url.normalize_url(url)
    except ValueError:
        return None
    parts = split_web_url(serialized)
    if parts is None or not parts[1]:
        return None
    return strip_fragment(serialized), parts[1]


def _is_ip(host: str) -> bool:
    if host.startswith("["):
        return True
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


def registered_domain(host: str) -> str | None:
    """The registrable domain of ``host`` by the Public Suffix List, or None.

    None for public suffixes themselves (``co.uk``, ``github.io``), for IP
    addresses and for hosts with no known suffix.
    """
    host = host.rstrip(".").lower()
    if not host or _is_ip(host):
        return None
    result = _PSL.extract_str(host, include_psl_private_domains=True)
    return result.top_domain_under_public_suffix or None


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

"""What every record must satisfy, checked field by field: the record contract as code.

Used by the property tests and the fuzzer: whatever the input, every record
the extractor makes must pass ``check_records``.
"""

from crawler.urls import host_domain, parse_web_url, surt_host
from linkindex.schema import LINK_KINDS, PLACEMENTS, LinkRecord, PageRow, PageSource


class ContractError(AssertionError):
    """A record breaks the contract; the message names the field."""


def _text(value, name: str, nullable: bool = False) -> None:
    if value is None and nullable:
        return
    if not isinstance(value, str):
        raise ContractError(f"{name} is {type(value).__name__}, not str: {value!r}")
    try:
        value.encode("utf-8")  # Parquet strings are UTF-8: no lone surrogates
    except UnicodeEncodeError as exc:
        raise ContractError(f"{name} is not UTF-8 text: {value!r}") from exc


def _flag(value, name: str) -> None:
    if type(value) is not bool:
        raise ContractError(f"{name} is {value!r}, not a bool")


def check_url(url: str, host: str, domain: str, surt: str, what: str) -> None:
    """A URL with its host, domain and SURT host as the records give them: they must agree."""
    _text(url, f"{what}_url")
    parsed = parse_web_url(url)
    if parsed != (url, host):
        raise ContractError(f"{what}_url {url!r} parses to {parsed!r}, not itself with host {host!r}")
    if domain != host_domain(host):
        raise ContractError(f"{what}_domain {domain!r} is not the domain of {host!r} ({host_domain(host)!r})")
    if surt != surt_host(host):
        raise ContractError(f"{what}_surt_host {surt!r} is not the SURT of {host!r}")
    name = host.rstrip(".")  # a fully qualified host's domain is written without the root's dot
    if not (name == domain or name.endswith("." + domain)):
        raise ContractError(f"{what}_domain {domain!r} is not {host!r} or a parent of it")


def check_link(link, position: int, source: PageSource, page_nofollow: bool) -> None:
    if type(link) is not LinkRecord:
        raise ContractError(f"link {position} is a {type(link).__name__}, not a LinkRecord")
    check_url(link.dst_url, link.dst_host, link.dst_domain, link.dst_surt_host, "dst")
    _text(link.anchor_text, "anchor_text")
    if link.anchor_text != " ".join(link.anchor_text.split()):
        raise ContractError(f"anchor_text {link.anchor_text!r} is not whitespace-collapsed")
    _text(link.rel, "rel")
    tokens = link.rel.split()
    if link.rel != " ".join(sorted(set(tokens))) or link.rel != link.rel.lower():
        raise ContractError(f"rel {link.rel!r} is not lowercased tokens, sorted, without repeats")
    for name in ("nofollow", "ugc", "sponsored", "internal"):
        _flag(getattr(link, name), name)
    if link.nofollow != ("nofollow" in tokens or page_nofollow):
        raise ContractError(f"nofollow {link.nofollow} disagrees with rel {link.rel!r} and page_nofollow {page_nofollow}")
    if link.internal != (link.dst_domain == source.domain):
        raise ContractError(f"internal {link.internal} but {link.dst_domain!r} vs {source.domain!r}")
    if link.kind not in LINK_KINDS:
        raise ContractError(f"kind {link.kind!r} is not one of {LINK_KINDS}")
    if link.kind in ("canonical", "redirect"):
        if link.placement is not None or link.anchor_text:
            raise ContractError(f"a {link.kind} link has placement {link.placement!r} and text {link.anchor_text!r}")
    elif link.placement not in PLACEMENTS:
        raise ContractError(f"placement {link.placement!r} is not one of {PLACEMENTS}")
    if link.position != position:
        raise ContractError(f"position {link.position} of link {position}")


def check_records(records) -> None:
    """Every field of a ``crawler.records.PageRecords`` as the contract says."""
    page, links, source = records.page, records.links, records.src
    if type(page) is not PageRow or type(source) is not PageSource:
        raise ContractError(f"page is {type(page).__name__}, source {type(source).__name__}")
    check_url(source.url, source.host, source.domain, source.surt_host, "src")
    if page.url != source.url:
        raise ContractError(f"pages.url {page.url!r} is not the source URL {source.url!r}")
    if parse_web_url(page.final_url) is None:
        raise ContractError(f"final_url {page.final_url!r} is not a web URL")
    for name in ("content_type", "charset", "title", "warc_file", "error", "ip_address"):
        _text(getattr(page, name), name, nullable=True)
    _flag(page.page_nofollow, "page_nofollow")
    if page.noindex is not None:
        _flag(page.noindex, "noindex")
    if page.links_out != len(links):
        raise ContractError(f"links_out {page.links_out} but {len(links)} links")
    if page.status is not None and not (0 <= page.status < 2**15):
        raise ContractError(f"status {page.status} does not fit int16")
    for position, link in enumerate(links):
        check_link(link, position, source, page.page_nofollow)


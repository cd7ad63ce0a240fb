"""One HTTP response -> one ``pages`` row and its ``links`` records.

The single place that decides what a response yields, used by the WARC
extractor and the live crawler alike, so that re-extracting a crawl's own
WARC archive reproduces its records exactly.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
import logging

from crawler.extractor import extract_links, is_html, redirect_link, robots_noindex
from crawler.urls import host_domain, parse_web_url, surt_host
from linkindex.schema import LinkRecord, PageRow, PageSource

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
#: Errors that leave part of the body: its links are still extracted (a page
#: cut at the size limit keeps the links of its first megabytes).
PARTIAL_BODY_ERRORS = frozenset({"too_large", "truncated"})


@dataclass(slots=True)
class PageRecords:
    """What one response yields: its ``pages`` row, its links, and the page they are on."""

    page: PageRow
    links: list[LinkRecord]
    src: PageSource


def header_pairs(headers) -> list[tuple[str, str]]:
    """Scrapy ``Headers`` as (name, value) str pairs, one per value, in order."""
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    ]


def first_header(headers, name: str) -> str | None:
    """The first value of header ``name``, as a browser reads it.

    Header bytes arrive decoded as latin-1; servers that send UTF-8 (in a
    ``Location`` with non-ASCII characters, say) are read as UTF-8, as
    browsers do.
    """
    name = name.lower()
    for key, value in headers:
        if key.lower() == name:
            try:
                return value.encode("latin-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                return value
    return None


def header_value(headers, name: str) -> str | None:
    """All values of header ``name`` (case-insensitive) joined by ', ', or None."""
    name = name.lower()
    values = [v for k, v in headers if k.lower() == name]
    return ", ".join(values) if values else None


def page_records(
    url: str,
    status: int | None,
    headers: list[tuple[str, str]],
    body: bytes,
    fetched_at: datetime,
    stats: Counter,
    error: str | None = None,
    content_length: int | None = None,
    warc_file: str | None = None,
    warc_offset: int | None = None,
    ip_address: str | None = None,
) -> PageRecords | None:
    """Build the records of one response; None when its URL is not a web URL.

    Links are extracted from 2xx HTML responses (and from status-less WARC
    ``resource`` records); 3xx responses yield their redirect; every other
    response yields a ``pages`` row only, so broken links can still be
    found by joining to ``pages``. ``error`` marks a body that is only part
    of the page (``too_large``, ``truncated``: its links are extracted) or
    that must not be parsed (``revisit``, ``content_decode``...). Counts go
    to ``stats``. ``ip_address`` is the server's address, when known.

    An unexpected exception costs this response's links only: it gets a
    ``pages`` row with error ``extract_error:<exception class>``, is counted
    (``pages/extract_error/<class>``) and logged once, with the WARC file
    and offset when it came from one.
    """
    seen = stats["pages/seen"]
    try:
        return _response_records(
            url, status, headers, body, fetched_at, stats, error, content_length, warc_file, warc_offset, ip_address
        )
    except BaseException as exc:
        # Rust extensions (pyo3) panic with a BaseException; stop requests must pass.
        if not isinstance(exc, Exception) and type(exc).__name__ != "PanicException":
            raise
        cause = type(exc).__name__
        stats["pages/extract_error"] += 1
        stats[f"pages/extract_error/{cause}"] += 1
        if stats["pages/seen"] == seen:
            stats["pages/seen"] += 1
        where = f"{warc_file} at offset {warc_offset}" if warc_file else "the crawl"
        logger.error("cannot extract %s from %s (%s: %s); its pages row says extract_error", url, where, cause, exc)
        return _failed_records(url, status, headers, body, fetched_at, f"extract_error:{cause}", content_length,
                               warc_file, warc_offset, ip_address)


def _failed_records(url, status, headers, body, fetched_at, error, content_length, warc_file, warc_offset, ip_address):
    """The ``pages`` row of a response whose extraction failed; None if even that cannot be made."""
    try:
        parsed = parse_web_url(url)
        if parsed is None:
            return None
        url, host = parsed
        page = PageRow(
            fetched_at=fetched_at,
            url=url,
            final_url=url,
            status=status,
            content_type=header_value(headers, "content-type"),
            content_length=len(body) if content_length is None else content_length,
            warc_file=warc_file,
            warc_offset=warc_offset,
            error=error,
            ip_address=ip_address,
        )
        return PageRecords(page, [], PageSource(url, host, host_domain(host), surt_host(host)))
    except Exception:
        return None


def _response_records(
    url, status, headers, body, fetched_at, stats, error, content_length, warc_file, warc_offset, ip_address
) -> PageRecords | None:
    parsed = parse_web_url(url)
    if parsed is None:
        stats["pages/skipped/bad_url"] += 1
        return None
    url, host = parsed
    src = PageSource(url, host, host_domain(host), surt_host(host))
    content_type = header_value(headers, "content-type")
    page = PageRow(
        fetched_at=fetched_at,
        url=url,
        final_url=url,
        status=status,
        content_type=content_type,
        content_length=len(body) if content_length is None else content_length,
        warc_file=warc_file,
        warc_offset=warc_offset,
        error=error,
        # Any response can be noindex by header (a PDF, a 404); HTML adds its meta tags below.
        noindex=robots_noindex(header_value(headers, "x-robots-tag")),
        ip_address=ip_address,
    )
    links: list[LinkRecord] = []
    stats["pages/seen"] += 1

    if status in REDIRECT_STATUSES:
        location = first_header(headers, "location")
        if location:
            link = redirect_link(url, location)
            if link is not None:
                links.append(link)
                page.final_url = link.dst_url
            else:
                stats["links/skipped/unparseable"] += 1
        stats["pages/redirect"] += 1
    elif error is not None and error not in PARTIAL_BODY_ERRORS:
        stats[f"pages/skipped/{error}"] += 1
    elif status is not None and not 200 <= status < 300:
        stats["pages/http_error"] += 1
    elif not is_html(content_type, body):
        stats["pages/non_html"] += 1
    else:
        extracted = extract_links(
            body,
            url,
            content_type=content_type,
            x_robots_tag=header_value(headers, "x-robots-tag"),
        )
        page.charset = extracted.charset
        page.title = extracted.title
        page.page_nofollow = extracted.page_nofollow
        page.noindex = page.noindex or extracted.noindex
        if extracted.error:
            page.error = extracted.error
            stats[f"pages/skipped/{extracted.error}"] += 1
        else:
            stats["pages/html"] += 1
            if error is not None:
                stats[f"pages/partial/{error}"] += 1
            if extracted.bounded is not None:
                # Read in part or flattened: its links are kept, and why is recorded
                # (after a partial body's own reason, which says more).
                page.error = page.error or extracted.bounded
                stats[f"pages/bounded/{extracted.bounded}"] += 1
        links = extracted.links
        for reason, count in extracted.skipped.items():
            stats[f"links/skipped/{reason}"] += count

    page.links_out = len(links)
    stats["links/extracted"] += len(links)
    return PageRecords(page, links, src)

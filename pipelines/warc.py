"""Archive every fetched response as WARC, so a crawl can be re-extracted later.

Each response is written as a ``response`` record followed by its
``request`` record (gzip per record), and every file opens with a
``warcinfo`` record naming the crawler and its settings. The body is stored
as the crawler parsed it: content codings already removed, so the original
``Content-Encoding``/``Transfer-Encoding`` headers are kept under
``X-Crawler-*`` names (as Common Crawl does) and ``Content-Length`` is the
stored length. ``linkindex extract`` over the archive therefore sees exactly
what the crawler saw and reproduces its link records.

Files are written as ``<name>.warc.gz.open`` and renamed to ``<name>.warc.gz``
when rotated (``WARC_ARCHIVE_MAX_BYTES``) or closed: a file without
``.open`` is complete. ``pages.warc_file``/``pages.warc_offset`` point at
each page's response record.

Settings (defaults in ``crawler.defaults``): ``WARC_ARCHIVE_ENABLED``
(False; ``linkindex crawl --warc`` turns it on), ``WARC_ARCHIVE_MAX_BYTES``,
``LINKINDEX_DATA_DIR`` (files go to ``DIR/warc/``; see
``pipelines.parquet.data_dir_setting``), ``LINKINDEX_CRAWL_ID``,
``LINKINDEX_WORKER_ID``.
"""

from datetime import datetime, timezone
from http import HTTPStatus
from io import BytesIO
import os
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawler import defaults
from crawler.records import header_pairs
from pipelines.parquet import data_dir_setting, safe_name, worker_id

# Headers describing the transfer, not the stored body.
RENAMED_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
# Request headers the site never received: the proxy's credentials (from
# http_proxy=http://user:password@...) must not end up in an archive.
UNSENT_REQUEST_HEADERS = {"proxy-authorization"}
OPEN_SUFFIX = ".open"


def warc_date(moment: datetime) -> str:
    """WARC-Date with microseconds (WARC/1.1), so re-extraction keeps fetched_at exactly."""
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def archived_headers(headers: list[tuple[str, str]], body_length: int) -> list[tuple[str, str]]:
    stored = []
    for name, value in headers:
        if name.lower() in RENAMED_HEADERS:
            stored.append((f"X-Crawler-{name}", value))
        else:
            stored.append((name, value))
    stored.append(("Content-Length", str(body_length)))
    return stored


def request_target(url: str) -> str:
    """The path and query of a URL, as the request line names it."""
    rest = url.split("://", 1)[1]
    start = rest.find("/")
    target = rest[start:] if start >= 0 else "/"
    return target.split("#", 1)[0]


def sent_headers(url: str, headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The request headers as the site received them: Host first (the HTTP client adds it), no proxy credentials."""
    kept = [(name, value) for name, value in headers if name.lower() not in UNSENT_REQUEST_HEADERS]
    if not any(name.lower() == "host" for name, _ in kept):
        authority = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
        kept.insert(0, ("Host", authority))
    return kept


def status_line(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"{status} Unknown"


class WarcFile:
    """One rotating series of WARC files of one writer."""

    def __init__(self, directory, prefix: str, max_bytes: int, info: dict):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.prefix = prefix
        self.max_bytes = max_bytes
        self.info = info
        self.sequence = 0
        self._file = None
        self._writer = None
        self.path: Path | None = None
        self.files_closed: list[Path] = []

    def _open(self):
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        self.path = self.directory / f"{self.prefix}-{stamp}-{self.sequence:05d}.warc.gz"
        self.sequence += 1
        self._file = open(f"{self.path}{OPEN_SUFFIX}", "wb")
        self._writer = WARCWriter(self._file, gzip=True, warc_version="1.1")
        record = self._writer.create_warcinfo_record(self.path.name, self.info)
        self._writer.write_record(record)

    def write(self, records) -> tuple[str, int]:
        """Write records back to back; return (file name, offset of the first)."""
        if self._file is None:
            self._open()
        offset = self._file.tell()
        for record in records(self._writer):
            self._writer.write_record(record)
        name = str(self.path)
        # Out of this process's buffer at once: the page's lease may be
        # released as soon as its Parquet records are written, and a killed
        # worker must not leave pages pointing at records it never wrote.
        self._file.flush()
        if self._file.tell() >= self.max_bytes:
            self.close()
        return name, offset

    def close(self):
        if self._file is None:
            return
        self._file.close()
        os.replace(f"{self.path}{OPEN_SUFFIX}", self.path)
        self.files_closed.append(self.path)
        self._file = None
        self._writer = None


class WarcArchivePipeline:
    """Item pipeline writing each item's response (and request) as WARC records."""

    def __init__(self, directory, prefix: str, max_bytes: int, info: dict, stats=None):
        self.archive = WarcFile(directory, prefix, max_bytes, info)
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy.exceptions import NotConfigured

        settings = crawler.settings
        if not settings.getbool("WARC_ARCHIVE_ENABLED", defaults.WARC_ARCHIVE_ENABLED):
            # Off is the normal case: no message, which Scrapy would log as a
            # warning on every crawl without --warc.
            raise NotConfigured
        data_dir = data_dir_setting(settings)
        crawl_id = settings.get("LINKINDEX_CRAWL_ID") or defaults.DEFAULT_CRAWL_ID
        worker = settings.get("LINKINDEX_WORKER_ID") or worker_id()
        info = {
            "software": defaults.USER_AGENT,
            "format": "WARC File Format 1.1",
            "isPartOf": crawl_id,
            "http-header-user-agent": settings.get("USER_AGENT"),
            "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            "crawler-settings": "; ".join(
                f"{name}={settings.get(name)}"
                for name in (
                    "LINKINDEX_MAX_DEPTH",
                    "LINKINDEX_MAX_PAGES_PER_DOMAIN",
                    "LINKINDEX_MAX_PAGE_BYTES",
                    "DOWNLOAD_DELAY",
                    "CONCURRENT_REQUESTS_PER_DOMAIN",
                    "AUTOTHROTTLE_ENABLED",
                )
            ),
        }
        return cls(
            Path(data_dir) / "warc",
            f"linkindex-{safe_name(crawl_id)}-{safe_name(worker)}",
            settings.getint("WARC_ARCHIVE_MAX_BYTES", defaults.WARC_ARCHIVE_MAX_BYTES),
            info,
            stats=crawler.stats,
        )

    def process_item(self, item):
        response = item.response
        if response is None:
            return item
        page = item.records.page
        body = response.body
        date = warc_date(page.fetched_at)

        def records(writer):
            warc_headers = {"WARC-Date": date}
            if response.ip_address is not None:
                warc_headers["WARC-IP-Address"] = str(response.ip_address)
            if "download_stopped" in response.flags:
                warc_headers["WARC-Truncated"] = "length"
            http_headers = StatusAndHeaders(
                status_line(response.status),
                archived_headers(header_pairs(response.headers), len(body)),
                protocol=response.protocol or "HTTP/1.1",
            )
            record = writer.create_warc_record(
                response.url,
                "response",
                payload=BytesIO(body),
                length=len(body),
                http_headers=http_headers,
                warc_headers_dict=warc_headers,
            )
            yield record
            request = response.request
            if request is not None:
                request_headers = StatusAndHeaders(
                    f"{request.method} {request_target(request.url)} HTTP/1.1",
                    sent_headers(request.url, header_pairs(request.headers)),
                    is_http_request=True,
                )
                yield writer.create_warc_record(
                    request.url,
                    "request",
                    payload=BytesIO(request.body or b""),
                    length=len(request.body or b""),
                    http_headers=request_headers,
                    warc_headers_dict={
                        "WARC-Date": date,
                        "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
                    },
                )

        page.warc_file, page.warc_offset = self.archive.write(records)
        if self.stats is not None:
            self.stats.inc_value("warc/records_written", 2 if response.request is not None else 1)
        return item

    def close_spider(self):
        self.archive.close()
        if self.stats is not None:
            self.stats.set_value("warc/files_written", len(self.archive.files_closed))


"""One WARC/ARC file -> its responses: FastWARC where it can, warcio where it cannot.

See the package's docstring for how the two take turns and what is counted.

The warcio subclasses here use its private names; ``tests/test_upstream_internals.py``
pins each one and fails, naming it, if warcio changes it.
"""

import collections
from collections.abc import Iterator
from datetime import datetime, timezone
import email.utils
import gzip
import ipaddress
import logging
import os
import zlib

from fastwarc.warc import ArchiveIterator as FastArchiveIterator
from fastwarc.warc import WarcRecordType
from warcio.archiveiterator import ArchiveIterator as WarcioArchiveIterator
from warcio.bufferedreaders import DecompressingBufferedReader
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParser

from linkindex.warc.bodies import DEFAULT_MAX_BODY, read_body
from linkindex.warc.recovery import (
    ARC_LINE,
    BLOCK,
    GZIP_MAGIC,
    WARC_LINE,
    WARC_START,
    find_gzip_record,
    next_record,
)
from linkindex.warc.response import WarcReadError, WarcResponse

# warcio warns on stderr about every target URI with a space in it, which
# _clean_uri mends anyway: in a Common Crawl file, thousands of lines.
logging.getLogger("warcio.recordloader").setLevel(logging.ERROR)

#: Records whose target URI does not start with one of these are skipped.
URL_SCHEMES = ("http://", "https://")

_YIELDED_TYPES = ("response", "resource", "revisit")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def iter_responses(
    path: str, stats: collections.Counter, max_body: int = DEFAULT_MAX_BODY
) -> Iterator[WarcResponse]:
    """Yield the http(s) response, resource and revisit records of a WARC/ARC file.

    Reads record by record; at most about ``max_body`` bytes of one body are held.
    Raises WarcReadError only before the first record, when the file cannot be
    opened or is not a WARC/ARC file. Damage later in the file is counted in
    ``stats`` and skipped (see the package docstring).
    """
    fmt, gzipped, start = _sniff(path)
    stats["warc/files"] += 1
    if fmt == "empty":
        stats["warc/files_empty"] += 1
        return
    if start:
        stats["warc/records_failed"] += 1  # the first record is damaged
    yield from _FileReader(path, fmt, gzipped, stats, max_body).run(start)


#: How far into a file whose first record is damaged to look for the next one.
_SNIFF_SEARCH = 16 * 1024 * 1024


def _sniff(path: str) -> tuple[str, bool, int]:
    """Return (format, gzipped, offset of the first record) from the file's first bytes.

    The format is 'warc', 'arc' or 'empty'. When the first record is damaged
    but a WARC record follows soon after, the offset is that record's.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(BLOCK)
    except OSError as exc:
        raise WarcReadError(f"cannot open {path}: {exc.strerror or exc}") from exc
    if not head:
        return "empty", False, 0
    if head.startswith(_ZSTD_MAGIC):
        raise WarcReadError(
            f"{path}: zstd-compressed WARC files are not supported; "
            "decompress with `zstd -d` or recompress with gzip"
        )
    gzipped = head[:2] == b"\x1f\x8b"
    text, gzip_error = head, None
    if gzipped:
        text, data = b"", head
        try:
            while data and len(text) < 1024:
                dec = zlib.decompressobj(31)
                text += dec.decompress(data, 4096)
                data = dec.unused_data
        except zlib.error as exc:
            gzip_error = exc
    text = text.lstrip(b"\r\n")
    first_line = text.split(b"\n", 1)[0] + b"\n"
    if gzip_error is None:
        if WARC_LINE.match(first_line):
            return "warc", gzipped, 0
        if text.startswith(b"filedesc://") or ARC_LINE.match(first_line):
            return "arc", gzipped, 0
        if not text:
            return "empty", gzipped, 0

    if gzipped:
        for fmt in ("warc", "arc"):
            start = find_gzip_record(path, 1, fmt, end=_SNIFF_SEARCH)
            if start is not None:
                return fmt, True, start
    else:
        for m in WARC_START.finditer(head):
            if b"\nWARC-" in head[m.end(1) - 1 : m.end(1) + 300]:
                return "warc", False, m.start(1)
    if gzip_error is not None:
        raise WarcReadError(
            f"{path}: starts like a gzip file but cannot be decompressed ({gzip_error}); "
            "check that the download is complete (e.g. `gzip -t`)"
        )
    raise WarcReadError(
        f"{path}: not a WARC or ARC file (first bytes {text[:40]!r}); pass WARC/ARC files, gzipped or not"
    )


class _FileReader:
    """Reads one file: FastWARC where it can, warcio where it cannot, resync on damage.

    Progress is tracked as (resume_at, handled_through): a reader that takes
    over restarts at ``resume_at`` (a record start) and skips records at
    offsets <= ``handled_through``. Each switch starts strictly further into
    the file than the previous one, so reading always ends.
    """

    def __init__(self, path, fmt, gzipped, stats, max_body):
        self.path = path
        self.fmt = fmt
        self.gzipped = gzipped
        self.stats = stats
        self.max_body = max_body
        self.resume_at = 0
        self.handled_through = -1
        self.handled = 0  # records handled so far, for files without seekable offsets
        self.seekable = True
        self.fastwarc_failures = 0
        self.last_date = None
        self.size = os.path.getsize(path)

    def run(self, start: int = 0) -> Iterator[WarcResponse]:
        pos: int | None = start
        while pos is not None and pos < self.size:
            handover = False
            if self.fmt == "warc" and self.fastwarc_failures < _MAX_FASTWARC_FAILURES:
                try:
                    yield from self._fastwarc(pos)
                except Exception as exc:
                    self._count_error(exc)
                    self.fastwarc_failures += 1
                    if self.fastwarc_failures == 1:
                        self.stats["warc/files_fallback"] += 1
                if not self.seekable:
                    if self.fastwarc_failures:
                        yield from self._warcio_whole_gzip()
                    return
                # After a failure, warcio reads past it; after a clean end, warcio
                # checks the tail (a record cut inside its header, or anything
                # FastWARC stepped over), usually finding nothing new.
                pos = self.resume_at
                handover = self.fastwarc_failures < _MAX_FASTWARC_FAILURES
            it = None
            try:
                it = _LenientArchiveIterator(open(self.path, "rb"), self.stats)
                pos = yield from self._warcio(it, pos, handover)
            except Exception as exc:
                self._count_error(exc)
                self.stats["warc/records_failed"] += 1
                failed_at = max(it.offset, pos) if it is not None else pos
                pos = self._resync(failed_at + 1)
            finally:
                if it is not None:
                    it.fh.close()

    # -- FastWARC ----------------------------------------------------------

    def _fastwarc(self, start: int) -> Iterator[WarcResponse]:
        self.resume_at, self.handled_through = start, -1
        with open(self.path, "rb") as fh:
            fh.seek(start)
            records = iter(FastArchiveIterator(fh, parse_http=True, quirks_mode=True, auto_decode="none"))
            fd = fh.fileno()
            prev_pos = -1
            while True:
                rec = next(records, None)
                if rec is None:
                    return
                pos = rec.stream_pos
                offset = pos
                if self.gzipped and not (
                    pos == start or (pos != prev_pos and os.pread(fd, 3, pos) == GZIP_MAGIC)
                ):
                    # Several records share a gzip member: FastWARC reports a read position.
                    self._not_seekable()
                    offset = -1
                prev_pos = pos
                response = self._from_fastwarc(rec, offset)
                self.handled += 1
                if offset >= 0 and self.seekable:
                    self.resume_at = self.handled_through = offset
                if response is not None:
                    yield response

    def _from_fastwarc(self, rec, offset: int) -> WarcResponse | None:
        rtype = _FAST_TYPES.get(int(rec.record_type), "unknown")
        self.stats["warc/records/" + rtype] += 1
        if rtype not in _YIELDED_TYPES:
            return None
        warc_headers = rec.headers
        url = _clean_uri(warc_headers.get("WARC-Target-URI"))
        if not self._wanted_uri(url):
            return None
        fetched_at = rec.record_date
        status = None
        headers: list[tuple[str, str]] = []
        if rec.is_http:
            http = rec.http_headers
            status = http.status_code
            if status is None:  # FastWARC's reading of a status code that is not a number
                self.stats["warc/bad_status"] += 1
            headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in http.items_bytes()]
        elif rtype == "resource":
            ctype = warc_headers.get("Content-Type")
            if ctype:
                headers = [("Content-Type", ctype)]
        fetched_at = self._date(fetched_at, headers)
        return self._response(
            url,
            fetched_at,
            status,
            headers,
            rtype,
            offset,
            rec.reader,
            rec.content_length,
            warc_headers.get("WARC-Truncated"),
            warc_headers.get("WARC-IP-Address"),
        )

    # -- warcio ------------------------------------------------------------

    def _warcio(self, it, start: int, handover: bool):
        """Read with warcio from ``start``. With ``handover``, stop after the first
        new record and return where FastWARC should continue; else return None at EOF."""
        it.fh.seek(start)
        it.reset(start)
        for rec in it:
            if it.shared_member:
                # Records after the first in a gzip member: no offset to seek to,
                # and no record boundary for FastWARC to take over at.
                offset, handover = -1, False
                self._not_seekable()
            else:
                offset = it.offset
                if offset <= self.handled_through:
                    continue
            response = self._from_warcio(rec, offset)
            self.handled += 1
            if offset >= 0:
                self.resume_at = self.handled_through = offset
            if response is not None:
                yield response
            if handover:
                it.read_to_end()
                return it.offset
        return None

    def _warcio_whole_gzip(self) -> Iterator[WarcResponse]:
        """Fallback for a gzip file not compressed record by record: warcio over the
        decompressed stream, skipping the records FastWARC already handled."""
        skip = self.handled
        try:
            with gzip.open(self.path, "rb") as stream:
                it = _LenientArchiveIterator(stream, self.stats)
                for i, rec in enumerate(it):
                    if i < skip:
                        continue
                    response = self._from_warcio(rec, -1)
                    self.handled += 1
                    if response is not None:
                        yield response
        except Exception as exc:
            self._count_error(exc)
            self.stats["warc/records_failed"] += 1

    def _from_warcio(self, rec, offset: int) -> WarcResponse | None:
        if self.fmt == "warc":
            self.stats["warc/records_via_warcio"] += 1
        rtype = rec.rec_type or "unknown"
        if rtype == "arc_header":
            rtype = "warcinfo"
        self.stats["warc/records/" + rtype] += 1
        if rtype not in _YIELDED_TYPES:
            return None
        warc_headers = rec.rec_headers
        url = _clean_uri(warc_headers.get_header("WARC-Target-URI") or warc_headers.get_header("uri"))
        if not self._wanted_uri(url):
            return None
        status = None
        headers: list[tuple[str, str]] = []
        if rec.http_headers is not None and rec.http_headers.protocol:
            code = rec.http_headers.get_statuscode()
            status = int(code) if code and code.isdigit() else None
            headers = list(rec.http_headers.headers)
        elif rtype == "resource" and rec.content_type:
            headers = [("Content-Type", rec.content_type)]
        date = warc_headers.get_header("WARC-Date") or warc_headers.get_header("archive-date")
        fetched_at = self._date(_parse_date(date), headers)
        declared = rec.payload_length if rec.payload_length >= 0 else rec.length
        return self._response(
            url,
            fetched_at,
            status,
            headers,
            rtype,
            offset,
            rec.raw_stream,
            declared,
            warc_headers.get_header("WARC-Truncated"),
            warc_headers.get_header("WARC-IP-Address") or warc_headers.get_header("ip-address"),
        )

    # -- shared ------------------------------------------------------------

    def _wanted_uri(self, url: str) -> bool:
        if not url:
            self.stats["warc/records_skipped/no_uri"] += 1
            return False
        if not url[:8].lower().startswith(URL_SCHEMES):
            self.stats["warc/records_skipped/non_http"] += 1
            return False
        return True

    def _date(self, parsed: datetime | None, headers) -> datetime:
        if parsed is None:
            self.stats["warc/bad_date"] += 1
            parsed = _http_date(headers) or self.last_date or _EPOCH
        elif parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=timezone.utc)
        elif parsed.tzinfo is not timezone.utc:
            parsed = parsed.astimezone(timezone.utc)
        self.last_date = parsed
        return parsed

    def _response(self, url, fetched_at, status, headers, rtype, offset, raw, declared, warc_truncated, ip):
        self.stats["warc/responses"] += 1
        ip = _clean_ip(ip)
        if status is not None and not 100 <= status <= 999:
            # A damaged status line ("HTTP/1.1 2009999999 OK"): no status
            # rather than one the pages table cannot hold.
            self.stats["warc/bad_status"] += 1
            status = None
        if rtype == "revisit":
            return WarcResponse(
                url, fetched_at, status, headers, b"", 0, self.path, offset, rtype, "revisit", False, None, ip
            )
        body, content_length, error, truncated = read_body(
            raw, declared, status, headers, self.max_body, self.stats
        )
        if warc_truncated is not None:
            truncated = True
            if error is None and not body:
                error = "truncated"
        if truncated:
            self.stats["warc/records_truncated"] += 1
        return WarcResponse(
            url,
            fetched_at,
            status,
            headers,
            body,
            content_length,
            self.path,
            offset,
            rtype,
            error,
            truncated,
            warc_truncated.strip().lower() if warc_truncated else None,
            ip,
        )

    def _not_seekable(self) -> None:
        if self.seekable:
            self.stats["warc/offsets_not_seekable"] += 1
            self.seekable = False

    def _count_error(self, exc: BaseException) -> None:
        self.stats["warc/errors/" + type(exc).__name__] += 1

    def _resync(self, start: int) -> int | None:
        """Offset of the first record start at or after ``start``, or None."""
        return next_record(self.path, start, self.fmt, self.gzipped)



#: After this many FastWARC failures in one file, warcio reads the rest of it.
_MAX_FASTWARC_FAILURES = 3

# FastWARC's record types by the number its records report, named by its
# public WarcRecordType (the numbers differ between FastWARC versions).
_FAST_TYPES = {
    int(getattr(WarcRecordType, name)): name
    for name in (
        "warcinfo", "response", "resource", "request", "metadata", "revisit", "conversion", "continuation", "unknown"
    )
}


class _LenientArchiveIterator(WarcioArchiveIterator):
    """warcio's iterator, quiet and a little more forgiving.

    * When a record is not followed by a blank line but the next line starts a
      record (ARC writers that omit the separator), that line is kept instead
      of being swallowed as garbage.
    * Warnings go to ``stats`` instead of stderr.
    """

    def __init__(self, fileobj, stats):
        super().__init__(fileobj, arc2warc=True)
        self.stats = stats
        self.reader = _QuietReader(self.fh, block_size=BLOCK)
        self.loader.http_parser = _Latin1HeaderParser(ArcWarcRecordLoader.HTTP_TYPES, False)
        self.shared_member = False

    def reset(self, offset: int) -> None:
        """Restart on a file object just seeked to ``offset``."""
        self.shared_member = False
        self.offset = offset
        self.reader = _QuietReader(self.fh, block_size=BLOCK)
        self.next_line = None
        self.member_info = None
        self.record = None
        self.the_iter = self._iterate_records()

    def _consume_blanklines(self):
        empty_size = 0
        first_line = True
        while True:
            line = self.reader.readline()
            if not line:
                return None, empty_size
            if not line.strip():
                empty_size += len(line)
            elif first_line and not (WARC_LINE.match(line) or ARC_LINE.match(line)):
                self.stats["warc/record_length_mismatch"] += 1
                empty_size += len(line)
            else:
                return line, empty_size
            first_line = False

    def close(self):
        reader = self.reader
        dec = reader.decompressor if reader is not None else None
        if dec is not None and reader.num_read and not dec.eof:
            self.stats["warc/files_cut"] += 1  # the file ends inside a gzip member
        super().close()

    def _raise_invalid_gzip_err(self):
        # warcio refuses a gzip member holding several records; read on, but
        # offsets from here on are not record starts.
        self.shared_member = True


class _Latin1HeaderParser(StatusAndHeadersParser):
    """HTTP headers decoded as latin-1, as on the FastWARC path (warcio tries UTF-8 first)."""

    @staticmethod
    def decode_header(line):
        return line.decode("latin-1") if isinstance(line, bytes) else line


class _QuietReader(DecompressingBufferedReader):
    """warcio's decompressing reader, raising on corrupt gzip instead of printing to stderr."""

    def _decompress(self, data):
        if self.decompressor and data:
            try:
                return self.decompressor.decompress(data)
            except zlib.error:
                if self.num_block_read == 0:  # not gzipped after all
                    self.decompressor = None
                    return data
                raise
        return data



# --------------------------------------------------------------------------
# Helpers


def _clean_uri(uri: str | None) -> str:
    if not uri:
        return ""
    uri = uri.strip()
    if uri.startswith("<") and uri.endswith(">"):
        uri = uri[1:-1].strip()
    return uri.replace(" ", "%20")


def _clean_ip(value: str | None) -> str | None:
    """An IP address header in canonical form (IPv6 compressed), or None when absent or not an address."""
    if not value:
        return None
    try:
        return str(ipaddress.ip_address(value.strip().strip("[]")))
    except ValueError:
        return None


def _parse_date(value: str | None) -> datetime | None:
    """Parse a WARC-Date (ISO 8601, 'Z' or offset) or a 14-digit ARC date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit() and len(value) in (12, 14):
        try:
            return datetime.strptime(value.ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=timezone.utc)
        except ValueError:
            return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _http_date(headers) -> datetime | None:
    for name, value in headers:
        if name.lower() == "date":
            try:
                parsed = email.utils.parsedate_to_datetime(value)
            except (TypeError, ValueError, IndexError):
                return None
            if parsed.tzinfo is None:
                return parsed.replace(tzinfo=timezone.utc)
            return parsed.astimezone(timezone.utc)
    return None


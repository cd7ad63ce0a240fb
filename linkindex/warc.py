"""Read WARC and ARC files into HTTP responses, record by record.

``iter_responses(path, stats)`` yields one :class:`WarcResponse` per
``response``, ``resource`` or ``revisit`` record whose target URI is http(s),
with the body as a browser would see it (chunked transfer coding removed,
gzip/deflate/br content coding decoded). Every other record is counted in
``stats`` under ``warc/records/<type>`` and skipped.

How a file is read:

* WARC files (gzipped record by record, gzipped whole, or plain) go through
  FastWARC, the fast path. FastWARC runs in its lenient mode, which reads the
  LF-only HTTP headers of old crawls (ClueWeb09) and steps over stray bytes
  between records. Bodies are decoded here, not by FastWARC, because its
  decoder gives up on the whole file at the first record that declares
  ``Transfer-Encoding: chunked`` for a body that is not chunked (common in
  browser captures).
* ARC files, and the part of a WARC file FastWARC fails on, go through warcio.
  After a FastWARC failure, warcio re-reads from the last record already
  handled (records at or before it are not yielded twice), reads past the
  failing spot, and FastWARC takes over again at the next record.
  ``warc/files_fallback`` counts the files where this happened.
* If warcio fails too, the record is counted in ``warc/records_failed`` and
  reading resumes at the next record start found after it (the next gzip
  member that starts a record, or the next ``WARC/`` line). A corrupt record
  therefore costs that record only; the run never stops on bad data.

Stats (all under ``warc/``): ``files``, ``files_empty``, ``files_fallback``,
``records/<type>`` (every record seen), ``responses`` (yielded),
``records_failed``, ``records_truncated``, ``records_too_large``,
``files_cut`` (the file ends inside a gzip member),
``records_skipped/non_http`` (dns:, metadata://, urn: ... target URIs),
``records_skipped/no_uri``, ``content_decode_failed``,
``content_encoding_not_applied`` (declared but the body is not encoded; the
body is used as is), ``content_encoding_unsupported``,
``chunked_not_chunked`` (declared chunked but is not; used as is),
``bad_date``, ``offsets_not_seekable``, ``records_via_warcio`` (WARC records
read the slow way after a FastWARC failure), ``errors/<ExceptionName>``.

``expand_inputs(args)`` turns command-line arguments (paths, globs,
directories, and ``*.paths``/``*.txt`` listings such as Common Crawl's
``warc.paths.gz``) into a list of local files.
"""

from __future__ import annotations

import collections
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
import email.utils
import glob
import gzip
import ipaddress
import os
import re
import zlib

from fastwarc.warc import ArchiveIterator as FastArchiveIterator
from warcio.archiveiterator import ArchiveIterator as WarcioArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader, DecompressingBufferedReader
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParser

try:  # brotli comes with fastwarc; warcio's own br support needs an older brotli API
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

__all__ = ["WarcReadError", "WarcResponse", "iter_responses", "expand_inputs", "DEFAULT_MAX_BODY"]

#: Bodies larger than this (after decoding) are cut to this size and flagged 'too_large'.
DEFAULT_MAX_BODY = 10 * 1024 * 1024

#: Records whose target URI does not start with one of these are skipped.
URL_SCHEMES = ("http://", "https://")

#: Argument names read as listings of paths, one per line, rather than as WARC files.
LISTING_SUFFIXES = (".paths", ".paths.gz", ".txt", ".txt.gz", ".lst")

#: File names picked from a directory given as an argument.
WARC_SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")

_YIELDED_TYPES = ("response", "resource", "revisit")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_GZIP_MAGIC = b"\x1f\x8b\x08"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
_BLOCK = 64 * 1024
# A WARC record header line, or an ARC v1 header line: URL IP-address 14-digit-date type length.
_WARC_LINE = re.compile(rb"WARC/\d+\.\d+\r?\n?\Z")
_ARC_LINE = re.compile(rb"\S.* \S+ \d{12,14} \S* ?\d+\r?\n?\Z")
_WARC_START = re.compile(rb"(?:^|\n)(WARC/\d+\.\d+\r?\n)")
# ARC writers do not always end a record with a newline: a header may start mid-line.
_ARC_START = re.compile(rb"((?:https?|ftp|dns|filedesc):\S* \S+ \d{12,14} \S* ?\d+\r?\n)")


class WarcReadError(Exception):
    """A file cannot be read as a WARC/ARC file (missing, unreadable, wrong format).

    The message names the file and says what to do. Damaged records inside a
    readable file never raise this: they are counted and skipped.
    """


@dataclass(slots=True)
class WarcResponse:
    """One HTTP response (or resource/revisit record) read from a WARC or ARC file."""

    #: WARC-Target-URI, without surrounding whitespace or the ``<...>`` some wget
    #: versions write; inner spaces are percent-encoded (as warcio does).
    url: str
    #: WARC-Date (ARC: its 14-digit date) as an aware UTC datetime. An unparseable
    #: date falls back to the HTTP Date header, then to the previous record's date.
    fetched_at: datetime
    #: HTTP status code; None for records without an HTTP block (resource records).
    status: int | None
    #: HTTP headers in order, decoded as latin-1. Resource records get one
    #: ``("Content-Type", <WARC Content-Type>)`` pair when the record has one.
    headers: list[tuple[str, str]]
    #: The payload as a browser sees it (dechunked, content coding decoded), at
    #: most ``max_body`` bytes; b"" for revisits.
    body: bytes
    #: len(body), except for 'too_large' records: the stored payload size then.
    content_length: int
    #: The path as given to iter_responses.
    warc_file: str
    #: Where the record starts: the byte offset of its gzip member in a gzipped
    #: file, of the record in a plain file. -1 in a gzip file that is not
    #: compressed record by record (no offset to seek to).
    warc_offset: int
    #: 'response', 'resource' or 'revisit'.
    record_type: str
    #: None when the body can be parsed, else why not: 'too_large' (body cut at
    #: max_body), 'content_decode' (decoding failed part-way; body holds the raw
    #: bytes), 'truncated' (nothing of the body was stored), 'revisit' (a revisit
    #: record has no body). A body that is only partly stored keeps error None:
    #: see ``truncated``.
    error: str | None
    #: True when the record says it was truncated (WARC-Truncated) or its payload
    #: is shorter than declared (record cut, HTTP Content-Length not reached,
    #: chunked or compressed stream unfinished). The body holds what was stored,
    #: which still has the links of the part of the page that was fetched.
    truncated: bool
    #: The WARC-Truncated header's reason (``length``, ``time``, ...), if any.
    warc_truncated: str | None = None
    #: WARC-IP-Address (ARC: the header line's IP), the server's address; None when absent.
    ip_address: str | None = None


# --------------------------------------------------------------------------
# Inputs


def expand_inputs(args: list[str]) -> list[str]:
    """Expand globs, directories and listings into a list of WARC/ARC paths.

    * ``*``, ``?`` and ``[`` make an argument a glob (``**`` recurses).
    * A directory stands for the ``.warc``, ``.warc.gz``, ``.arc``, ``.arc.gz``
      files directly inside it.
    * An argument ending in ``.paths``, ``.paths.gz``, ``.txt``, ``.txt.gz`` or
      ``.lst`` is a listing: one path per line (blank lines and ``#`` comments
      ignored), gzipped or not. Relative paths are resolved against the
      listing's directory, so a Common Crawl ``warc.paths.gz`` works when placed
      at the root of the downloaded ``crawl-data/`` tree.
    * Anything else is a WARC/ARC path.

    The result keeps the order given, without duplicates. Raises WarcReadError
    for missing files, globs matching nothing, and URLs (only local files are read).
    """
    out: list[str] = []
    missing: list[str] = []
    urls: list[str] = []
    for arg in args:
        if _is_url(arg):
            urls.append(arg)
        elif glob.has_magic(arg):
            matches = sorted(glob.glob(arg, recursive=True))
            if not matches:
                missing.append(f"{arg} (glob matched nothing)")
            for match in matches:
                if os.path.isfile(match):
                    out.append(match)
        elif os.path.isdir(arg):
            out.extend(
                os.path.join(arg, name)
                for name in sorted(os.listdir(arg))
                if name.endswith(WARC_SUFFIXES) and os.path.isfile(os.path.join(arg, name))
            )
        elif arg.endswith(LISTING_SUFFIXES):
            if not os.path.isfile(arg):
                missing.append(arg)
                continue
            for line in _read_listing(arg):
                if _is_url(line):
                    urls.append(f"{line} (listed in {arg})")
                    continue
                path = line if os.path.isabs(line) else os.path.join(os.path.dirname(arg), line)
                if os.path.isfile(path):
                    out.append(path)
                else:
                    missing.append(f"{path} (listed in {arg})")
        elif os.path.isfile(arg):
            out.append(arg)
        else:
            missing.append(arg)
    if urls:
        raise WarcReadError(
            f"only local files can be read, got {len(urls)} URL(s): {_some(urls)}; "
            "download the files first (e.g. `aws s3 cp` or `curl -O`) and pass their local paths"
        )
    if missing:
        raise WarcReadError(f"{len(missing)} input(s) not found: {_some(missing)}")
    # One task per file, however it was named (./a, a, /abs/a).
    return list({os.path.realpath(path): path for path in reversed(out)}.values())[::-1]


def _is_url(arg: str) -> bool:
    return re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", arg) is not None


def _some(items: list[str], n: int = 5) -> str:
    shown = ", ".join(items[:n])
    return shown if len(items) <= n else f"{shown} and {len(items) - n} more"


def _read_listing(path: str) -> Iterator[str]:
    try:
        with open(path, "rb") as fh:
            gzipped = fh.read(2) == b"\x1f\x8b"
        opener = gzip.open if gzipped else open
        with opener(path, "rt", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                line = line.strip()
                if line and not line.startswith("#"):
                    yield line
    except (OSError, EOFError, zlib.error) as exc:
        raise WarcReadError(
            f"cannot read listing {path}: {exc}; a listing is a text file with one path per line"
        ) from exc


# --------------------------------------------------------------------------
# Reading


def iter_responses(
    path: str, stats: collections.Counter, max_body: int = DEFAULT_MAX_BODY
) -> Iterator[WarcResponse]:
    """Yield the http(s) response, resource and revisit records of a WARC/ARC file.

    Reads record by record; at most about ``max_body`` bytes of one body are held.
    Raises WarcReadError only before the first record, when the file cannot be
    opened or is not a WARC/ARC file. Damage later in the file is counted in
    ``stats`` and skipped (see the module docstring).
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
            head = fh.read(_BLOCK)
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
        if _WARC_LINE.match(first_line):
            return "warc", gzipped, 0
        if text.startswith(b"filedesc://") or _ARC_LINE.match(first_line):
            return "arc", gzipped, 0
        if not text:
            return "empty", gzipped, 0

    if gzipped:
        for fmt in ("warc", "arc"):
            start = _find_gzip_record(path, 1, fmt, end=_SNIFF_SEARCH)
            if start is not None:
                return fmt, True, start
    else:
        for m in _WARC_START.finditer(head):
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
                    pos == start or (pos != prev_pos and os.pread(fd, 3, pos) == _GZIP_MAGIC)
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
        if rtype == "revisit":
            return WarcResponse(
                url, fetched_at, status, headers, b"", 0, self.path, offset, rtype, "revisit", False, None, ip
            )
        body, content_length, error, truncated = _read_body(
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
        if self.gzipped:
            return _find_gzip_record(self.path, start, self.fmt)
        return _find_plain_record(self.path, start, _WARC_START if self.fmt == "warc" else _ARC_START)


#: After this many FastWARC failures in one file, warcio reads the rest of it.
_MAX_FASTWARC_FAILURES = 3

_FAST_TYPES = {
    2: "warcinfo",
    4: "response",
    8: "resource",
    16: "request",
    32: "metadata",
    64: "revisit",
    128: "conversion",
    256: "continuation",
    512: "unknown",
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
        self.reader = _QuietReader(self.fh, block_size=_BLOCK)
        self.loader.http_parser = _Latin1HeaderParser(ArcWarcRecordLoader.HTTP_TYPES, False)
        self.shared_member = False

    def reset(self, offset: int) -> None:
        """Restart on a file object just seeked to ``offset``."""
        self.shared_member = False
        self.offset = offset
        self.reader = _QuietReader(self.fh, block_size=_BLOCK)
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
            elif first_line and not (_WARC_LINE.match(line) or _ARC_LINE.match(line)):
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
# Bodies


class _BrotliDecompressor:
    """brotli's streaming decompressor with the zlib-like interface warcio's readers use."""

    unused_data = None

    def __init__(self):
        self._dec = brotli.Decompressor()

    def decompress(self, data):
        return self._dec.process(data)

    def flush(self):
        return b""

    @property
    def eof(self):
        return self._dec.is_finished()


def _gzip_decompressor():
    return zlib.decompressobj(16 + zlib.MAX_WBITS)


class _PayloadReader(ChunkedDataReader):
    """warcio's dechunking/decompressing reader that reports what happened.

    ``not_applied``: the first bytes did not decode, so the body is taken as is
    (servers and crawlers that keep a Content-Encoding header on a decoded
    body). ``failed``: decoding broke part-way. ``last_chunk``: the terminating
    zero-length chunk was read.
    """

    DECOMPRESSORS = {
        **ChunkedDataReader.DECOMPRESSORS,
        "gzip": _gzip_decompressor,
        "x-gzip": _gzip_decompressor,
        **({"br": _BrotliDecompressor} if brotli is not None else {}),
    }

    def __init__(self, stream, decomp_type, chunked):
        super().__init__(stream, decomp_type=decomp_type)
        self.not_chunked = not chunked
        self.fed = False
        self.not_applied = False
        self.failed = False
        self.last_chunk = False

    def _decompress(self, data):
        if not (self.decompressor and data):
            return data
        first, self.fed = not self.fed, True
        try:
            return self.decompressor.decompress(data)
        except Exception:
            if first and self.decomp_type == "deflate":
                self._init_decomp("deflate_alt")  # raw deflate stream without zlib header
                self.fed = False
                return self._decompress(data)
            if first and not (self.decomp_type in ("gzip", "x-gzip") and data.startswith(b"\x1f\x8b")):
                self.decompressor = None
                self.not_applied = True
                return data
            self.failed = True
            self.decompressor = None
            return b""

    def _try_decode(self, length_header):
        if not length_header:  # the payload ends before the last chunk
            self.all_chunks_read = True
            self._process_read(b"")
            return
        super()._try_decode(length_header)
        if self.all_chunks_read and length_header[:-2].split(b";")[0].strip().strip(b"0") == b"":
            self.last_chunk = True

    def finished(self) -> bool:
        """Whether the content coding reached its end (True when there is none)."""
        dec = self.decompressor
        return dec is None or getattr(dec, "eof", True)


class _CountingReader:
    """Counts (and keeps up to ``keep`` of) the raw payload bytes read through it."""

    __slots__ = ("raw", "count", "keep", "kept")

    def __init__(self, raw, keep):
        self.raw = raw
        self.count = 0
        self.keep = keep
        self.kept = []

    def _note(self, data):
        self.count += len(data)
        if self.keep > 0:
            self.kept.append(data[: self.keep])
            self.keep -= len(data)
        return data

    def read(self, size=-1):
        return self._note(self.raw.read(size))

    def readline(self, size=-1):
        return self._note(self.raw.readline(size) if size and size > 0 else self.raw.readline())


def _read_exact(raw, size: int) -> bytes:
    parts = []
    while size > 0:
        data = raw.read(min(size, 1 << 20))
        if not data:
            break
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


def _drain(raw) -> int:
    consume = getattr(raw, "consume", None)
    if consume is not None:  # FastWARC skips without copying
        return consume()
    total = 0
    while data := raw.read(_BLOCK):
        total += len(data)
    return total


_NO_BODY_STATUS = (204, 304)
_IDENTITY = (None, "", "identity", "none")


def _read_body(raw, declared, status, headers, max_body, stats):
    """Read one payload. Return (body, content_length, error, truncated)."""
    chunked = False
    encoding = None
    http_length = None
    for name, value in headers:
        lname = name.lower()
        if lname == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif lname == "content-encoding":
            encoding = value.strip().lower()
        elif lname == "content-length":
            http_length = value.strip()

    unsupported = False
    if encoding in _IDENTITY:
        encoding = None
    elif encoding is not None and encoding not in _PayloadReader.DECOMPRESSORS:
        # 'compress', 'zstd', 'gzip, br' cannot be decoded; other values ('utf-8',
        # 'text') are not content codings at all, and the body is plain.
        unsupported = encoding in ("compress", "x-compress", "zstd") or "," in encoding
        if unsupported:
            stats["warc/content_encoding_unsupported"] += 1
        encoding = None

    error = None
    truncated = False
    if not chunked and encoding is None:
        body = _read_exact(raw, max_body + 1)
        stored = len(body)
        if stored > max_body:
            stored += _drain(raw)
    else:
        counter = _CountingReader(raw, max_body + 1)
        reader = _PayloadReader(counter, encoding, chunked)
        body = reader.read(max_body + 1)
        if len(body) <= max_body:
            if reader.failed:
                stats["warc/content_decode_failed"] += 1
                body = b"".join(counter.kept)[: max_body + 1]
                error = "content_decode"
            elif not reader.finished() or (chunked and not reader.not_chunked and not reader.last_chunk):
                truncated = True
        if reader.not_applied:
            stats["warc/content_encoding_not_applied"] += 1
        if chunked and reader.not_chunked:
            stats["warc/chunked_not_chunked"] += 1
        counter.keep = 0
        stored = counter.count + _drain(raw)
    if unsupported and error is None:
        error = "content_decode"

    if declared is not None and stored < declared:
        truncated = True
    elif (
        not chunked
        and http_length
        and http_length.isdigit()
        and stored < int(http_length)
        and status is not None
        and status >= 200
        and status not in _NO_BODY_STATUS
    ):
        truncated = True

    if len(body) > max_body:
        stats["warc/records_too_large"] += 1
        return body[:max_body], stored, "too_large", truncated
    if truncated and error is None and not body:
        error = "truncated"  # nothing of the body was stored
    return body, len(body), error, truncated


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


def _find_gzip_record(path: str, start: int, fmt: str, end: int | None = None) -> int | None:
    """Offset of the first gzip member in [start, end) that begins a record."""
    line_re = _WARC_LINE if fmt == "warc" else _ARC_LINE
    with open(path, "rb") as fh:
        pos = start
        while end is None or pos < end:
            fh.seek(pos)
            buf = fh.read(_BLOCK * 4)
            if len(buf) < len(_GZIP_MAGIC):
                return None
            i = buf.find(_GZIP_MAGIC)
            if i < 0:
                pos += len(buf) - len(_GZIP_MAGIC) + 1
                continue
            candidate = pos + i
            fh.seek(candidate)
            try:
                text = zlib.decompressobj(31).decompress(fh.read(_BLOCK), 512).lstrip(b"\r\n")
            except zlib.error:
                text = b""
            if line_re.match(text.split(b"\n", 1)[0] + b"\n"):
                return candidate
            pos = candidate + 1
    return None


def _find_plain_record(path: str, start: int, pattern: re.Pattern) -> int | None:
    """Offset of the first record header line at or after ``start`` in a plain file."""
    size = _BLOCK * 4
    with open(path, "rb") as fh:
        pos = start
        while True:
            base = max(pos - 1, 0)  # include the newline before a header at ``pos``
            fh.seek(base)
            buf = fh.read(size)
            for m in pattern.finditer(buf):
                if base + m.start(1) >= start:
                    return base + m.start(1)
            if len(buf) < size:
                return None
            pos = base + size - 1024  # overlap, for a header across the block boundary

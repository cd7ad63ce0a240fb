"""A record's payload -> the body a browser sees: dechunked, content coding decoded, capped.

warcio's readers do the dechunking and decompressing; the subclasses here
report what happened (a coding declared but not applied, a stream cut
short) instead of raising or printing, so one odd record is counted and
read as well as it can be.

The warcio subclasses here use its private names; ``tests/test_upstream_internals.py``
pins each one and fails, naming it, if warcio changes it.
"""

import zlib

from warcio.bufferedreaders import ChunkedDataReader

try:  # brotli comes with fastwarc; warcio's own br support needs an older brotli API
    import brotli
except ImportError:  # pragma: no cover
    brotli = None

#: Bodies larger than this (after decoding) are cut to this size and flagged 'too_large'.
DEFAULT_MAX_BODY = 10 * 1024 * 1024
#: Bytes read at a time when skipping the rest of a body.
_BLOCK = 64 * 1024


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


def read_body(raw, declared, status, headers, max_body, stats):
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


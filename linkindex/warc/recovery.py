"""Finding where records start: after a damaged record, and in a file whose first record is damaged.

A corrupt record costs that record only: reading resumes at the next record
start after it, which is the next gzip member that begins a record header in
a file gzipped record by record, or the next header line in a plain one.
"""

import re
import zlib

GZIP_MAGIC = b"\x1f\x8b\x08"
BLOCK = 64 * 1024
# A WARC record header line, or an ARC v1 header line: URL IP-address 14-digit-date type length.
WARC_LINE = re.compile(rb"WARC/\d+\.\d+\r?\n?\Z")
ARC_LINE = re.compile(rb"\S.* \S+ \d{12,14} \S* ?\d+\r?\n?\Z")
WARC_START = re.compile(rb"(?:^|\n)(WARC/\d+\.\d+\r?\n)")
# ARC writers do not always end a record with a newline: a header may start mid-line.
ARC_START = re.compile(rb"((?:https?|ftp|dns|filedesc):\S* \S+ \d{12,14} \S* ?\d+\r?\n)")


def next_record(path: str, start: int, fmt: str, gzipped: bool) -> int | None:
    """Offset of the first record start at or after ``start``, or None."""
    if gzipped:
        return find_gzip_record(path, start, fmt)
    return find_plain_record(path, start, WARC_START if fmt == "warc" else ARC_START)


def find_gzip_record(path: str, start: int, fmt: str, end: int | None = None) -> int | None:
    """Offset of the first gzip member in [start, end) that begins a record."""
    line_re = WARC_LINE if fmt == "warc" else ARC_LINE
    with open(path, "rb") as fh:
        pos = start
        while end is None or pos < end:
            fh.seek(pos)
            buf = fh.read(BLOCK * 4)
            if len(buf) < len(GZIP_MAGIC):
                return None
            i = buf.find(GZIP_MAGIC)
            if i < 0:
                pos += len(buf) - len(GZIP_MAGIC) + 1
                continue
            candidate = pos + i
            fh.seek(candidate)
            try:
                text = zlib.decompressobj(31).decompress(fh.read(BLOCK), 512).lstrip(b"\r\n")
            except zlib.error:
                text = b""
            if line_re.match(text.split(b"\n", 1)[0] + b"\n"):
                return candidate
            pos = candidate + 1
    return None


def find_plain_record(path: str, start: int, pattern: re.Pattern) -> int | None:
    """Offset of the first record header line at or after ``start`` in a plain file."""
    size = BLOCK * 4
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

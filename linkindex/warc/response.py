"""What the reader gives: one response per record, and the error for a file it cannot read."""

from dataclasses import dataclass
from datetime import datetime


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


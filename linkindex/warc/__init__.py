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
``bad_date``, ``bad_status`` (a status line whose code is not three digits: read as none), ``offsets_not_seekable``, ``records_via_warcio`` (WARC records
read the slow way after a FastWARC failure), ``errors/<ExceptionName>``.

``expand_inputs(args)`` turns command-line arguments (paths, globs,
directories, and ``*.paths``/``*.txt`` listings such as Common Crawl's
``warc.paths.gz``) into a list of local files.

The modules, in the order data flows through them: ``inputs`` (arguments ->
files), ``reader`` (a file -> records, through FastWARC or warcio),
``bodies`` (a record's payload -> the body a browser sees) and ``recovery``
(finding the next record after a damaged one).
"""

from linkindex.warc.bodies import DEFAULT_MAX_BODY
from linkindex.warc.inputs import expand_inputs
from linkindex.warc.reader import iter_responses
from linkindex.warc.response import WarcReadError, WarcResponse

__all__ = ["WarcReadError", "WarcResponse", "iter_responses", "expand_inputs", "DEFAULT_MAX_BODY"]

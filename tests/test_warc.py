"""linkindex.warc: WARC/ARC files -> HTTP responses.

Fixtures in tests/data/warc/ are real files named for their defect (see
tests/data/ATTRIBUTION.md). Damaged variants are made from them in tmp_path,
and small records with one defect each are written by ``record()`` below.
The larger shared corpus (``../shared/data/warc`` next to the repository, or
``$LINKINDEX_WARC_CORPUS``) is read when present, skipped otherwise.
"""

import collections
from datetime import datetime, timezone
import gzip
import hashlib
import os
from pathlib import Path
import random
import zlib

import pytest
from warcio.archiveiterator import ArchiveIterator

from linkindex.warc import WarcReadError, expand_inputs, iter_responses

DATA = Path(__file__).parent / "data" / "warc"
LOCAL = sorted(p for p in DATA.iterdir() if p.name.endswith((".warc", ".warc.gz", ".arc", ".arc.gz")))
SHARED = Path(
    os.environ.get("LINKINDEX_WARC_CORPUS", Path(__file__).resolve().parents[2] / "shared" / "data" / "warc")
)
SHARED_FILES = (
    sorted(p for p in SHARED.iterdir() if p.name.endswith((".warc", ".warc.gz", ".arc", ".arc.gz")))
    if SHARED.is_dir()
    else []
)
NO_SHARED = pytest.mark.skipif(
    not SHARED_FILES,
    reason=f"shared WARC corpus not found at {SHARED} (set LINKINDEX_WARC_CORPUS to a directory of WARC files)",
)
# Files warcio itself cannot read, so they cannot be compared with it.
WARCIO_CANNOT_READ = {"arc-no-record-separator.arc", "iawebcommons-IAH-blackbook-truncated.arc"}
# Stats that mean a file was damaged or the reader had to work around something.
TROUBLE = ("warc/records_failed", "warc/files_fallback", "warc/files_cut")


def read(path, max_body=10 * 1024 * 1024):
    stats = collections.Counter()
    return list(iter_responses(str(path), stats, max_body=max_body)), stats


def trouble(stats):
    return {k: v for k, v in stats.items() if k.startswith(TROUBLE) or k.startswith("warc/errors/")}


def digest_set(responses):
    return collections.Counter(
        (r.url, r.status, hashlib.sha1(r.body).hexdigest()) for r in responses if r.record_type == "response"
    )


def warcio_digest_set(path):
    """What warcio's own iterator and content_stream() make of the responses."""
    out = collections.Counter()
    with open(path, "rb") as fh:
        for rec in ArchiveIterator(fh, arc2warc=True):
            uri = rec.rec_headers.get_header("WARC-Target-URI")
            if rec.rec_type != "response" or not uri.startswith(("http://", "https://")):
                continue
            status = int(rec.http_headers.get_statuscode()) if rec.http_headers else None
            out[(uri, status, hashlib.sha1(rec.content_stream().read()).hexdigest())] += 1
    return out


# --------------------------------------------------------------------------
# Records with one defect each


def http_block(body=b"<html><a href='/x'>x</a></html>", headers=(), status=b"200 OK", length=True):
    lines = [b"HTTP/1.1 " + status, b"Content-Type: text/html"]
    lines += [h if isinstance(h, bytes) else h.encode("latin-1") for h in headers]
    if length:
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def record(
    block, uri="http://example.com/", rtype="response", date="2024-01-02T03:04:05Z", extra=(), length=None
):
    content_type = b"application/http; msgtype=response" if rtype in ("response", "revisit") else b"text/html"
    lines = [
        b"WARC/1.0",
        b"WARC-Type: " + rtype.encode(),
        b"WARC-Target-URI: " + uri.encode("latin-1"),
        b"WARC-Record-ID: <urn:uuid:%s>" % hashlib.md5(block + uri.encode()).hexdigest().encode(),
    ]
    if date is not None:
        lines.append(b"WARC-Date: " + date.encode())
    lines += [e.encode() for e in extra]
    lines += [
        b"Content-Type: " + content_type,
        b"Content-Length: %d" % (len(block) if length is None else length),
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n" + block + b"\r\n\r\n"


def write(tmp_path, records, gz=False, name=None):
    path = tmp_path / (name or ("test.warc.gz" if gz else "test.warc"))
    path.write_bytes(b"".join(gzip.compress(r) for r in records) if gz else b"".join(records))
    return path


def chunked(data, size=7):
    out = b"".join(
        b"%x\r\n%s\r\n" % (len(data[i : i + size]), data[i : i + size]) for i in range(0, len(data), size)
    )
    return out + b"0\r\n\r\n"


HTML = (
    b"<!doctype html><html><body>"
    + b"".join(b"<a href='/p%d'>page %d</a>\n" % (i, i) for i in range(400))
    + b"</body></html>"
)


def one(tmp_path, block, **kw):
    responses, stats = read(
        write(tmp_path, [record(block, **kw)]), max_body=kw.pop("max_body", 10 * 1024 * 1024)
    )
    assert len(responses) == 1, stats
    return responses[0], stats


# --------------------------------------------------------------------------
# Every file reads


@pytest.mark.parametrize("path", LOCAL, ids=lambda p: p.name)
def test_local_fixture_reads_cleanly(path):
    responses, stats = read(path)
    assert responses
    assert stats["warc/files"] == 1
    assert stats["warc/responses"] == len(responses)
    assert not {k for k in trouble(stats) if k != "warc/files_cut"}, trouble(stats)
    for r in responses:
        assert r.url.startswith(("http://", "https://")) and r.url == r.url.strip()
        assert r.fetched_at.tzinfo is not None and r.fetched_at.utcoffset().total_seconds() == 0
        assert r.record_type in ("response", "resource", "revisit")
        assert r.warc_file == str(path)
        assert r.content_length == len(r.body)
        assert all(isinstance(k, str) and isinstance(v, str) for k, v in r.headers)


@NO_SHARED
@pytest.mark.parametrize("path", SHARED_FILES or [None], ids=lambda p: p.name if p else "none")
def test_shared_file_never_crashes(path):
    responses, stats = read(path)
    seen = sum(v for k, v in stats.items() if k.startswith("warc/records/"))
    assert seen > 0
    assert stats["warc/responses"] == len(responses)
    assert not stats["warc/records_failed"], trouble(stats)


@pytest.mark.parametrize("path", LOCAL, ids=lambda p: p.name)
def test_same_bodies_as_warcio(path):
    if path.name in WARCIO_CANNOT_READ:
        pytest.skip("warcio cannot read this file")
    responses, _ = read(path)
    assert digest_set(responses) == warcio_digest_set(path)


@NO_SHARED
@pytest.mark.parametrize("path", SHARED_FILES or [None], ids=lambda p: p.name if p else "none")
def test_shared_same_bodies_as_warcio(path):
    if path.name in WARCIO_CANNOT_READ:
        pytest.skip("warcio cannot read this file")
    responses, _ = read(path)
    assert digest_set(responses) == warcio_digest_set(path)


@pytest.mark.parametrize("path", LOCAL, ids=lambda p: p.name)
def test_offsets_seek_to_the_record(path):
    responses, _ = read(path)
    with open(path, "rb") as fh:
        for r in responses:
            assert r.warc_offset >= 0
            fh.seek(r.warc_offset)
            rec = next(iter(ArchiveIterator(fh, arc2warc=True)))
            assert rec.rec_headers.get_header("WARC-Target-URI").strip("<> ").replace(" ", "%20") == r.url


# --------------------------------------------------------------------------
# Real files, one defect each


def test_common_crawl_sample():
    responses, stats = read(DATA / "cc-main-2020-34-sample.warc.gz")
    assert len(responses) == 16
    assert {r.record_type for r in responses} == {"response"}
    assert stats["warc/records/request"] == 17
    assert stats["warc/records/metadata"] == 16
    assert stats["warc/records/warcinfo"] == 1
    assert responses[0].url == "http://003338.cn/l41/481397.html"
    assert responses[0].fetched_at == datetime(2020, 8, 8, 17, 27, 41, tzinfo=timezone.utc)
    assert responses[0].warc_offset == 940
    assert all(r.status == 200 and r.error is None and not r.truncated for r in responses)
    assert all(b"<html" in r.body[:2000].lower() for r in responses)


def test_chunked_body_is_dechunked():
    (r,), _ = read(DATA / "chunked.warc")
    assert ("Transfer-Encoding", "chunked") in r.headers
    assert r.body.startswith(b"<!doctype html>")
    assert r.body.rstrip().endswith(b"</html>")
    assert b"\r\n0\r\n" not in r.body
    assert r.error is None and not r.truncated


def test_chunked_header_on_a_body_that_is_not_chunked():
    responses, stats = read(DATA / "chunked-header-not-chunked.warc.gz")
    page = next(r for r in responses if r.url == "http://stringjs.com/")
    assert ("Transfer-Encoding", "chunked") in page.headers
    assert page.body.startswith(b"<!DOCTYPE html>")
    assert stats["warc/chunked_not_chunked"] >= 1
    assert stats["warc/records_skipped/non_http"] == 1  # chrome-extension://


def test_lf_only_http_headers():
    responses, stats = read(DATA / "lf-only-http-headers.warc.gz")
    assert len(responses) == 29
    for r in responses:
        assert r.status == 200
        assert dict(r.headers)["Content-Type"] == "text/html; charset=EUC-JP"
        assert r.body.startswith(b"<html>")
    # These pages say Content-Encoding: gzip but were stored decoded.
    assert stats["warc/content_encoding_not_applied"] == 29
    # WARC-Date '2008-10-294T05:21:46-0700' is not a date: the HTTP Date is used.
    assert stats["warc/bad_date"] == 29
    assert responses[0].fetched_at == datetime(2009, 1, 28, 17, 5, 56, tzinfo=timezone.utc)


def test_clipped_payload_is_flagged():
    (r,), stats = read(DATA / "clipped-payload.warc.gz")
    assert r.truncated
    assert r.error is None  # what was stored is still a page
    assert 0 < len(r.body) < 88038
    assert stats["warc/records_truncated"] == 1
    assert stats["warc/files_cut"] == 1


def test_truncated_gzip_body_is_flagged_and_decoded_as_far_as_it_goes():
    (r,), stats = read(DATA / "truncated-gzip-body.warc")
    assert r.url == "http://example.com/"
    assert r.truncated and r.error is None
    assert r.body.startswith(b"<!doctype html>")
    assert stats["warc/records_truncated"] == 1


def test_revisit_has_headers_and_no_body():
    responses, _ = read(DATA / "revisit.warc.gz")
    assert [r.record_type for r in responses] == ["response", "revisit"]
    revisit = responses[1]
    assert revisit.status == 200
    assert ("Content-Encoding", "gzip") in revisit.headers
    assert revisit.body == b"" and revisit.content_length == 0
    assert revisit.error == "revisit"
    assert responses[0].body.startswith(b"<!doctype html>")  # gzip decoded


def test_wget_angle_bracket_uri_is_cleaned():
    responses, stats = read(DATA / "wget-angle-bracket-uri.warc.gz")
    assert [r.url for r in responses] == ["http://example.com/"]
    assert stats["warc/records_skipped/non_http"] == 2  # metadata:// resources


def test_arc():
    (r,), stats = read(DATA / "example.arc.gz")
    assert r.url == "http://example.com/"
    assert r.status == 200
    assert r.fetched_at == datetime(2014, 2, 16, 5, 2, 21, tzinfo=timezone.utc)  # 20140216050221
    assert r.body.startswith(b"<!doctype html>")
    assert stats["warc/records/warcinfo"] == 1


def test_arc_without_record_separators():
    responses, stats = read(DATA / "arc-no-record-separator.arc")
    assert [r.url for r in responses] == [
        "http://www.archive.org/robots.txt",
        "http://www.archive.org/",
        "http://www.archive.org/index.php",
        "http://www.archive.org/images/logoc.jpg",
        "http://www.archive.org/images/go-button-gateway.gif",
        "http://www.archive.org/images/star.png",
        "http://www.archive.org/services/collection-rss.php",
    ]
    assert stats["warc/records_skipped/non_http"] == 1  # dns:
    assert responses[0].fetched_at == datetime(2008, 4, 30, 20, 48, 25, tzinfo=timezone.utc)
    assert responses[3].body.startswith(b"\xff\xd8")  # JPEG
    assert not trouble(stats)


def test_gzipped_and_plain_read_the_same(tmp_path):
    gz = DATA / "cc-main-2020-34-sample.warc.gz"
    plain = tmp_path / "sample.warc"
    plain.write_bytes(gzip.decompress(gz.read_bytes()))
    a, _ = read(gz)
    b, stats = read(plain)
    assert [(r.url, r.status, r.body) for r in a] == [(r.url, r.status, r.body) for r in b]
    assert [r.warc_offset for r in a] != [r.warc_offset for r in b]
    with open(plain, "rb") as fh:
        fh.seek(b[5].warc_offset)
        assert next(iter(ArchiveIterator(fh))).rec_headers.get_header("WARC-Target-URI") == b[5].url
    assert not trouble(stats)


def test_gzip_of_the_whole_file_has_no_offsets(tmp_path):
    whole = tmp_path / "whole.warc.gz"
    whole.write_bytes(gzip.compress(gzip.decompress((DATA / "cc-main-2020-34-sample.warc.gz").read_bytes())))
    responses, stats = read(whole)
    reference, _ = read(DATA / "cc-main-2020-34-sample.warc.gz")
    assert [(r.url, r.body) for r in responses] == [(r.url, r.body) for r in reference]
    assert {r.warc_offset for r in responses} == {-1}
    assert stats["warc/offsets_not_seekable"] == 1


# --------------------------------------------------------------------------
# Damaged files


def sample_offsets(path):
    with open(path, "rb") as fh:
        it = ArchiveIterator(fh)
        return [(it.get_record_offset(), rec.rec_type) for rec in it]


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "plain"])
@pytest.mark.parametrize("where", [5, 300, 4000], ids=["in-header", "in-http-header", "in-body"])
def test_file_cut_in_the_middle(tmp_path, gz, where):
    src = DATA / "cc-main-2020-34-sample.warc.gz"
    if not gz:
        plain = tmp_path / "full.warc"
        plain.write_bytes(gzip.decompress(src.read_bytes()))
        src = plain
    full, _ = read(src)
    offsets = sample_offsets(src)
    cut_record = [o for o, t in offsets if t == "response"][6]
    cut = tmp_path / ("cut.warc.gz" if gz else "cut.warc")
    cut.write_bytes(src.read_bytes()[: cut_record + where])

    responses, stats = read(cut)
    complete = [r for r in responses if r.warc_offset < cut_record]
    assert [(r.url, r.body) for r in complete] == [(r.url, r.body) for r in full[:6]]
    assert all(not r.truncated for r in complete)
    assert len(responses) <= 7
    if len(responses) == 7:  # the cut record, as far as it goes
        assert responses[6].truncated and responses[6].url == full[6].url
    assert stats["warc/records_truncated"] + stats["warc/records_failed"] + stats["warc/files_cut"] >= 1


def test_corrupt_gzip_member_costs_that_record_only(tmp_path):
    src = DATA / "cc-main-2020-34-sample.warc.gz"
    data = src.read_bytes()
    full, _ = read(src)
    bad = [o for o, t in sample_offsets(src) if t == "response"][6]
    damaged = tmp_path / "corrupt-member.warc.gz"
    damaged.write_bytes(
        data[: bad + 40] + bytes(b ^ 0x55 for b in data[bad + 40 : bad + 400]) + data[bad + 400 :]
    )

    responses, stats = read(damaged)
    assert [r.url for r in responses] == [r.url for r in full if r.url != full[6].url]
    assert stats["warc/records_failed"] == 1
    assert stats["warc/files_fallback"] == 1
    assert [(r.url, r.body) for r in responses] == [(r.url, r.body) for r in full[:6] + full[7:]]


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "plain"])
def test_garbage_between_records(tmp_path, gz):
    src = DATA / "cc-main-2020-34-sample.warc.gz"
    data = src.read_bytes() if gz else gzip.decompress(src.read_bytes())
    if not gz:
        src = tmp_path / "full.warc"
        src.write_bytes(data)
    at = [o for o, t in sample_offsets(src) if t == "response"][6]
    damaged = tmp_path / ("garbage.warc.gz" if gz else "garbage.warc")
    damaged.write_bytes(data[:at] + b"this is not a record\n" * 10 + data[at:])
    full, _ = read(src)
    responses, stats = read(damaged)
    assert [(r.url, r.body) for r in responses] == [(r.url, r.body) for r in full]


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "plain"])
def test_fastwarc_failure_falls_back_to_warcio_without_duplicates(tmp_path, gz):
    # FastWARC refuses headers over 32 KiB; warcio reads them.
    records = [record(http_block(b"<p>%d</p>" % i), uri=f"http://example.com/{i}") for i in range(10)]
    long_header = "Set-Cookie: " + "x" * 40000
    records[4] = record(http_block(b"<p>4</p>", headers=[long_header]), uri="http://example.com/4")
    responses, stats = read(write(tmp_path, records, gz=gz))
    assert [r.url for r in responses] == [f"http://example.com/{i}" for i in range(10)]
    assert [r.body for r in responses] == [b"<p>%d</p>" % i for i in range(10)]
    assert dict(responses[4].headers)["Set-Cookie"] == "x" * 40000
    assert stats["warc/files_fallback"] == 1
    assert stats["warc/errors/OSError"] == 1
    assert stats["warc/records_via_warcio"] == 1  # FastWARC took over again after it
    assert not stats["warc/records_failed"]
    with open(tmp_path / ("test.warc.gz" if gz else "test.warc"), "rb") as fh:
        for r in responses:
            fh.seek(r.warc_offset)
            assert next(iter(ArchiveIterator(fh))).rec_headers.get_header("WARC-Target-URI") == r.url


@pytest.mark.parametrize("failing", [1, 3])
def test_fastwarc_failure_in_a_whole_file_gzip(tmp_path, failing):
    long_header = "Set-Cookie: " + "x" * 40000
    records = [record(http_block(b"<p>%d</p>" % i), uri=f"http://example.com/{i}") for i in range(6)]
    records[failing] = record(
        http_block(b"<p>%d</p>" % failing, headers=[long_header]), uri=f"http://example.com/{failing}"
    )
    path = tmp_path / "whole.warc.gz"
    path.write_bytes(gzip.compress(b"".join(records)))
    responses, stats = read(path)
    assert [r.body for r in responses] == [b"<p>%d</p>" % i for i in range(6)]
    assert [r.warc_offset for r in responses] == [0] + [-1] * 5
    assert stats["warc/files_fallback"] == 1 and not stats["warc/records_failed"]


def test_repeated_fastwarc_failures_leave_the_file_to_warcio(tmp_path):
    long_header = "Set-Cookie: " + "x" * 40000
    records = [
        record(
            http_block(b"<p>%d</p>" % i, headers=[long_header] if i % 2 else []),
            uri=f"http://example.com/{i}",
        )
        for i in range(12)
    ]
    responses, stats = read(write(tmp_path, records, gz=True))
    assert [r.url for r in responses] == [f"http://example.com/{i}" for i in range(12)]
    assert stats["warc/errors/OSError"] == 3
    assert not stats["warc/records_failed"]


def test_corrupt_arc_record_is_skipped(tmp_path):
    data = (DATA / "arc-no-record-separator.arc").read_bytes()
    header = data.index(b"image/jpeg 1963\n")
    damaged = tmp_path / "damaged.arc"
    damaged.write_bytes(data[:header] + b"image/jpeg many\n" + data[header + 16 :])
    responses, stats = read(damaged)
    urls = [r.url for r in responses]
    assert urls[:3] == [
        "http://www.archive.org/robots.txt",
        "http://www.archive.org/",
        "http://www.archive.org/index.php",
    ]
    assert "http://www.archive.org/images/star.png" in urls
    assert "http://www.archive.org/images/logoc.jpg" not in urls
    assert stats["warc/records_failed"] >= 1


@pytest.mark.parametrize("gz", [True, False], ids=["gzip", "plain"])
def test_damaged_first_record(tmp_path, gz):
    src = DATA / "cc-main-2020-34-sample.warc.gz"
    data = src.read_bytes() if gz else gzip.decompress(src.read_bytes())
    damaged = tmp_path / ("first.warc.gz" if gz else "first.warc")
    # gzip: the warcinfo member's deflate data; plain: the first header line.
    damaged.write_bytes(
        data[:12] + bytes(b ^ 0x5A for b in data[12:60]) + data[60:] if gz else b"WXRC" + data[4:]
    )
    full, _ = read(src)
    responses, stats = read(damaged)
    assert [(r.url, r.body) for r in responses] == [(r.url, r.body) for r in full]
    assert stats["warc/records_failed"] == 1


@pytest.mark.parametrize("seed", range(40))
def test_random_damage_never_crashes(tmp_path, seed):
    """Flip, cut, insert or zero bytes anywhere: reading ends, raising nothing
    but WarcReadError (and that only when the start of the file is gone),
    and every record before the damage is read as it was."""
    rnd = random.Random(seed)
    src = LOCAL[seed % len(LOCAL)]
    data = bytearray(src.read_bytes())
    pos = rnd.randrange(len(data))
    kind = seed % 4
    if kind == 0:
        for _ in range(rnd.randint(1, 20)):
            data[rnd.randrange(len(data))] ^= rnd.randrange(1, 256)
    elif kind == 1:
        del data[pos:]
    elif kind == 2:
        data[pos:pos] = rnd.randbytes(rnd.randint(1, 500))
    else:
        data[pos : pos + 1000] = bytes(len(data[pos : pos + 1000]))
    path = tmp_path / src.name
    path.write_bytes(bytes(data))
    original = src.read_bytes()
    first_damage = next((i for i, (a, b) in enumerate(zip(original, data)) if a != b), min(len(data), len(original)))
    full, _ = read(src)
    try:
        responses, stats = read(path)
    except WarcReadError:
        # Only a file whose first record is damaged may be refused.
        assert not full or first_damage < _record_end(src, full[0])
        return
    assert stats["warc/responses"] == len(responses)
    # Reading is sequential: every record that ends before the first damaged
    # byte is read as it was.
    intact = [(r.url, r.body) for r in full if r.warc_offset >= 0 and _record_end(src, r) <= first_damage]
    assert [(r.url, r.body) for r in responses[: len(intact)]] == intact


def _record_end(path, response) -> int:
    """Where the record of ``response`` ends in ``path``: the next record's start, or the file's end."""
    full, _ = read(path)
    later = [r.warc_offset for r in full if r.warc_offset > response.warc_offset]
    return min(later) if later else path.stat().st_size


# --------------------------------------------------------------------------
# Files that are not WARC at all


def test_garbage_file_raises(tmp_path):
    path = tmp_path / "notes.warc.gz"
    path.write_bytes(b"just some text\nnot an archive\n")
    with pytest.raises(WarcReadError, match="not a WARC or ARC file.*pass WARC/ARC files"):
        read(path)


def test_broken_gzip_raises(tmp_path):
    path = tmp_path / "broken.warc.gz"
    path.write_bytes(b"\x1f\x8b\x08\x00" + random.Random(3).randbytes(200))
    with pytest.raises(WarcReadError, match="cannot be decompressed"):
        read(path)


def test_html_file_raises(tmp_path):
    path = tmp_path / "page.warc"
    path.write_bytes(b"<!doctype html><html></html>")
    with pytest.raises(WarcReadError, match="not a WARC or ARC"):
        read(path)


def test_missing_file_and_directory_raise(tmp_path):
    with pytest.raises(WarcReadError, match="cannot open .*nope.warc"):
        read(tmp_path / "nope.warc")
    with pytest.raises(WarcReadError, match="cannot open"):
        read(tmp_path)


def test_empty_file_yields_nothing(tmp_path):
    path = tmp_path / "empty.warc.gz"
    path.write_bytes(b"")
    responses, stats = read(path)
    assert responses == [] and stats["warc/files_empty"] == 1


# --------------------------------------------------------------------------
# Bodies


@pytest.mark.parametrize(
    "encoding,encode",
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("GZip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
    ],
    ids=["gzip", "x-gzip", "case", "deflate", "raw-deflate"],
)
def test_content_encoding_is_decoded(tmp_path, encoding, encode):
    r, stats = one(tmp_path, http_block(encode(HTML), headers=[f"Content-Encoding: {encoding}"]))
    assert r.body == HTML and r.content_length == len(HTML)
    assert r.error is None and not r.truncated
    assert not stats["warc/content_encoding_not_applied"]


def test_brotli_is_decoded(tmp_path):
    brotli = pytest.importorskip("brotli")
    r, _ = one(tmp_path, http_block(brotli.compress(HTML), headers=["Content-Encoding: br"]))
    assert r.body == HTML and r.error is None


def test_chunked_and_gzipped(tmp_path):
    block = http_block(
        chunked(gzip.compress(HTML), 100),
        headers=["Transfer-Encoding: chunked", "Content-Encoding: gzip"],
        length=False,
    )
    r, _ = one(tmp_path, block)
    assert r.body == HTML and r.error is None and not r.truncated


def test_chunk_extensions(tmp_path):
    body = b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    r, _ = one(tmp_path, http_block(body, headers=["Transfer-Encoding: chunked"], length=False))
    assert r.body == b"hello world" and not r.truncated


def test_chunked_without_last_chunk_is_truncated(tmp_path):
    body = chunked(HTML)[: -len(b"0\r\n\r\n")]
    r, _ = one(tmp_path, http_block(body, headers=["Transfer-Encoding: chunked"], length=False))
    assert r.body == HTML and r.truncated


def test_encoding_declared_but_not_applied(tmp_path):
    r, stats = one(tmp_path, http_block(HTML, headers=["Content-Encoding: gzip"]))
    assert r.body == HTML and r.error is None
    assert stats["warc/content_encoding_not_applied"] == 1


def test_gzip_broken_part_way_keeps_raw_bytes(tmp_path):
    payload = gzip.compress(HTML * 20)
    broken = payload[:200] + bytes(b ^ 0xFF for b in payload[200:400]) + payload[400:]
    r, stats = one(tmp_path, http_block(broken, headers=["Content-Encoding: gzip"]))
    assert r.error == "content_decode"
    assert r.body == broken
    assert stats["warc/content_decode_failed"] == 1


def test_unsupported_encoding(tmp_path):
    r, stats = one(tmp_path, http_block(b"\x1f\x9d\x90compressed", headers=["Content-Encoding: compress"]))
    assert r.error == "content_decode" and r.body == b"\x1f\x9d\x90compressed"
    assert stats["warc/content_encoding_unsupported"] == 1


def test_encoding_that_is_not_a_coding_is_ignored(tmp_path):
    r, _ = one(tmp_path, http_block(HTML, headers=["Content-Encoding: UTF-8"]))
    assert r.body == HTML and r.error is None


@pytest.mark.parametrize("encoded", [False, True], ids=["plain", "gzip"])
def test_too_large_body_is_cut(tmp_path, encoded):
    payload = gzip.compress(HTML) if encoded else HTML
    headers = ["Content-Encoding: gzip"] if encoded else []
    records = [
        record(http_block(payload, headers=headers)),
        record(http_block(b"<p>next</p>"), uri="http://example.com/next"),
    ]
    responses, stats = read(write(tmp_path, records), max_body=1000)
    big, small = responses
    assert big.body == HTML[:1000]
    assert big.error == "too_large"
    assert big.content_length == len(payload)  # the stored size, not read further
    assert small.body == b"<p>next</p>" and small.error is None
    assert stats["warc/records_too_large"] == 1


def test_warc_truncated_header(tmp_path):
    r, stats = one(tmp_path, http_block(HTML), extra=["WARC-Truncated: length"])
    assert r.truncated and r.error is None and r.body == HTML
    assert stats["warc/records_truncated"] == 1


def test_http_content_length_not_reached(tmp_path):
    block = http_block(HTML, length=False).replace(b"\r\n\r\n", b"\r\nContent-Length: 99999\r\n\r\n", 1)
    r, _ = one(tmp_path, block)
    assert r.truncated and r.body == HTML


def test_not_modified_has_no_body_and_is_not_truncated(tmp_path):
    block = http_block(b"", status=b"304 Not Modified", length=False).replace(
        b"\r\n\r\n", b"\r\nContent-Length: 5000\r\n\r\n", 1
    )
    r, _ = one(tmp_path, block)
    assert r.status == 304 and not r.truncated and r.error is None


def test_record_with_no_body_stored(tmp_path):
    block = http_block(b"")
    path = tmp_path / "cut.warc"
    path.write_bytes(
        record(block)[:-4].replace(
            b"Content-Length: %d" % len(block), b"Content-Length: %d" % (len(block) + 500)
        )
    )
    responses, stats = read(path)
    assert len(responses) == 1
    assert responses[0].truncated and responses[0].error == "truncated" and responses[0].body == b""


# --------------------------------------------------------------------------
# Record fields


def test_headers_are_latin1_in_order(tmp_path):
    block = http_block(
        HTML, headers=[b"X-Latin: caf\xe9", b"X-Utf8: caf\xc3\xa9", b"Set-Cookie: a=1", b"Set-Cookie: b=2"]
    )
    r, _ = one(tmp_path, block)
    assert r.headers == [
        ("Content-Type", "text/html"),
        ("X-Latin", "caf\xe9"),
        ("X-Utf8", "caf\xc3\xa9"),
        ("Set-Cookie", "a=1"),
        ("Set-Cookie", "b=2"),
        ("Content-Length", str(len(HTML))),
    ]


def test_headers_are_latin1_on_the_warcio_path_too(tmp_path):
    block = http_block(b"<p>hi</p>", headers=[b"X-Latin: caf\xe9", b"X-Utf8: caf\xc3\xa9"])
    desc = b"1 0 test\nURL IP-address Archive-date Content-type Archive-length\n"
    arc = (
        b"filedesc://t.arc 0.0.0.0 20240102030405 text/plain %d\n" % len(desc) + desc + b"\n"
        b"http://example.com/ 1.2.3.4 20240102030405 text/html %d\n" % len(block) + block + b"\n"
    )
    path = tmp_path / "t.arc"
    path.write_bytes(arc)
    responses, stats = read(path)
    assert [r.url for r in responses] == ["http://example.com/"], stats
    assert dict(responses[0].headers)["X-Latin"] == "caf\xe9"
    assert dict(responses[0].headers)["X-Utf8"] == "caf\xc3\xa9"
    assert responses[0].body == b"<p>hi</p>"


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("2024-01-02T03:04:05Z", datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
        ("2024-01-02T03:04:05.123456Z", datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=timezone.utc)),
        ("2024-01-02T05:04:05+02:00", datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)),
    ],
)
def test_dates_are_utc(tmp_path, raw, expected):
    r, _ = one(tmp_path, http_block(), date=raw)
    assert r.fetched_at == expected


def test_bad_date_falls_back_to_http_date_then_previous_record(tmp_path):
    records = [
        record(http_block(headers=["Date: Tue, 02 Jan 2024 03:04:05 GMT"]), date="yesterday"),
        record(http_block(), uri="http://example.com/b", date=None),
    ]
    responses, stats = read(write(tmp_path, records))
    assert [r.fetched_at for r in responses] == [datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)] * 2
    assert stats["warc/bad_date"] == 2


def test_target_uri_cleaning(tmp_path):
    r, _ = one(tmp_path, http_block(), uri="  <http://example.com/a b>  ")
    assert r.url == "http://example.com/a%20b"


def test_resource_record(tmp_path):
    r, _ = one(tmp_path, HTML, rtype="resource")
    assert r.record_type == "resource"
    assert r.status is None
    assert r.headers == [("Content-Type", "text/html")]
    assert r.body == HTML


def test_non_http_records_are_counted_not_yielded(tmp_path):
    records = [
        record(b"example.com. 300 IN A 93.184.216.34\n", uri="dns:example.com", rtype="resource"),
        record(http_block(), rtype="request"),
        record(http_block()),
    ]
    responses, stats = read(write(tmp_path, records, gz=True))
    assert [r.url for r in responses] == ["http://example.com/"]
    assert stats["warc/records_skipped/non_http"] == 1
    assert stats["warc/records/request"] == 1
    assert stats["warc/records/resource"] == 1
    assert stats["warc/records/response"] == 1


# --------------------------------------------------------------------------
# expand_inputs


def test_expand_globs_directories_and_plain_paths(tmp_path):
    for name in ("b.warc.gz", "a.warc.gz", "c.arc", "notes.md"):
        (tmp_path / name).write_bytes(b"")
    assert expand_inputs([str(tmp_path / "*.warc.gz")]) == [
        str(tmp_path / "a.warc.gz"),
        str(tmp_path / "b.warc.gz"),
    ]
    assert expand_inputs([str(tmp_path)]) == [str(tmp_path / n) for n in ("a.warc.gz", "b.warc.gz", "c.arc")]
    assert expand_inputs([str(tmp_path / "c.arc"), str(tmp_path / "c.arc")]) == [str(tmp_path / "c.arc")]


@pytest.mark.parametrize("name", ["warc.paths", "warc.paths.gz", "inputs.txt"])
def test_expand_listing(tmp_path, name):
    seg = tmp_path / "crawl-data" / "segments"
    seg.mkdir(parents=True)
    (seg / "one.warc.gz").write_bytes(b"")
    (tmp_path / "two.warc").write_bytes(b"")
    text = f"# a listing\ncrawl-data/segments/one.warc.gz\n\n{tmp_path / 'two.warc'}\n"
    listing = tmp_path / name
    listing.write_bytes(gzip.compress(text.encode()) if name.endswith(".gz") else text.encode())
    assert expand_inputs([str(listing)]) == [
        str(tmp_path / "crawl-data/segments/one.warc.gz"),
        str(tmp_path / "two.warc"),
    ]


def test_expand_names_missing_files(tmp_path):
    listing = tmp_path / "warc.paths"
    listing.write_text("gone.warc.gz\n")
    with pytest.raises(
        WarcReadError, match=r"2 input\(s\) not found: .*missing.warc.*gone.warc.gz \(listed in"
    ):
        expand_inputs([str(tmp_path / "missing.warc"), str(listing)])
    with pytest.raises(WarcReadError, match="glob matched nothing"):
        expand_inputs([str(tmp_path / "*.warc")])


def test_expand_rejects_urls(tmp_path):
    listing = tmp_path / "warc.paths"
    listing.write_text("s3://commoncrawl/crawl-data/x.warc.gz\n")
    with pytest.raises(WarcReadError, match="only local files.*s3://commoncrawl"):
        expand_inputs([str(listing)])
    with pytest.raises(WarcReadError, match="only local files.*https://data.commoncrawl.org/x"):
        expand_inputs(["https://data.commoncrawl.org/x.warc.gz"])


def _warc_record(url: str, http: bytes) -> bytes:
    return (
        b"WARC/1.0\r\nWARC-Type: response\r\nWARC-Target-URI: " + url.encode()
        + b"\r\nWARC-Date: 2026-01-01T00:00:00Z\r\nContent-Type: application/http; msgtype=response\r\n"
        + b"Content-Length: %d\r\n\r\n" % len(http) + http + b"\r\n\r\n"
    )


def _arc_record(url: str, http: bytes) -> bytes:
    return b"%s 192.0.2.1 20260101000000 text/html %d\n" % (url.encode(), len(http)) + http + b"\n"


@pytest.mark.parametrize(
    ("name", "record", "header"),
    [
        ("status.warc", _warc_record, b""),
        ("status.arc", _arc_record, b"filedesc://status.arc 0.0.0.0 20260101000000 text/plain 69\n1 0 linkindex\nURL IP-address Archive-date Content-type Archive-length\n\n"),
    ],
)
def test_a_status_code_that_is_not_three_digits_is_no_status(tmp_path, name, record, header):
    # Found by the fuzzer: a damaged ARC status line read as 2009999999999999999999,
    # which no pages.status column can hold, so the whole batch failed to write.
    page = b"<a href='/x'>x</a>"
    http = b"HTTP/1.1 2009999999999999999999 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\n\r\n" % len(page)
    path = tmp_path / name
    path.write_bytes(header + record("http://example.com/", http + page) + record("http://example.com/ok", http.replace(b"2009999999999999999999", b"200") + page))
    responses, stats = read(path)
    assert [(r.url, r.status) for r in responses] == [("http://example.com/", None), ("http://example.com/ok", 200)]
    assert stats["warc/bad_status"] == 1

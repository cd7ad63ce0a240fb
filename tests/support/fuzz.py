"""A seeded mutation fuzzer over WARC files and web pages.

    python -m tests.support.fuzz --seconds 1800          # what `make fuzz` runs
    python -m tests.support.fuzz --inputs 300 --seed 7   # a short, repeatable run

Each input is a seed file damaged by a few mutations drawn from a seeded
random generator: bit flips, bytes inserted, deleted or overwritten, the
file cut short, a piece of another seed spliced in, a record or HTTP header
line corrupted (digits, separators, the ``WARC/1.0`` line, a length), a tag
repeated into a flood. A WARC input goes through the reader and every
response through ``crawler.records.page_records``; a page goes through
``page_records`` alone. A *finding* is any exception other than the reader's
``WarcReadError`` for a file it cannot open, a record that breaks the record
contract (``tests.support.contract``), or a page that takes more than
``--slow`` seconds of CPU. Findings are printed and, with ``--save``, written
with their seed and mutation so they can be replayed.
"""

import argparse
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
import os
from pathlib import Path
import random
import resource
import sys
import tempfile
import time
import traceback

from crawler.records import page_records
from linkindex.warc import WarcReadError, iter_responses
from tests.support.contract import ContractError, check_records

DATA = Path(__file__).resolve().parents[1] / "data"
#: The real pages beside the repository, when present (see shared/data/MANIFEST.md).
SHARED_HTML = Path(__file__).resolve().parents[3] / "shared" / "data" / "html"
FETCHED = datetime(2026, 1, 1, tzinfo=timezone.utc)
HTML_HEADERS = [("Content-Type", "text/html")]


def seed_files(shared: bool = True) -> tuple[list[Path], list[Path]]:
    """(WARC/ARC files, HTML pages) to mutate: the test fixtures, and the shared real pages when present."""
    warcs = sorted(p for p in (DATA / "warc").iterdir() if p.is_file())
    warcs.append(DATA.parents[1] / "examples" / "sample.warc.gz")
    pages = sorted((DATA / "html").glob("*.html"))
    if shared and SHARED_HTML.is_dir():
        pages += sorted(SHARED_HTML.glob("readability/*/source.html"))
        pages += sorted(SHARED_HTML.glob("trafilatura/*/*.html"))
    return warcs, pages


# -- mutations ---------------------------------------------------------------------

_HEADER_WORDS = (b"WARC/1.0", b"Content-Length", b"WARC-Type", b"WARC-Target-URI", b"HTTP/1.1", b"\r\n\r\n",
                 b"Transfer-Encoding: chunked", b"Content-Encoding: gzip", b"charset=", b"<meta", b"<base")
_TAGS = (b"<div>", b"<ul><li>", b"<table><tr><td>", b"<b id=%d>", b"</p><p>x", b"<a href=/%d>", b"</i>",
         b"<svg><a href=/%d>", b"<!--", b"<script>", b"<meta http-equiv=refresh content='0;url=/%d'>")


def _flip(data: bytearray, rnd: random.Random, other: bytes) -> str:
    for _ in range(rnd.randint(1, 8)):
        i = rnd.randrange(len(data))
        data[i] ^= 1 << rnd.randrange(8)
    return "bit flips"


def _overwrite(data: bytearray, rnd: random.Random, other: bytes) -> str:
    i = rnd.randrange(len(data))
    data[i : i + rnd.randint(1, 16)] = rnd.randbytes(rnd.randint(1, 16))
    return f"bytes overwritten at {i}"


def _insert(data: bytearray, rnd: random.Random, other: bytes) -> str:
    i = rnd.randrange(len(data) + 1)
    data[i:i] = rnd.choice((rnd.randbytes(rnd.randint(1, 64)), rnd.choice(_HEADER_WORDS)))
    return f"bytes inserted at {i}"


def _delete(data: bytearray, rnd: random.Random, other: bytes) -> str:
    i = rnd.randrange(len(data))
    del data[i : i + rnd.randint(1, 256)]
    return f"bytes deleted at {i}"


def _cut(data: bytearray, rnd: random.Random, other: bytes) -> str:
    i = rnd.randrange(len(data))
    del data[i:]
    return f"cut at {i}"


def _splice(data: bytearray, rnd: random.Random, other: bytes) -> str:
    i, j = rnd.randrange(len(data) + 1), rnd.randrange(len(other) + 1)
    data[i:] = other[j : j + rnd.randint(1, 65536)]
    return f"spliced at {i} from {j} of another seed"


def _header(data: bytearray, rnd: random.Random, other: bytes) -> str:
    """Corrupt a header line: a digit changed, a separator dropped, a version line bent."""
    word = rnd.choice(_HEADER_WORDS)
    i = bytes(data).find(word, rnd.randrange(len(data)))
    if i < 0:
        i = bytes(data).find(word)
    if i < 0:
        return _overwrite(data, rnd, other)
    end = i + len(word) + rnd.randint(0, 24)
    line = bytearray(data[i:end])
    choice = rnd.randrange(4)
    if choice == 0:
        line = bytearray(bytes(line).translate(bytes.maketrans(b"0123456789", b"9876543210")))
    elif choice == 1:
        line = bytearray(bytes(line).replace(b":", b"", 1).replace(b"\r\n", b"\n", 1))
    elif choice == 2:
        line += b"9" * rnd.randint(1, 20)
    else:
        line = bytearray(bytes(line).upper() if rnd.random() < 0.5 else b"")
    data[i:end] = line
    return f"header {word.decode()!r} corrupted at {i}"


def _flood(data: bytearray, rnd: random.Random, other: bytes) -> str:
    """Repeat a tag (numbered where it has a %d) many times somewhere in the page."""
    tag = rnd.choice(_TAGS)
    count = rnd.choice((10, 100, 1000, 5000, 30_000))
    unit = b"".join(tag.replace(b"%d", str(n).encode()) for n in range(count)) if b"%d" in tag else tag * count
    i = rnd.randrange(len(data) + 1)
    data[i:i] = unit
    return f"{tag.decode()!r} x {count} at {i}"


MUTATIONS = (_flip, _overwrite, _insert, _delete, _cut, _splice, _header, _flood)


def mutate(data: bytes, other: bytes, rnd: random.Random, html: bool) -> tuple[bytes, list[str]]:
    buffer = bytearray(data or b" ")
    done = []
    weights = (3, 2, 2, 2, 1, 1, 3, 3 if html else 0)
    for _ in range(rnd.randint(1, 4)):
        if not buffer:
            buffer = bytearray(b" ")
        mutation = rnd.choices(MUTATIONS, weights)[0]
        done.append(mutation(buffer, rnd, other))
    return bytes(buffer), done


# -- targets ---------------------------------------------------------------------


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_page(body: bytes, url: str = "http://www.example.com/dir/page.html") -> None:
    records = page_records(url, 200, HTML_HEADERS, body, FETCHED, Counter())
    if records is not None:
        check_records(records)


def run_warc(path: str) -> int:
    """Read a WARC file whole and extract each response; the responses read."""
    stats = Counter()
    responses = 0
    try:
        for response in iter_responses(path, stats):
            responses += 1
            records = page_records(
                response.url, response.status, response.headers, response.body, response.fetched_at, stats,
                content_length=response.content_length, warc_file=response.warc_file,
                warc_offset=response.warc_offset, ip_address=response.ip_address,
            )
            if records is not None:
                check_records(records)
            if stats["pages/extract_error"]:
                raise ContractError("a record failed to extract: " + ", ".join(
                    k for k in stats if k.startswith("pages/extract_error/")))
    except WarcReadError:
        if responses:
            raise  # only a file that cannot be opened at all may raise it
    return responses


@dataclass
class Finding:
    kind: str  # "exception", "contract", "slow"
    target: str  # "warc" or "page"
    seed: str
    mutations: list[str]
    detail: str
    data: bytes = field(repr=False)


@dataclass
class Campaign:
    inputs: int = 0
    responses: int = 0
    findings: list[Finding] = field(default_factory=list)
    by_target: Counter = field(default_factory=Counter)


def fuzz(
    seconds: float | None = None,
    inputs: int | None = None,
    seed: int = 0,
    slow: float = 2.0,
    shared: bool = True,
    on_finding=None,
) -> Campaign:
    """Mutate seeds until ``seconds`` pass or ``inputs`` were tried."""
    rnd = random.Random(seed)
    warcs, pages = seed_files(shared)
    warc_data = {p: p.read_bytes() for p in warcs}
    page_data = {p: p.read_bytes() for p in pages}
    campaign = Campaign()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="linkindex-fuzz-") as scratch:
        target_file = os.path.join(scratch, "input")
        while True:
            if inputs is not None and campaign.inputs >= inputs:
                break
            if seconds is not None and time.monotonic() - started >= seconds:
                break
            html = rnd.random() < 0.5
            pool = page_data if html else warc_data
            name = rnd.choice(sorted(pool))
            other = pool[rnd.choice(sorted(pool))]
            data, done = mutate(pool[name], other, rnd, html)
            # A WARC's name tells gzip or not; keep the seed's, so the reader sniffs the bytes.
            path = target_file + "".join(name.suffixes[-2:])
            campaign.inputs += 1
            campaign.by_target["page" if html else "warc"] += 1
            before = cpu()
            try:
                if html:
                    run_page(data)
                else:
                    Path(path).write_bytes(data)
                    campaign.responses += run_warc(path)
            except ContractError as exc:
                finding = Finding("contract", "page" if html else "warc", str(name), done, str(exc), data)
            except Exception as exc:
                detail = "".join(traceback.format_exception_only(exc)).strip() + "\n" + traceback.format_exc(limit=-3)
                finding = Finding("exception", "page" if html else "warc", str(name), done, detail, data)
            else:
                spent = cpu() - before
                finding = None
                if spent > slow:
                    finding = Finding("slow", "page" if html else "warc", str(name), done, f"{spent:.1f} s of CPU", data)
            if finding is not None:
                campaign.findings.append(finding)
                if on_finding is not None:
                    on_finding(finding)
    return campaign


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.support.fuzz", description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=None, help="stop after this long")
    parser.add_argument("--inputs", type=int, default=None, help="stop after this many inputs")
    parser.add_argument("--seed", type=int, default=0, help="the random seed (a run is repeatable)")
    parser.add_argument("--slow", type=float, default=2.0, help="CPU seconds for one input that count as a finding")
    parser.add_argument("--save", type=Path, default=None, help="write each finding's input into this directory")
    parser.add_argument("--fixtures-only", action="store_true", help="leave the shared real pages out")
    args = parser.parse_args(argv)
    if args.seconds is None and args.inputs is None:
        args.inputs = 1000
    if args.save:
        args.save.mkdir(parents=True, exist_ok=True)

    def report(finding: Finding) -> None:
        number = len(campaign_findings) + 1
        campaign_findings.append(finding)
        print(f"finding {number}: {finding.kind} in {finding.target} from {finding.seed} after {finding.mutations}")
        print("   " + finding.detail.replace("\n", "\n   "), flush=True)
        if args.save:
            (args.save / f"finding-{args.seed}-{number}.bin").write_bytes(finding.data)

    campaign_findings: list[Finding] = []
    started = time.monotonic()
    campaign = fuzz(args.seconds, args.inputs, args.seed, args.slow, not args.fixtures_only, report)
    elapsed = time.monotonic() - started
    print(
        f"inputs tried: {campaign.inputs:,} ({campaign.by_target['warc']:,} WARC files, "
        f"{campaign.by_target['page']:,} pages; {campaign.responses:,} WARC responses) "
        f"in {elapsed:,.0f} s, seed {args.seed}: {len(campaign.findings)} finding(s)"
    )
    return 1 if campaign.findings else 0


if __name__ == "__main__":
    sys.exit(main())

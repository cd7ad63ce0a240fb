"""``python -m bench worst-case``: the CPU time of each worst page shape, against an ordinary page of the same size.

Each case is generated at the size asked for (10 MB, the crawler's page
limit, by default) and extracted by ``crawler.records.page_records`` in a
child process of its own, which a CPU-time limit stops if the case runs
away; the table shows its CPU seconds, peak memory, the links it yielded and
the ``pages.error`` it was recorded with.
"""

import json
import os
from pathlib import Path
import resource
import subprocess
import sys

from rich.table import Table

#: One link every so often, so each shape shows which of its links survive.
LINK = b'<a href="/kept/%d">kept %d</a>'


def _fill(unit: bytes, size: int, prefix: bytes = b"<html><body>", suffix: bytes = b"") -> bytes:
    count = max(1, (size - len(prefix) - len(suffix)) // len(unit))
    return prefix + unit * count + suffix


def _numbered(template: bytes, size: int, prefix: bytes = b"<html><body>", suffix: bytes = b"") -> bytes:
    """``template % i`` for i = 0, 1, ... until ``size`` bytes."""
    parts, total, i = [prefix], len(prefix) + len(suffix), 0
    while total < size:
        part = template.replace(b"%d", str(i).encode())
        parts.append(part)
        total += len(part)
        i += 1
    parts.append(suffix)
    return b"".join(parts)


def ordinary(size: int) -> bytes:
    """A page as pages are: sections of paragraphs, lists and links, closed properly."""
    block = (
        b'<div class="post"><h2><a href="/post/%d">Post %d</a></h2><p>Some text about it, '
        b"<b>with</b> <i>formatting</i> and a <a href=\"https://example.org/ref/%d\">reference</a>.</p>"
        b'<ul class="tags"><li><a href="/tag/a">a</a></li><li><a href="/tag/b">b</a></li></ul></div>\n'
    )
    return _numbered(block, size, b"<!doctype html><html><head><title>Ordinary</title></head><body>", b"</body></html>")


#: name -> (what it is, generator(size) -> bytes).
CASES = {
    "ordinary": ("the baseline: an ordinary page of the same size", ordinary),
    "deep-div": ("unclosed <div>s, a link in every 100th", lambda n: _fill(b"<div>" * 99 + LINK % (0, 0), n)),
    "deep-list": ("<ul><li> nested without end", lambda n: _fill(b"<ul><li>", n)),
    "deep-dl": ("<dl><dt> nested without end", lambda n: _fill(b"<dl><dt>", n)),
    "deep-table": ("<table><tr><td> nested without end", lambda n: _fill(b"<table><tr><td>", n)),
    "deep-blockquote": ("<blockquote> nested without end", lambda n: _fill(b"<blockquote>", n)),
    "deep-anchor-div": ("<a href><div> repeated: links closed by the adoption agency", lambda n: _numbered(b'<a href="/a%d"><div>', n)),
    "deep-custom": ("unknown elements nested, then as many stray end tags", lambda n: _fill(b"<x-y>", n // 2) + b"</i>" * (n // 8)),
    "stray-end-tags": ("<span>s nested, then end tags that match nothing", lambda n: _fill(b"<span>", n // 2) + b"</i>" * (n // 8)),
    "formatting-bomb": (
        "distinct unclosed <b>s, then paragraphs that rebuild them all",
        lambda n: _numbered(b"<b id=%d>", n // 2, b"<html><body><p>") + _fill(b"</p><p>x", n // 2, b""),
    ),
    "tiny-tags": ("millions of closed tiny tags", lambda n: _fill(b"<b></b><i>x</i>", n)),
    "giant-attribute": ("one attribute of the whole page", lambda n: b'<a title="' + b"x" * n + b'" href="/a">a</a>'),
    "giant-href": ("one href of the whole page", lambda n: b'<a href="/' + b"x" * n + b'">a</a>'),
    "giant-text": ("one text node of the whole page, inside a link", lambda n: b'<a href="/a">' + b"word " * (n // 5) + b"</a>"),
    "many-links": ("nothing but links, each to its own path", lambda n: _numbered(b'<a href="/p%d">%d</a>', n)),
    "many-hosts": ("nothing but links, each to its own host", lambda n: _numbered(b'<a href="http://h%d.example.com/">x</a>', n)),
    "nested-svg-links": ("SVG links nested in each other", lambda n: _numbered(b'<a href="/s%d">s', n, b"<html><body><svg>")),
    "nested-object-links": ("links nested through <object>", lambda n: _numbered(b'<a href="/o%d"><object>', n)),
    "base-flood": ("<base href> over and over", lambda n: _numbered(b'<base href="/b%d/">', n, b"<html><head>")),
    "meta-flood": ("robots and refresh <meta>s over and over", lambda n: _fill(
        b'<meta name="robots" content="noindex, nofollow"><meta http-equiv="refresh" content="5; url=/r">', n, b"<html><head>")),
    "giant-refresh": ("a meta refresh whose content is the whole page", lambda n: (
        b'<meta http-equiv="refresh" content="' + b"0" * n + b'; url=/r">')),
    "meta-prescan": ("unterminated quotes in <meta>s where the charset is looked for", lambda n: _fill(b"<meta '", n, b"")),
    "lines-to-detect": ("a legacy-encoded page of empty lines", lambda n: b"\n" * n + b"\xe9<a href=/a>a</a>"),
}


def run_case(name: str, size: int) -> dict:
    """Extract one case in this process; its CPU seconds and what came out."""
    from collections import Counter
    from datetime import datetime, timezone

    from crawler.records import page_records

    body = CASES[name][1](size)
    before = resource.getrusage(resource.RUSAGE_SELF)
    records = page_records(
        "http://www.example.com/page", 200, [("Content-Type", "text/html")], body, datetime.now(timezone.utc), Counter()
    )
    after = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "bytes": len(body),
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "peak_rss": after.ru_maxrss * 1024,
        "links": len(records.links),
        "error": records.page.error,
    }


def _child(name: str, size: int, limit: float) -> dict | None:
    """``run_case`` in a child process stopped after ``limit`` CPU seconds; None if it was."""

    def cap_cpu():
        seconds = max(1, int(limit + 0.999))
        resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 1))

    done = subprocess.run(
        [sys.executable, "-m", "bench.worst_case", name, str(size)],
        capture_output=True,
        text=True,
        preexec_fn=cap_cpu,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(Path(__file__).parents[1]), os.environ.get("PYTHONPATH")]))},
    )
    if done.returncode != 0:
        return None
    return json.loads(done.stdout)


def run(args, console) -> int:
    names = args.cases or list(CASES)
    unknown = [name for name in names if name not in CASES]
    if unknown:
        console.print(f"[red]unknown case(s):[/] {', '.join(unknown)}; known: {', '.join(CASES)}")
        return 2
    size = int(args.mb * 1024 * 1024)
    console.print(f"each case {args.mb:g} MB, extracted in a child process stopped after {args.limit:g} CPU s")
    baseline = _child("ordinary", size, args.limit)
    table = Table(title="worst page shapes", title_justify="left")
    for column in ("case", "MB", "CPU s", "× ordinary", "peak RSS MB", "links", "pages.error", "what it is"):
        table.add_column(column, justify="left" if column in ("case", "pages.error", "what it is") else "right")
    for name in names:
        result = baseline if name == "ordinary" else _child(name, size, args.limit)
        what = CASES[name][0]
        if result is None:
            table.add_row(name, f"{args.mb:g}", f"> {args.limit:g}", "", "", "", "(stopped)", what)
            continue
        ratio = f"{result['cpu'] / baseline['cpu']:.1f}" if baseline and baseline["cpu"] > 0 else ""
        table.add_row(
            name,
            f"{result['bytes'] / 2**20:.1f}",
            f"{result['cpu']:.2f}",
            ratio,
            f"{result['peak_rss'] / 2**20:,.0f}",
            f"{result['links']:,}",
            result["error"] or "",
            what,
        )
    console.print(table)
    return 0


HELP = "CPU time of each worst page shape (deep nesting, floods, giant nodes) against an ordinary page"
DESCRIPTION = __doc__


def add_arguments(parser):
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"cases to run (default: all): {', '.join(CASES)}")
    parser.add_argument("--mb", type=float, default=10.0, help="size of each page in MB (default: %(default)s)")
    parser.add_argument(
        "--limit", type=float, default=60.0, help="CPU seconds after which a case is stopped (default: %(default)s)"
    )


if __name__ == "__main__":
    print(json.dumps(run_case(sys.argv[1], int(sys.argv[2]))))

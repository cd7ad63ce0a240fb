"""``python -m bench build``: the index build at scale, against one bare DuckDB pass over the same files.

Writes a web-shaped synthetic crawl of ``--links`` link records
(``bench/synthetic.py``), then, each in a child process so its memory is its
own: one bare DuckDB ``group by dst_domain, src_domain`` pass over the link
files (the baseline: the least any build must do), a full ``linkindex build``,
and an incremental build after a second crawl of a tenth of the links is
added. Prints seconds, links/s, peak RSS, the index and facts sizes against
the records' Parquet size, and the ratios.
"""

import json
import os
from pathlib import Path
import shutil
import subprocess
import sys
import tempfile
import time

from rich.table import Table

from bench.common import REPO_ROOT, gigabytes

HELP = "index build seconds, links/s and peak memory at scale, against a bare DuckDB pass"
DESCRIPTION = __doc__.split("\n\n", 1)[1].replace("\n", " ")

BARE_PASS = """
import duckdb, json, sys
config = json.loads(sys.argv[2])
con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False, **config})
con.execute("set enable_progress_bar = false")
rows = con.execute(
    "select count(*) from (select dst_domain, src_domain, count(*) from read_parquet($1) group by all)",
    [sys.argv[1]],
).fetchall()
print(json.dumps({"groups": rows[0][0]}))
"""

BUILD = """
import json, sys
from linkindex.build import build
result = build(sys.argv[1], memory_limit=sys.argv[2] or None, threads=int(sys.argv[3]) if sys.argv[3] else None)
print(json.dumps({"counts": dict(result), "rebuilt": result.rebuilt, "index_bytes": result.index_bytes,
                  "facts_bytes": result.facts_bytes, "records_bytes": result.records_bytes,
                  "seconds": result.seconds, "table_seconds": result.table_seconds}))
"""


def where_the_time_went(run: dict) -> str:
    """The facts, the tables and the five slowest tables of a build, in seconds."""
    tables = run["table_seconds"]
    slowest = sorted(tables.items(), key=lambda item: -item[1])[:5]
    return (
        f"facts and setup {run['seconds'] - sum(tables.values()):.1f} s, tables {sum(tables.values()):.1f} s "
        f"(slowest: {', '.join(f'{name} {seconds:.1f}' for name, seconds in slowest)})"
    )


def timed(code: str, *args) -> tuple[float, int, dict]:
    """Run ``code`` in a child Python; return (wall seconds, peak RSS bytes, its JSON output)."""
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO_ROOT
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.monotonic() - started
    out, err = process.stdout.read(), process.stderr.read()
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"child failed ({process.returncode}): {err.decode(errors='replace')[-2000:]}")
    return seconds, usage.ru_maxrss * 1024, json.loads(out.decode().strip().splitlines()[-1])


def run(args, console) -> int:
    from bench.synthetic import write_crawl

    root = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="linkindex-bench-build-"))
    data = root / "data"
    load = os.getloadavg()[0]
    try:
        if args.data and (data / "links").exists() and not args.regenerate:
            console.print(f"records: reusing {data}")
            shutil.rmtree(data / "facts", ignore_errors=True)
            shutil.rmtree(data / "links" / "crawl_id=second", ignore_errors=True)
            shutil.rmtree(data / "pages" / "crawl_id=second", ignore_errors=True)
            (data / "index.duckdb").unlink(missing_ok=True)
        else:
            shutil.rmtree(data, ignore_errors=True)
            started = time.monotonic()
            written = write_crawl(data, "first", args.links)
            console.print(
                f"records: {written['links']:,} links on {written['pages']:,} pages written in "
                f"{time.monotonic() - started:.0f} s under {data}"
            )
        links_glob = str(data / "links" / "crawl_id=first" / "*.parquet")
        settings = {}
        if args.memory_limit:
            settings["memory_limit"] = args.memory_limit
        if args.threads:
            settings["threads"] = args.threads
        console.print(
            f"{os.cpu_count()} CPU(s), load average {load:.2f} at start; "
            f"--memory-limit {args.memory_limit or '(DuckDB default)'}, --threads {args.threads or os.cpu_count()}"
        )
        bare_s, bare_rss, _ = timed(BARE_PASS, links_glob, json.dumps(settings))
        full_s, full_rss, full = timed(BUILD, data, args.memory_limit or "", args.threads or "")
        second = max(1, args.links // 10)
        write_crawl(data, "second", second, revision=1)
        incr_s, incr_rss, incr = timed(BUILD, data, args.memory_limit or "", args.threads or "")
    finally:
        if not args.data and not args.keep:
            shutil.rmtree(root, ignore_errors=True)

    records = full["records_bytes"]
    links = full["counts"]["fct_backlinks"] + full["counts"]["fct_internal_links"]
    table = Table(title=f"build of {args.links:,} links", title_justify="left")
    for column in ("run", "seconds", "links/s", "peak RSS", "× bare pass"):
        table.add_column(column, justify="left" if column == "run" else "right")
    table.add_row("bare DuckDB group by (dst_domain, src_domain)", f"{bare_s:.1f}", f"{args.links / bare_s:,.0f}",
                  gigabytes(bare_rss), "1.00")
    table.add_row("linkindex build (full)", f"{full_s:.1f}", f"{args.links / full_s:,.0f}", gigabytes(full_rss),
                  f"{full_s / bare_s:.2f}")
    table.add_row(f"incremental, + a crawl of {second:,} links (rebuilt: {', '.join(incr['rebuilt'])})",
                  f"{incr_s:.1f}", f"{second / incr_s:,.0f}", gigabytes(incr_rss), f"{incr_s / bare_s:.2f}")
    console.print(table)
    console.print(
        f"sizes after the full build: records {gigabytes(records)}, facts {gigabytes(full['facts_bytes'])} "
        f"({full['facts_bytes'] / records:.2f}×), index {gigabytes(full['index_bytes'])} "
        f"({full['index_bytes'] / records:.2f}× the records); {links:,} link facts ({full['counts']['fct_backlinks']:,} backlinks)",
        soft_wrap=True,
    )
    console.print(f"full build: {where_the_time_went(full)}", highlight=False, soft_wrap=True)
    console.print(f"incremental build: {where_the_time_went(incr)}", highlight=False, soft_wrap=True)
    console.print(
        f"full build / bare pass: [bold]{full_s / bare_s:.2f}×[/]; incremental / full: "
        f"[bold]{incr_s / full_s:.0%}[/]; load average at the end {os.getloadavg()[0]:.2f}",
        soft_wrap=True,
    )
    return 0


def add_arguments(parser):
    parser.add_argument("--links", type=int, default=10_000_000, help="link records of the first crawl")
    parser.add_argument("--memory-limit", help="passed to the build and the bare pass, e.g. 4GB")
    parser.add_argument("--threads", type=int, help="passed to the build and the bare pass")
    parser.add_argument(
        "--data", help="directory for the records (kept, and reused by the next run); default: a temporary one"
    )
    parser.add_argument("--regenerate", action="store_true", help="write the records again even if --data has them")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")



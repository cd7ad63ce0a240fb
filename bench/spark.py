"""``python -m bench spark``: extract and build on Spark against the single-machine engine, same input.

Two stages, each run by every engine in a child process of its own (a fresh
Python, and for Spark a fresh JVM), over the same input:

- extract: ``--files`` WARC files of ``--pages`` HTML responses each, written
  from the real-page corpus (or the pages bundled with the tests), by
  ``linkindex extract --workers 2`` (the baseline) and by ``--engine spark``
  on ``local[1]`` and ``local[2]``;
- build: a web-shaped synthetic data directory (``bench/synthetic.py``) of
  ``--links`` link records and a second crawl of a tenth of them, by the
  DuckDB build (the baseline) and by the Spark build on ``local[1]`` and
  ``local[2]``.

Spark's time is shown whole and without the session's start (the JVM, the
first query's compilation), which a cluster pays once per job. The scaling
line compares local[1] with local[2] on the same machine.
"""

import json
import os
from pathlib import Path
import shutil
import tempfile

from rich.table import Table

from bench.build import timed

HELP = "extract and build on Spark local[1] and local[2] against DuckDB and local processes, same input"
DESCRIPTION = __doc__.split("\n\n", 1)[1].replace("\n", " ")

LOCAL_EXTRACT = """
import json, sys, time
from linkindex.extract import run_extract
started = time.monotonic()
totals, results = run_extract(json.loads(sys.argv[1]), sys.argv[2], "bench", workers=int(sys.argv[3]), show_progress=False)
print(json.dumps({"pages": totals["pages/seen"], "links": totals["links/extracted"],
                  "failed": sum(1 for r in results if r.error), "job": time.monotonic() - started, "startup": 0.0}))
"""

DUCKDB_BUILD = """
import json, sys, time
from linkindex.build import build
started = time.monotonic()
result = build(sys.argv[1])
print(json.dumps({"rows": dict(result), "job": time.monotonic() - started, "startup": 0.0}))
"""

SPARK_JOB = """
import json, sys, time
started = time.monotonic()
from linkindex.spark.session import spark_session
spark = spark_session(sys.argv[1], {"spark.driver.memory": sys.argv[2], "spark.sql.shuffle.partitions": sys.argv[3]})
spark.sql("select 1").collect()
ready = time.monotonic()
if sys.argv[4] == "build":
    from linkindex.spark.build import build
    out = {"rows": dict(build(spark, sys.argv[5], sys.argv[6]))}
else:
    from linkindex.spark.extract import extract
    totals, results = extract(spark, json.loads(sys.argv[5]), sys.argv[6], "bench")
    out = {"pages": totals["pages/seen"], "links": totals["links/extracted"],
           "failed": sum(1 for r in results if r.error)}
out.update(startup=ready - started, job=time.monotonic() - ready)
print(json.dumps(out))
"""


def write_warcs(directory: Path, files: int, pages_per_file: int) -> tuple[list[str], int]:
    """``files`` WARC files of ``pages_per_file`` HTML responses each, from the benchmark's page corpus;
    return their paths and bytes."""
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from bench.extract import load_pages

    pages, _ = load_pages(None)
    directory.mkdir(parents=True, exist_ok=True)
    paths, size, number = [], 0, 0
    for file in range(files):
        path = directory / f"bench-{file:04d}.warc.gz"
        with open(path, "wb") as out:
            writer = WARCWriter(out, gzip=True)
            for _ in range(pages_per_file):
                url, body = pages[number % len(pages)]
                number += 1
                # A distinct URL per record: every response is its own page.
                target = f"{url}{'&' if '?' in url else '?'}bench={number}"
                headers = StatusAndHeaders(
                    "200 OK", [("Content-Type", "text/html"), ("Content-Length", str(len(body)))], protocol="HTTP/1.1"
                )
                record = writer.create_warc_record(target, "response", payload=_stream(body), http_headers=headers)
                writer.write_record(record)
        paths.append(str(path))
        size += path.stat().st_size
    return paths, size


def _stream(body: bytes):
    import io

    return io.BytesIO(body)


def run(args, console) -> int:
    from bench.synthetic import write_crawl

    root = Path(args.data) if args.data else Path(tempfile.mkdtemp(prefix="linkindex-bench-spark-"))
    load_start = os.getloadavg()
    memory, partitions = args.driver_memory, str(args.shuffle_partitions)
    rows = []
    try:
        shutil.rmtree(root, ignore_errors=True)
        warcs, warc_bytes = write_warcs(root / "warc", args.files, args.pages)
        console.print(f"extract input: {args.files} WARC files × {args.pages} pages, {warc_bytes / 1e6:,.1f} MB")
        extract_runs = {}
        for name, code, extra in (
            ("linkindex extract --workers 2", LOCAL_EXTRACT, ["2"]),
            ("--engine spark, local[1]", SPARK_JOB, None),
            ("--engine spark, local[2]", SPARK_JOB, None),
        ):
            out_dir = root / f"extract-{len(extract_runs)}"
            if extra:
                seconds, _, out = timed(code, json.dumps(warcs), out_dir, *extra)
            else:
                master = "local[1]" if "local[1]" in name else "local[2]"
                seconds, _, out = timed(code, master, memory, partitions, "extract", json.dumps(warcs), out_dir)
            extract_runs[name] = (seconds, out)
            shutil.rmtree(out_dir, ignore_errors=True)

        data = root / "data"
        written = write_crawl(data, "first", args.links)
        second = write_crawl(data, "second", max(1, args.links // 10), revision=1)
        links = written["links"] + second["links"]
        console.print(f"build input: {links:,} link records in two crawls (bench/synthetic.py)")
        build_runs = {}
        for name in ("linkindex build (DuckDB)", "--engine spark, local[1]", "--engine spark, local[2]"):
            shutil.rmtree(data / "facts", ignore_errors=True)
            (data / "index.duckdb").unlink(missing_ok=True)
            if "DuckDB" in name:
                seconds, _, out = timed(DUCKDB_BUILD, data)
            else:
                master = "local[1]" if "local[1]" in name else "local[2]"
                seconds, _, out = timed(SPARK_JOB, master, memory, partitions, "build", data, root / "tables")
            build_runs[name] = (seconds, out)
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    load_end = os.getloadavg()

    table = Table(title="the same input on one machine and on Spark", title_justify="left")
    for column in ("stage", "engine", "wall s", "of which startup", "work s", "rate", "× baseline (work)"):
        table.add_column(column, justify="left" if column in ("stage", "engine") else "right")
    for stage, runs, unit in (("extract", extract_runs, "pages"), ("build", build_runs, "links")):
        base = next(iter(runs.values()))[1]["job"]
        for name, (seconds, out) in runs.items():
            amount = out.get("pages") if unit == "pages" else links
            rows.append((stage, name, out))
            table.add_row(
                stage,
                name,
                f"{seconds:.1f}",
                f"{out['startup']:.1f}",
                f"{out['job']:.1f}",
                f"{amount / out['job']:,.0f} {unit}/s",
                f"{out['job'] / base:.2f}",
            )
    console.print(table)
    for stage, runs in (("extract", extract_runs), ("build", build_runs)):
        one, two = runs["--engine spark, local[1]"][1]["job"], runs["--engine spark, local[2]"][1]["job"]
        console.print(f"{stage}: Spark local[1] → local[2]: [bold]{one / two:.2f}×[/] faster", soft_wrap=True)
    duck, spark = build_runs["linkindex build (DuckDB)"][1]["rows"], build_runs["--engine spark, local[2]"][1]["rows"]
    same = "the same" if duck == spark else "DIFFERENT"
    console.print(f"row counts of every fact and table, DuckDB and Spark: {same}", soft_wrap=True)
    local, spark_pages = extract_runs["linkindex extract --workers 2"][1], extract_runs["--engine spark, local[2]"][1]
    console.print(
        f"extract: {local['pages']:,} pages and {local['links']:,} links locally, "
        f"{spark_pages['pages']:,} and {spark_pages['links']:,} on Spark",
        soft_wrap=True,
    )
    console.print(
        f"{os.cpu_count()} CPU(s); load average {load_start[0]:.2f} at the start, {load_end[0]:.2f} at the end; "
        f"Spark driver memory {memory}, {partitions} shuffle partitions",
        soft_wrap=True,
    )
    return 0 if duck == spark else 1


def add_arguments(parser):
    parser.add_argument("--files", type=int, default=16, help="WARC files of the extract stage (one task each)")
    parser.add_argument("--pages", type=int, default=200, help="HTML responses per WARC file")
    parser.add_argument("--links", type=int, default=1_000_000, help="link records of the build's first crawl")
    parser.add_argument("--driver-memory", default="2g", help="spark.driver.memory (local mode: all of Spark)")
    parser.add_argument("--shuffle-partitions", type=int, default=8, help="spark.sql.shuffle.partitions")
    parser.add_argument("--data", help="working directory (emptied first); default: a temporary one")
    parser.add_argument("--keep", action="store_true", help="keep the working directory")


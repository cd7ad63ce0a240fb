"""``python -m bench export``: ``linkindex export`` into PostgreSQL, against ``psql \\copy`` of a CSV of the same table.

A synthetic index (``tests/support/synthetic.py``) holds ``inbound_links``
with ``--rows`` rows shaped like real ones (URLs, anchors, flags, times). One
PostgreSQL server of our own (``tests/support/pgserver.py``, durable
defaults) takes both loads, one after the other:

- linkindex: the export, in a child process (its peak memory is its own):
  DuckDB -> Arrow batches -> ADBC binary COPY into a staging table, then the
  header's primary key and lookup indexes, then the swap and the commit;
- baseline: DuckDB writes the table as CSV (timed apart, not counted), then
  ``psql \\copy`` loads it into a table of the same types, and the same
  primary key and indexes are built afterwards, as a careful user would.

Both are timed for the load alone and for load plus indexes; MB/s count the
table's size as CSV for both.
"""

import multiprocessing
import os
from pathlib import Path
import shutil
import statistics
import tempfile
import time

from rich.table import Table

from bench.common import gigabytes

HELP = "linkindex export into PostgreSQL, against psql \\copy of a CSV of the same table"


def add_arguments(parser):
    parser.add_argument("--rows", type=int, default=10_000_000, help="rows of inbound_links (default: %(default)s)")
    parser.add_argument(
        "--work-dir",
        type=Path,
        help="where the index, the CSV and the PostgreSQL data go (default: a temporary directory); "
        "about 1 KB a row, removed at the end",
    )
    parser.add_argument(
        "--runs", type=int, default=1, help="loads of each kind, alternating; the medians are shown (default: 1)"
    )


def peak_rss() -> int:
    """This process's peak resident memory, in bytes (Linux). Not getrusage: its maximum survives
    fork and exec, so a child would report its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def _export_in_child(data_dir: str, url: str, answer) -> None:
    """The export as ``linkindex export --tables inbound_links`` runs it, with its steps timed."""
    from linkindex.export import Export
    from linkindex.postgres import PostgresDatabase

    started = time.perf_counter()
    export = Export(data_dir, ["inbound_links"])
    database = PostgresDatabase(url)
    try:
        [result] = export.run(database)
    finally:
        database.close()
        export.close()
    answer.put(
        {
            "error": result.error,
            "rows": result.rows,
            "seconds": time.perf_counter() - started,
            "steps": database.timings.get("inbound_links", {}),
            "peak_rss": peak_rss(),
        }
    )


def run_export(data_dir: Path, url: str) -> dict:
    context = multiprocessing.get_context("spawn")
    answer = context.Queue()
    child = context.Process(target=_export_in_child, args=(str(data_dir), url, answer))
    child.start()
    try:
        return answer.get()
    finally:
        child.join()


def run(args, console) -> int:
    from linkindex.export import index_table
    from linkindex.index import INDEX_FILE, connect
    from tests.support.pgserver import PostgresNotFound, PostgresServer, psql_binary, unavailable_reason
    from tests.support.synthetic import fill_table

    if args.rows < 1 or args.runs < 1:
        console.print("[red]--rows and --runs: at least one[/]")
        return 2
    reason = unavailable_reason() or (None if psql_binary() else "no psql (apt-get install postgresql-client)")
    if reason:
        console.print(f"[red]error:[/] {reason}", soft_wrap=True)
        return 2
    table = index_table("inbound_links")
    load_before = os.getloadavg()
    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="linkindex-bench-export-", dir=args.work_dir))
    os.chmod(work, 0o755)  # the server runs as another user and keeps its data here
    server = None
    runs: dict[str, list[dict]] = {"linkindex": [], "baseline": []}
    try:
        data_dir = work / "data"
        data_dir.mkdir()
        started = time.perf_counter()
        with connect(data_dir / INDEX_FILE) as con:
            con.execute("set memory_limit = '4GB'")  # the machine is shared
            fill_table(con, "inbound_links", args.rows)
        console.print(f"synthetic index: {args.rows:,} rows of inbound_links in {time.perf_counter() - started:.0f} s")
        csv_path = work / "inbound_links.csv"
        started = time.perf_counter()
        with connect(data_dir / INDEX_FILE, read_only=True) as con:
            con.execute("set enable_progress_bar = false")
            con.execute(f"copy inbound_links to '{csv_path}' (format csv, header)")
        csv_seconds = time.perf_counter() - started
        csv_bytes = csv_path.stat().st_size
        os.chmod(csv_path, 0o644)

        server = PostgresServer(durable=True, parent=work).start()
        version = server.psql("show server_version").strip()
        columns = ", ".join(f'"{c.name}" {c.postgres}' for c in table.columns)
        key = ", ".join(f'"{c}"' for c in table.key)
        indexes = [f"alter table public.inbound_links add primary key ({key})"]
        indexes += [f'create index on public.inbound_links ("{c}")' for c in table.lookups]

        def linkindex_run() -> dict:
            mine = run_export(data_dir, server.url)
            if mine["error"]:
                raise RuntimeError(f"export failed: {mine['error']}")
            return {"load": mine["steps"].get("load", 0.0), "total": mine["seconds"], "peak": mine["peak_rss"]}

        def baseline_run() -> dict:
            """The same table, types and indexes, from the CSV through psql \\copy."""
            server.psql("drop table if exists public.inbound_links")
            server.psql(f"create table public.inbound_links ({columns})")
            started = time.perf_counter()
            server.psql(f"\\copy public.inbound_links from '{csv_path}' with (format csv, header)")
            load = time.perf_counter() - started
            server.psql("; ".join(indexes))
            return {"load": load, "total": time.perf_counter() - started}

        # Alternate which goes first, so that neither always meets a server the other just filled.
        for number in range(args.runs):
            order = (linkindex_run, baseline_run) if number % 2 == 0 else (baseline_run, linkindex_run)
            for measure in order:
                server.psql("checkpoint")
                runs["linkindex" if measure is linkindex_run else "baseline"].append(measure())
        size = int(server.psql("select pg_total_relation_size('linkindex.inbound_links')").strip())
        counts = server.psql(
            "select (select count(*) from linkindex.inbound_links) || ' ' "
            "|| (select count(*) from public.inbound_links)"
        ).split()
        if counts != [str(args.rows)] * 2:
            console.print(f"[red]row counts differ:[/] linkindex, baseline: {counts}")
            return 1
    except (PostgresNotFound, RuntimeError) as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return 2
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()

    megabytes = csv_bytes / 1e6
    mine = {step: statistics.median(run[step] for run in runs["linkindex"]) for step in ("load", "total", "peak")}
    theirs = {step: statistics.median(run[step] for run in runs["baseline"]) for step in ("load", "total")}

    console.print(
        f"inbound_links: {args.rows:,} rows, {gigabytes(csv_bytes)} as CSV (written by DuckDB in {csv_seconds:.1f} s, "
        f"not counted), {gigabytes(size)} in PostgreSQL {version} with key and indexes; "
        f"{os.cpu_count()} cores, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after",
        soft_wrap=True,
    )
    runs_text = "1 run" if args.runs == 1 else f"median of {args.runs} runs"
    results = Table(title=f"into PostgreSQL, load and load + key + indexes ({runs_text})")
    for name in ("loader", "load s", "rows/s", "MB/s", "total s", "rows/s (total)", "MB/s (total)", "peak memory"):
        results.add_column(name, justify="left" if name == "loader" else "right")
    for label, figures in (("linkindex export (ADBC binary COPY)", mine), ("psql \\copy of a CSV", theirs)):
        results.add_row(
            label,
            f"{figures['load']:.1f}",
            f"{args.rows / figures['load']:,.0f}",
            f"{megabytes / figures['load']:,.1f}",
            f"{figures['total']:.1f}",
            f"{args.rows / figures['total']:,.0f}",
            f"{megabytes / figures['total']:,.1f}",
            gigabytes(figures["peak"]) if "peak" in figures else "",
        )
    console.print(results)
    console.print(
        "linkindex: load is the COPY into the staging table; total adds reading DuckDB, the key and indexes, "
        "the swap and the commit. Baseline: load is psql \\copy; total adds the same key and indexes."
    )
    console.print(
        f"linkindex / psql \\copy, rows/s: load {theirs['load'] / mine['load']:.2f}, "
        f"load + indexes {theirs['total'] / mine['total']:.2f}"
    )
    return 0

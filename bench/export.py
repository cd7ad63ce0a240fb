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


def _export_in_child(data_dir: str, url: str, answer) -> None:
    """The export as ``linkindex export --tables inbound_links`` runs it, with its steps timed."""
    import resource

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
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
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

    if args.rows < 1:
        console.print("[red]--rows: at least one[/]")
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
            con.execute(f"copy inbound_links to '{csv_path}' (format csv, header)")
        csv_seconds = time.perf_counter() - started
        csv_bytes = csv_path.stat().st_size
        os.chmod(csv_path, 0o644)

        server = PostgresServer(durable=True, parent=work).start()
        version = server.psql("show server_version").strip()

        # linkindex
        mine = run_export(data_dir, server.url)
        if mine["error"]:
            console.print(f"[red]export failed:[/] {mine['error']}", soft_wrap=True)
            return 1
        server.psql("checkpoint")
        size = int(server.psql("select pg_total_relation_size('linkindex.inbound_links')").strip())

        # baseline: the same table, types and indexes, from CSV through psql \copy
        columns = ", ".join(f'"{c.name}" {c.postgres}' for c in table.columns)
        server.psql(f"create table public.inbound_links ({columns})")
        started = time.perf_counter()
        server.psql(f"\\copy public.inbound_links from '{csv_path}' with (format csv, header)")
        copy_seconds = time.perf_counter() - started
        key = ", ".join(f'"{c}"' for c in table.key)
        statements = [f"alter table public.inbound_links add primary key ({key})"]
        statements += [f'create index on public.inbound_links ("{c}")' for c in table.lookups]
        server.psql("; ".join(statements))
        baseline_total = time.perf_counter() - started
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

    steps = mine["steps"]
    mine_load = steps.get("load", 0.0)
    mine_total = mine["seconds"]
    megabytes = csv_bytes / 1e6

    console.print(
        f"inbound_links: {args.rows:,} rows, {gigabytes(csv_bytes)} as CSV (written by DuckDB in {csv_seconds:.1f} s, "
        f"not counted), {gigabytes(size)} in PostgreSQL {version} with key and indexes; "
        f"{os.cpu_count()} cores, load average {load_before[0]:.2f} before, {load_after[0]:.2f} after",
        soft_wrap=True,
    )
    results = Table(title="into PostgreSQL, load and load + key + indexes")
    for name in ("loader", "load s", "rows/s", "MB/s", "total s", "rows/s (total)", "MB/s (total)", "peak memory"):
        results.add_column(name, justify="left" if name == "loader" else "right")
    results.add_row(
        "linkindex export (ADBC binary COPY)",
        f"{mine_load:.1f}",
        f"{args.rows / mine_load:,.0f}",
        f"{megabytes / mine_load:,.1f}",
        f"{mine_total:.1f}",
        f"{args.rows / mine_total:,.0f}",
        f"{megabytes / mine_total:,.1f}",
        gigabytes(mine["peak_rss"]),
    )
    results.add_row(
        "psql \\copy of a CSV",
        f"{copy_seconds:.1f}",
        f"{args.rows / copy_seconds:,.0f}",
        f"{megabytes / copy_seconds:,.1f}",
        f"{baseline_total:.1f}",
        f"{args.rows / baseline_total:,.0f}",
        f"{megabytes / baseline_total:,.1f}",
        "",
    )
    console.print(results)
    console.print(
        "linkindex steps: "
        + ", ".join(f"{step} {seconds:.1f} s" for step, seconds in steps.items())
        + "; total includes reading DuckDB and starting the process"
    )
    console.print(f"linkindex / psql \\copy, rows/s: load {copy_seconds / mine_load:.2f}, "
                  f"load + indexes {baseline_total / mine_total:.2f}")
    return 0

"""``linkindex export``: the index tables, and the records, into a warehouse (Parquet dataset or PostgreSQL)."""

import argparse
import time

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from linkindex.commands.common import EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, add_data, crawl_id, error, examples

HELP = "export the index tables (and the records) to a Parquet dataset or PostgreSQL"
DESCRIPTION = (
    "Export the index tables (all, or those named) and with --records the link and page records, "
    "to a Hive-partitioned Parquet dataset per table (a directory or an object-store URI such as "
    "s3://bucket/prefix) or into PostgreSQL (postgresql://user@host/db). Safe to re-run: each table, "
    "or each crawl of a partitioned one, is replaced as a whole. See docs/warehouse.md."
)
EXAMPLES = examples(
    "linkindex export --data idx --to warehouse/ --records",
    "linkindex export --data idx --to postgresql://me@db.example/links --tables inbound_links,referring_domains",
)
#: Without a terminal, a line per table at most this often while it exports.
REPORT_EVERY = 10.0


def table_names(value: str) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("name at least one table")
    return names


def megabytes(value: str) -> float:
    try:
        size = float(value)
    except ValueError:
        size = 0
    if not size > 0:
        raise argparse.ArgumentTypeError(f"{value!r}: a size in MiB, above 0")
    return size


def add_arguments(parser):
    from linkindex.export import MODES, RECORDS, TABLES
    from linkindex.postgres import DEFAULT_SCHEMA

    add_data(parser)
    parser.add_argument(
        "--to",
        required=True,
        metavar="DEST",
        help="a directory, an object-store URI (s3://bucket/prefix?region=..., gs://...), "
        "or a PostgreSQL URL (postgresql://user@host:5432/db; password from the URL, $PGPASSWORD or ~/.pgpass)",
    )
    parser.add_argument(
        "--tables",
        type=table_names,
        metavar="NAME,...",
        help=f"tables to export (default: all: {', '.join(TABLES)}); {' and '.join(RECORDS)} name the records",
    )
    parser.add_argument("--records", action="store_true", help=f"export the {' and '.join(RECORDS)} records too")
    parser.add_argument(
        "--crawl-id",
        dest="crawl_ids",
        type=crawl_id,
        nargs="+",
        action="extend",
        metavar="ID",
        help="only these crawls of the records and of per-crawl tables; the other crawls are left as they are",
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="replace",
        help="replace: each table becomes what the data holds now (default); append: each exported crawl "
        "replaces its earlier copy and other crawls stay (tables over all crawls are replaced whole)",
    )
    parser.add_argument(
        "--schema", default=DEFAULT_SCHEMA, help="PostgreSQL schema to write the tables into (default: %(default)s)"
    )
    parser.add_argument(
        "--file-size",
        type=megabytes,
        default=160,
        metavar="MIB",
        help="Parquet: close a file once it holds this many MiB (default: %(default)s)",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress display")


class Reporter:
    """Progress per table: a live display on a terminal, else a line now and then and one at the end."""

    def __init__(self, console: Console, live: bool, quiet: bool):
        self.console = console
        self.live = live and not quiet
        self.quiet = quiet
        self.progress = Progress(
            TextColumn("{task.description:<22}"),
            BarColumn(),
            TextColumn("{task.completed:>13,.0f} / {task.total:,.0f} rows"),
            TextColumn("{task.fields[rate]:>8,.1f} MB/s"),
            TimeElapsedColumn(),
            console=console,
            disable=not self.live,
        )
        self.task = None
        self.last_line = 0.0

    def __enter__(self):
        self.progress.__enter__()
        return self

    def __exit__(self, *exc):
        self.progress.__exit__(*exc)

    def start(self, table, rows: int) -> None:
        self.task = self.progress.add_task(table.name, total=max(rows, 1), rate=0.0)
        self.last_line = time.monotonic()

    def advance(self, result) -> None:
        if self.live:
            self.progress.update(self.task, completed=result.rows, rate=result.megabytes_per_second)
        elif not self.quiet and time.monotonic() - self.last_line >= REPORT_EVERY:
            self.last_line = time.monotonic()
            self.console.print(
                f"{result.name}: {result.rows:,} rows, {result.megabytes_per_second:,.1f} MB/s", highlight=False
            )

    def done(self, result) -> None:
        if self.task is not None and self.live and not result.error:
            self.progress.update(self.task, completed=max(result.rows, 1), total=max(result.rows, 1))
        self.task = None
        if result.error:
            self.console.print(f"[red]{result.name} failed:[/] {result.error}", soft_wrap=True, highlight=False)


def crawls(count: int) -> str:
    return "ok" if not count else "1 crawl" if count == 1 else f"{count} crawls"


def summary(console: Console, results, where: str) -> None:
    console.print(f"[bold]export → {where}[/]", highlight=False)
    table = Table()
    table.add_column("table")
    for name in ("rows", "MB", "seconds", "rows/s", "MB/s"):
        table.add_column(name, justify="right")
    table.add_column("result")
    for result in results:
        table.add_row(
            result.name,
            f"{result.rows:,}",
            f"{result.bytes / 1e6:,.1f}",
            f"{result.seconds:,.1f}",
            f"{result.rows_per_second:,.0f}",
            f"{result.megabytes_per_second:,.1f}",
            "[red]failed[/]" if result.error else crawls(result.partitions),
        )
    console.print(table)
    console.print("[dim]MB: the data as Arrow in memory, before compression[/]")


def run(args, console: Console) -> int:
    from linkindex.dataset import ParquetDataset
    from linkindex.export import RECORDS, TABLES, Export, ExportError, new_export_id
    from linkindex.postgres import PostgresDatabase, is_postgres_url, redacted

    names = list(args.tables or TABLES)
    if args.records:
        names += [name for name in RECORDS if name not in names]
    postgres = is_postgres_url(args.to)
    where = redacted(args.to) if postgres else args.to.split("?")[0]
    try:
        export = Export(args.data, names, args.crawl_ids, args.mode)
    except ExportError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    try:
        try:
            if postgres:
                destination = PostgresDatabase(args.to, args.schema)
            else:
                destination = ParquetDataset(args.to, new_export_id(), file_bytes=int(args.file_size * 2**20))
        except ExportError as exc:
            error(f"{exc}")
            return EXIT_USAGE
        try:
            reporter = Reporter(console, live=console.is_terminal, quiet=args.no_progress)
            with reporter:
                results = export.run(destination, reporter.start, reporter.advance, reporter.done)
        finally:
            destination.close()
    finally:
        export.close()
    summary(console, results, where)
    return EXIT_PARTIAL if any(r.error for r in results) else EXIT_OK

"""``linkindex build``: the DuckDB link index from the Parquet records."""

import os

from rich.console import Console
from rich.table import Table

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_data, error

HELP = "build the DuckDB link index from the Parquet records"


def add_arguments(parser):
    add_data(parser)


def run(args, console: Console) -> int:
    from linkindex.index import IndexBuildError, build

    try:
        counts = build(args.data)
    except IndexBuildError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    console.print(f"[bold]index → {os.path.join(args.data, 'index.duckdb')}[/]")
    table = Table()
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    return EXIT_OK

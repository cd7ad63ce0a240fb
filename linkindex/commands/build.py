"""``linkindex build``: the DuckDB link index from the Parquet records."""

import os

from rich.console import Console
from rich.table import Table

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_data, error

HELP = "build the DuckDB link index from the Parquet records"


def add_arguments(parser):
    add_data(parser)
    parser.add_argument(
        "-s",
        dest="settings",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a link-quality threshold (LINK_QUALITY_*, see docs/tables.md) for this build (repeatable)",
    )


def run(args, console: Console) -> int:
    from linkindex.index import IndexBuildError, build

    settings = {}
    for setting in args.settings:
        name, equals, value = setting.partition("=")
        if not equals or not name.strip():
            error(f"-s {setting}: write NAME=VALUE")
            return EXIT_USAGE
        settings[name.strip()] = value.strip()
    try:
        counts = build(args.data, settings)
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

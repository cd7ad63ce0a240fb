"""``linkindex build``: the DuckDB link index from the Parquet records."""

import os

from rich.console import Console
from rich.text import Text

from linkindex.commands.common import (
    EXIT_OK,
    EXIT_USAGE,
    add_data,
    command_line,
    error,
    examples,
    facts_table,
    interrupted,
)

HELP = "build the DuckDB link index from the Parquet records"
DESCRIPTION = """\
Build DIR/index.duckdb from the link and page records in --data: the views
over the records and one table per query in queries/ (see docs/tables.md).
The new index replaces the old one in one rename; readers never see half of
one."""
EXAMPLES = examples("linkindex build --data idx", "linkindex report example.com --data idx")


def add_arguments(parser):
    add_data(parser)


def run(args, console: Console) -> int:
    from linkindex.index import IndexBuildError, build

    try:
        counts = build(args.data)
    except IndexBuildError as exc:
        error(f"{exc}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        again = command_line("linkindex", "build", "--data", args.data)
        return interrupted(f"the index was not changed; run `{again}` again")
    console.print(Text(f"index → {os.path.join(args.data, 'index.duckdb')}", style="bold"), soft_wrap=True)
    table = facts_table(("table", "rows"))
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    return EXIT_OK

"""Reading the link index: ``query()`` runs SQL on a read-only connection and
writes the result as a table, CSV, JSON lines or Parquet.

The index itself is built by ``linkindex.build`` (records -> staging -> facts
-> tables); its names are re-exported here for the callers that read it.
"""

from contextlib import contextmanager
import csv
from datetime import datetime
from decimal import Decimal
import io
import json
import math
import os
from pathlib import Path
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table
from rich.text import Text

from linkindex.build import RECORD_GLOB, TABLES, BuildResult, build, record_files, table_sql  # noqa: F401
from linkindex.db import (  # noqa: F401 (re-exported for the callers that read the index)
    DUCKDB_CONFIG,
    INDEX_FILE,
    IndexBuildError,
    connect,
    first_steps,
    interruptible,
    open_index,
)
from linkindex.display import SHORTENED_NOTE, display_text, shorten  # noqa: F401 (display_text: for importers)

#: Rows a terminal shows of a result; the rest are counted, not shown (a file or a pipe gets them all).
MAX_TABLE_ROWS = 50
BATCH_ROWS = 10_000
#: Widest a column is padded to in a table written whole (longer values are not cut, only unaligned).
PLAIN_WIDTH = 60
FORMATS = ("table", "csv", "json", "parquet")


# -- query ------------------------------------------------------------------


def query(
    data_dir: str | Path,
    sql: str,
    params=None,
    fmt: str = "table",
    output: str | Path | None = None,
    *,
    console: Console | None = None,
    max_rows: int = MAX_TABLE_ROWS,
    vertical: bool = False,
    whole: bool | None = None,
) -> int:
    """Run ``sql`` (with bound ``params``) on the index and write the result; return its row count.

    ``sql`` may hold several statements: they run in order, and the result
    of the last is written. ``fmt``: ``table`` (aligned columns; with
    ``vertical``, one field per line), ``csv`` (header line, RFC 4180
    quoting, empty field for null), ``json`` (one object per line) or
    ``parquet``. The result goes to ``output`` when given (written to
    ``output.tmp``, then renamed), else to ``console`` (standard output);
    parquet needs ``output``.

    ``whole``: every row and every value in full. By default that is so
    unless the table goes to a terminal, which shows the first ``max_rows``
    rows, folds URLs over several lines and shortens other long text, saying
    so (see ``linkindex.display``). SQL errors are raised as ``duckdb.Error``.
    """
    if fmt not in FORMATS:
        raise IndexBuildError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "parquet" and output is None:
        raise IndexBuildError("parquet output needs a file: pass --output FILE")
    if not duckdb.extract_statements(sql):
        raise IndexBuildError(
            'empty query: give one or more SQL statements, e.g. "select * from domain_summary limit 10"'
        )
    console = console or Console()
    if whole is None:
        whole = output is not None or not console.is_terminal
    con = open_index(data_dir)
    try:
        with interruptible():
            return _run_query(con, sql, params, fmt, output, console, max_rows, vertical, whole)
    finally:
        con.close()


def _run_query(con, sql, params, fmt, output, console, max_rows, vertical, whole) -> int:
    """``query`` once the index is open."""
    relation = con.sql(sql, params=params)
    if relation is None:  # the last statement has no result (SET, PRAGMA...)
        return 0
    reader = relation.to_arrow_reader(BATCH_ROWS)
    if output is None:
        if fmt == "table":
            return _write_display(reader, console, whole, vertical, max_rows)
        return WRITERS[fmt](reader, sys.stdout)
    with _replacing(Path(output)) as tmp:
        if fmt == "parquet":
            return write_parquet(reader, tmp)
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            if fmt == "table":
                return (write_vertical if vertical else write_plain_table)(reader, out)
            return WRITERS[fmt](reader, out)


def _write_display(reader, console: Console, whole: bool, vertical: bool, max_rows: int) -> int:
    """The ``table`` format on standard output: for a terminal, or whole for a pipe."""
    if whole:
        return (write_vertical if vertical else write_plain_table)(reader, _ConsoleOut(console))
    if vertical:
        return write_vertical_terminal(reader, console, max_rows)
    return write_table(reader, console, max_rows)


@contextmanager
def _replacing(path: Path):
    """Yield a temporary path beside ``path``, renamed over it if the block succeeds."""
    tmp = path.with_name(f"{path.name}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _rows(batches):
    """The rows of Arrow record batches, as tuples of Python values."""
    for batch in batches:
        yield from zip(*(column.to_pylist() for column in batch.columns))


def _unique_names(names: list[str]) -> list[str]:
    """Column names made unique (``x``, ``x_1``), as JSON keys and Parquet columns must be."""
    seen: dict[str, int] = {}
    unique = []
    for name in names:
        while name in seen:
            seen[name] += 1
            name = f"{name}_{seen[name]}"
        seen[name] = 0
        unique.append(name)
    return unique


def _plain(value):
    """A JSON-ready value: timestamps as ISO 8601, decimals as numbers, bytes as hex."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, (str, int, bool)) or value is None:
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return str(value)


#: For commands that write JSON documents of their own.
plain = _plain


def _text(value) -> str:
    """A value as one CSV field or table cell."""
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _cell(value) -> tuple[Text, bool]:
    """A value as a terminal table cell, and whether it was shortened: floats to 6 digits, null dimmed,
    markup never interpreted, long text cut (never a URL)."""
    if value is None:
        return Text("null", style="dim"), False
    if isinstance(value, float):
        return Text(f"{value:.6g}"), False
    if isinstance(value, datetime):
        return Text(value.isoformat(sep=" ")), False
    text, cut = shorten(_text(value))
    return Text(text), cut


def _whole(value) -> str:
    """A value in full, on one line, for a table written to a file or a pipe."""
    if value is None:
        return "null"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    return display_text(_text(value))


def _numeric(field) -> bool:
    return pa.types.is_integer(field.type) or pa.types.is_floating(field.type) or pa.types.is_decimal(field.type)


def csv_chunks(reader: pa.RecordBatchReader):
    """The CSV text of ``reader`` as (text, rows in it): the header line, then each batch's rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(reader.schema.names)
    yield buffer.getvalue(), 0
    for batch in reader:
        buffer.seek(0)
        buffer.truncate()
        for row in _rows([batch]):
            writer.writerow([_text(v) for v in row])
        yield buffer.getvalue(), batch.num_rows


def write_csv(reader: pa.RecordBatchReader, out) -> int:
    count = 0
    for text, rows in csv_chunks(reader):
        out.write(text)
        count += rows
    return count


def write_json(reader: pa.RecordBatchReader, out) -> int:
    names = _unique_names(reader.schema.names)
    count = 0
    for row in _rows(reader):
        out.write(json.dumps(dict(zip(names, map(_plain, row))), ensure_ascii=False) + "\n")
        count += 1
    return count


def write_parquet(reader: pa.RecordBatchReader, path: Path) -> int:
    schema = reader.schema
    schema = pa.schema([f.with_name(n) for f, n in zip(schema, _unique_names(schema.names))])
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        for batch in reader:
            writer.write_batch(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
            count += batch.num_rows
    return count


def write_table(reader: pa.RecordBatchReader, console: Console, max_rows: int = MAX_TABLE_ROWS) -> int:
    """A table for a terminal: the first ``max_rows`` rows, URLs folded, other long text shortened (and said)."""
    table = Table(show_edge=False, header_style="bold")
    for field in reader.schema:
        table.add_column(field.name, justify="right" if _numeric(field) else "left", overflow="fold")
    count, shortened = 0, False
    for batch in reader:
        if count < max_rows:
            for row in _rows([batch.slice(0, max_rows - count)]):
                cells = [_cell(value) for value in row]
                shortened = shortened or any(cut for _, cut in cells)
                table.add_row(*(text for text, _ in cells))
        count += batch.num_rows
    console.print(table)
    _print_footer(console, count, max_rows, shortened)
    return count


def _print_footer(console: Console, count: int, max_rows: int, shortened: bool) -> None:
    rows = "1 row" if count == 1 else f"{count:,} rows"
    console.print(
        f"first {max_rows:,} of {rows} (--output FILE or a pipe gets them all)" if count > max_rows else rows,
        style="dim",
        highlight=False,
    )
    if shortened:
        console.print(SHORTENED_NOTE, style="dim", highlight=False)


class _ConsoleOut:
    """A console as a text file: written as it is, no markup, wrapping or cropping."""

    def __init__(self, console: Console):
        self.console = console

    def write(self, text: str) -> None:
        self.console.out(text, end="", highlight=False)


def write_vertical_terminal(reader: pa.RecordBatchReader, console: Console, max_rows: int = MAX_TABLE_ROWS) -> int:
    """One field per line for a terminal (as psql's \\x): every value whole, the first ``max_rows`` records."""
    names = reader.schema.names
    width = max((len(name) for name in names), default=0)
    count = 0
    for batch in reader:
        shown = max(0, min(batch.num_rows, max_rows - count))
        for offset, row in enumerate(_rows([batch.slice(0, shown)])):
            console.print(Text(f"-[ RECORD {count + offset + 1:,} ]" + "-" * max(0, width - 6), style="dim"))
            for name, value in zip(names, row):
                line = Text.assemble((name.ljust(width), "bold"), " | ")
                line.append_text(Text("null", style="dim") if value is None else Text(_whole(value)))
                console.print(line, soft_wrap=True)
        count += batch.num_rows
    _print_footer(console, count, max_rows, False)
    return count


def write_vertical(reader: pa.RecordBatchReader, out) -> int:
    """One field per line (as psql's \\x), every record and value whole, for a file or a pipe."""
    names = reader.schema.names
    width = max((len(name) for name in names), default=0)
    count = 0
    for batch in reader:
        lines = []
        for row in _rows([batch]):
            count += 1
            lines.append(f"-[ RECORD {count} ]" + "-" * max(0, width - 6))
            lines.extend(f"{name.ljust(width)} | {_whole(value)}" for name, value in zip(names, row))
        if lines:
            out.write("\n".join(lines) + "\n")
    return count


def write_plain_table(reader: pa.RecordBatchReader, out) -> int:
    """Aligned columns with every row and every value whole, for a file or a pipe.

    Column widths are measured on the first batch of rows (and at most
    ``PLAIN_WIDTH`` wide): a longer value later widens its own line, it is
    never cut.
    """
    fields = list(reader.schema)
    names = [field.name for field in fields]
    right = [_numeric(field) for field in fields]
    count = 0
    widths = None
    for batch in reader:
        rows = [[_whole(value) for value in row] for row in _rows([batch])]
        lines = []
        if widths is None:
            widths = [
                min(PLAIN_WIDTH, max([len(name)] + [len(row[i]) for row in rows])) for i, name in enumerate(names)
            ]
            lines.append(" | ".join(name.ljust(w) for name, w in zip(names, widths)).rstrip())
            lines.append("-+-".join("-" * w for w in widths))
        for row in rows:
            lines.append(" | ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(row, widths, right)).rstrip())
        out.write("\n".join(lines) + "\n")
        count += len(rows)
    if widths is None:  # no batch at all: the header alone
        out.write(" | ".join(names) + "\n")
    out.write(f"({count:,} {'row' if count == 1 else 'rows'})\n")
    return count


WRITERS = {"csv": write_csv, "json": write_json}

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
import re
import sys

import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table
from rich.text import Text

from linkindex.build import RECORD_GLOB, TABLES, BuildResult, build, record_files, table_sql  # noqa: F401
from linkindex.db import DUCKDB_CONFIG, INDEX_FILE, IndexBuildError, connect, open_index  # noqa: F401

#: Rows printed by the ``table`` format; the rest are counted, not shown.
MAX_TABLE_ROWS = 50
#: Characters shown of one table cell (csv, json and parquet keep everything).
MAX_CELL_CHARS = 500
BATCH_ROWS = 10_000
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
) -> int:
    """Run ``sql`` (with bound ``params``) on the index and write the result; return its row count.

    ``fmt``: ``table`` (a rich table, the first ``max_rows`` rows), ``csv``
    (header line, RFC 4180 quoting, empty field for null), ``json`` (one
    object per line) or ``parquet``. The result goes to ``output`` when given
    (written to ``output.tmp``, then renamed), else to the terminal;
    parquet needs ``output``. SQL errors are raised as ``duckdb.Error``.
    """
    if fmt not in FORMATS:
        raise IndexBuildError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    if fmt == "parquet" and output is None:
        raise IndexBuildError("parquet output needs a file: pass --output FILE")
    con = open_index(data_dir)
    try:
        relation = con.sql(sql, params=params)
        if relation is None:  # a statement without a result (SET, PRAGMA...)
            return 0
        reader = relation.to_arrow_reader(BATCH_ROWS)
        if output is None:
            if fmt == "table":
                return write_table(reader, console or Console(), max_rows)
            return WRITERS[fmt](reader, sys.stdout)
        with _replacing(Path(output)) as tmp:
            if fmt == "parquet":
                return write_parquet(reader, tmp)
            with open(tmp, "w", encoding="utf-8", newline="") as out:
                if fmt == "table":
                    return write_table(reader, Console(file=out, width=200, no_color=True), max_rows)
                return WRITERS[fmt](reader, out)
    finally:
        con.close()


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


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def display_text(value: str, limit: int | None = None) -> str:
    """Text from web pages made safe for a terminal: control characters (escape
    sequences that would recolour, retitle or write to the clipboard) removed,
    and clipped to ``limit`` characters."""
    value = _CONTROL.sub("", value.replace("\t", " ").replace("\n", " "))
    if limit is not None and len(value) > limit:
        value = value[: limit - 1] + "…"
    return value


def _cell(value) -> Text:
    """A value as a table cell: floats shortened, null dimmed, markup never interpreted."""
    if value is None:
        return Text("null", style="dim")
    if isinstance(value, float):
        return Text(f"{value:.6g}")
    if isinstance(value, datetime):
        return Text(value.isoformat(sep=" "))
    return Text(display_text(_text(value), MAX_CELL_CHARS))


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
    table = Table(show_edge=False, header_style="bold")
    for field in reader.schema:
        numeric = (
            pa.types.is_integer(field.type)
            or pa.types.is_floating(field.type)
            or pa.types.is_decimal(field.type)
        )
        table.add_column(
            field.name, justify="right" if numeric else "left", overflow="ellipsis", max_width=80
        )
    count = 0
    for batch in reader:
        if count < max_rows:
            for row in _rows([batch.slice(0, max_rows - count)]):
                table.add_row(*map(_cell, row))
        count += batch.num_rows
    rows = "1 row" if count == 1 else f"{count:,} rows"
    console.print(table)
    console.print(f"first {max_rows:,} of {rows}" if count > max_rows else rows, style="dim")
    return count


WRITERS = {"csv": write_csv, "json": write_json}

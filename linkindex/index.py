"""The DuckDB link index: Parquet records -> views -> one table per ``queries/*.sql``.

A data directory is the unit a user works with::

    DIR/links/crawl_id=<id>/part-*.parquet    link records (LINKS_SCHEMA)
    DIR/pages/crawl_id=<id>/part-*.parquet    page records (PAGES_SCHEMA)
    DIR/index.duckdb                          views over the records, and the tables

``build()`` creates the views and runs the table queries in ``TABLES`` order
into ``index.duckdb.tmp``, then renames it over ``index.duckdb``: a reader
sees the old index or the new one, never half of one. ``query()`` runs SQL
on a read-only connection and writes the result as a table, CSV, JSON lines
or Parquet.

Views (all read the Parquet files at query time, by absolute path):

``links_all``, ``pages_all``
    every record as written, including pages fetched twice in one crawl.
``pages``
    one fetch per (crawl_id, url): the latest fetched_at (a tie goes to the
    smallest row, compared column by column).
``links``
    only the links of those kept fetches: a semi-join of ``links_all`` on
    (crawl_id, src_url, fetched_at). Links whose page record is missing are
    dropped too: every writer writes a page record for each fetch.
"""

from contextlib import contextmanager
import csv
from datetime import datetime
from decimal import Decimal
from importlib import resources
import io
import json
import math
import os
from pathlib import Path
import re
import sys

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from rich.console import Console
from rich.table import Table
from rich.text import Text

from linkindex.schema import SCHEMA_VERSION, SCHEMA_VERSION_KEY

INDEX_FILE = "index.duckdb"
#: The record files of a table; skips the hidden ``.part-*.parquet.tmp`` being written.
RECORD_GLOB = "*/part-*.parquet"
#: Tables in build order: each may read the views and the tables before it.
TABLES = (
    "page_status",
    "referring_domains",
    "anchor_distribution",
    "inbound_links",
    "target_pages",
    "link_breakdown",
    "domain_summary",
)
VIEWS = ("links_all", "links", "pages_all", "pages")
#: DuckDB would otherwise try to download extensions, and hang offline.
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
FORMATS = ("table", "csv", "json", "parquet")
#: Rows printed by the ``table`` format; the rest are counted, not shown.
MAX_TABLE_ROWS = 50
#: Characters shown of one table cell (csv, json and parquet keep everything).
MAX_CELL_CHARS = 500
BATCH_ROWS = 10_000

VIEWS_SQL = """
create or replace view _links_files as
select *, parse_filename(filename) as part
from read_parquet({links}, hive_partitioning = false, union_by_name = true, filename = true);

create or replace view _pages_files as
select *, parse_filename(filename) as part
from read_parquet({pages}, hive_partitioning = false, union_by_name = true, filename = true);

create or replace view links_all as select * exclude (filename, part) from _links_files;

create or replace view pages_all as select * exclude (filename, part) from _pages_files;

-- The latest fetch of each page, whatever it gave (for its status).
create or replace view pages as
select * from pages_all as record
qualify row_number() over (partition by crawl_id, url order by fetched_at desc, record) = 1;

-- The links of one fetch per page: the latest that had a body to read (a
-- WARC revisit or a failed re-fetch does not hide the links seen before),
-- in one part only (the same fetch extracted twice, from two copies of a
-- WARC file, is counted once). A page's row and its links are always in
-- parts of the same name.
create or replace view links as
select * exclude (filename, part) from _links_files
semi join (
    select crawl_id, url, fetched_at, part
    from _pages_files
    qualify row_number() over (
        partition by crawl_id, url
        order by coalesce(error, '') not in ('revisit', 'dns', 'timeout', 'connection', 'download_error') desc,
            fetched_at desc, part
    ) = 1
) as kept
    on _links_files.crawl_id = kept.crawl_id
    and _links_files.src_url = kept.url
    and _links_files.fetched_at = kept.fetched_at
    and _links_files.part = kept.part;
"""


class IndexBuildError(Exception):
    """The index cannot be built or read as asked; the message says how to fix it."""


def table_sql(name: str) -> str:
    """The query of one table, as shipped in ``queries/<name>.sql``."""
    return resources.files("queries").joinpath(f"{name}.sql").read_text(encoding="utf-8")


def record_files(data_dir: str | Path, table: str) -> list[Path]:
    """The complete Parquet files of ``table`` (``links`` or ``pages``), sorted."""
    return sorted((Path(data_dir) / table).glob(RECORD_GLOB))


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never downloads extensions and speaks UTC."""
    config = dict(DUCKDB_CONFIG)
    if read_only:
        # By default DuckDB spills to '<database>.tmp', the name build() writes to.
        config["temp_directory"] = f"{path}.spill"
    con = duckdb.connect(str(path), read_only=read_only, config=config)
    con.execute("set TimeZone = 'UTC'")
    return con


def open_index(data_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to ``DIR/index.duckdb``."""
    path = Path(data_dir) / INDEX_FILE
    if not path.is_file():
        raise IndexBuildError(f"no index at {path}: run `linkindex build --data {data_dir}` first")
    return connect(path, read_only=True)


def _source(data_dir: Path, table: str, files: list[Path]) -> str | list[str]:
    """What read_parquet() reads for a table: the glob, or the file list if the path has glob characters.

    A glob lets a view see files written after the build.
    """
    directory = str(data_dir / table)
    if any(c in directory for c in "*?[]{}"):
        return [str(f) for f in files]
    return f"{directory}/{RECORD_GLOB}"


def _sql_literal(source: str | list[str]) -> str:
    """A string or list of strings as SQL text: a view cannot hold bound parameters."""
    if isinstance(source, list):
        return "[" + ", ".join(map(_sql_literal, source)) + "]"
    return "'" + source.replace("'", "''") + "'"


def _check_schema_version(con, source: str | list[str]) -> None:
    major = SCHEMA_VERSION.split(".")[0]
    rows = con.execute(
        "select file_name, decode(value) from parquet_kv_metadata($source) where key = $key",
        {"source": source, "key": SCHEMA_VERSION_KEY},
    ).fetchall()
    for file_name, version in rows:
        if version.split(".")[0] != major:
            raise IndexBuildError(
                f"{file_name} was written with record schema {version}, this linkindex reads "
                f"{SCHEMA_VERSION}: rewrite the records with this version, or use a linkindex that reads {version}"
            )


def _remove_database(path: Path) -> None:
    for file in (path, Path(f"{path}.wal")):
        file.unlink(missing_ok=True)


def _clear_stale(path: Path) -> None:
    """Remove what a crashed build left at ``path``, unless a running build holds it."""
    if path.exists():
        try:
            duckdb.connect(str(path), config=DUCKDB_CONFIG).close()
        except duckdb.IOException as exc:
            if "lock" in str(exc).lower():
                raise IndexBuildError(f"another build is writing {path}: wait for it to finish") from exc
        except duckdb.Error:
            pass  # a torn file: removed below
    _remove_database(path)


def _create(con: duckdb.DuckDBPyConnection, sources: dict) -> dict[str, int]:
    """Create the views and tables on ``con``; return their row counts."""
    for source in sources.values():
        _check_schema_version(con, source)
    con.execute(VIEWS_SQL.format(**{table: _sql_literal(source) for table, source in sources.items()}))
    counts = {}
    for name in VIEWS + TABLES:
        if name in TABLES:
            con.execute(f"create or replace table {name} as\n{table_sql(name)}")
        counts[name] = con.execute(f"select count(*) from {name}").fetchall()[0][0]
    con.execute("checkpoint")
    return counts


def build(data_dir: str | Path) -> dict[str, int]:
    """Build ``DIR/index.duckdb`` from the Parquet records; return the row count of each view and table."""
    if "://" in str(data_dir) and not str(data_dir).startswith("file://"):
        # DuckDB reads object stores only through its httpfs extension,
        # which is not built in (and is not downloaded at run time).
        raise IndexBuildError(
            f"build reads a local or mounted directory, not {str(data_dir).split('?')[0]}: copy the "
            "links/ and pages/ prefixes down (e.g. `aws s3 sync`) or mount the bucket, then build there"
        )
    data_dir = Path(str(data_dir).removeprefix("file://")).absolute()
    sources = {}
    for table in ("links", "pages"):
        files = record_files(data_dir, table)
        if not files:
            raise IndexBuildError(
                f"no {table[:-1]} records under {data_dir / table}: run `linkindex extract` or `linkindex crawl` first"
            )
        sources[table] = _source(data_dir, table, files)

    final = data_dir / INDEX_FILE
    tmp = data_dir / f"{INDEX_FILE}.tmp"
    _clear_stale(tmp)
    built = False
    try:
        with connect(tmp) as con:
            counts = _create(con, sources)
        built = True
    except duckdb.Error as exc:
        raise IndexBuildError(f"building the index of {data_dir} failed: {exc}") from exc
    finally:
        if not built:
            _remove_database(tmp)
    # A log left by a crash of a writer of the old index would be replayed on the new one.
    Path(f"{final}.wal").unlink(missing_ok=True)
    os.replace(tmp, final)
    return counts


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

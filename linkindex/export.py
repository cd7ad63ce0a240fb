"""Export the index tables and the records to a warehouse: a Parquet dataset or PostgreSQL.

What is exported is described, not listed here: the index tables are the
ones ``linkindex.index.TABLES`` names, each described by its model header
(``linkindex.models.model(name)``: title, grain, key, columns with types and
descriptions); the records (``links`` and ``pages``) by their Arrow schema
(``linkindex.schema``). A table whose key holds ``crawl_id`` among other
columns (many rows per crawl), and the records, are partitioned by crawl; the
others, ``crawls`` (one row per crawl) among them, are exported whole.

Data streams as Arrow record batches, from a read-only DuckDB connection to
``DIR/index.duckdb`` (tables) or from the Parquet record files (records),
cast on the way to the types of ``COLUMN_TYPES``, so memory stays flat
whatever the size. Two destinations take the batches:

- a directory or an object-store URI: ``linkindex.dataset`` writes one Hive-partitioned
  Parquet dataset per table and swaps it in (or swaps in the crawls it replaces);
- ``postgresql://``: ``linkindex.postgres`` loads a staging table and swaps it in
  within one transaction (or replaces the crawls it exports, in one transaction).

Modes: ``replace`` (the default) makes each exported table exactly what the
data holds now; with ``crawl_ids``, a partitioned table gets those crawls
replaced and keeps the others. ``append`` never removes a crawl that is not
exported: each exported crawl replaces its earlier copy, so running it twice
changes nothing. Tables that are not partitioned sum up all crawls and are
always replaced whole.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
import json
from pathlib import Path
import re
import secrets
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from linkindex import __version__
from linkindex.index import INDEX_FILE, TABLES, IndexBuildError, open_index, record_files
from linkindex.models import Model, ModelError, model
from linkindex.schema import SCHEMA_VERSION, SCHEMA_VERSION_KEY, SCHEMAS

#: The record tables, exported with ``--records``.
RECORDS = ("links", "pages")
#: The column that partitions per-crawl tables and the records (Hive style: ``crawl_id=<id>/``).
CRAWL_COLUMN = "crawl_id"
MODES = ("replace", "append")
#: DuckDB's memory while it reads the tables: they are scanned once, in batches.
DUCKDB_MEMORY = "256MB"
#: Rows per Arrow batch read from DuckDB or the record files: a few MB, so memory stays flat.
BATCH_ROWS = 65_536


class ExportError(Exception):
    """The export cannot start as asked (bad arguments, no index, unreachable destination); the message says why."""


class TableExportError(Exception):
    """One table could not be exported; the others go on."""


# -- types ---------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnType:
    arrow: pa.DataType  # in Parquet files and on the wire to PostgreSQL
    postgres: str


#: Header type (as ``queries/*.sql`` headers write it, DuckDB's names) -> Arrow and PostgreSQL types.
#: The one place types are mapped. Every engine reads these Arrow types from Parquet: no unsigned
#: integers (widened to the next signed type), timestamps in microseconds (UTC for timestamptz),
#: strings UTF-8. ``T[]`` is a list of ``T`` (PostgreSQL array).
COLUMN_TYPES = {
    "varchar": ColumnType(pa.string(), "text"),
    "boolean": ColumnType(pa.bool_(), "boolean"),
    "smallint": ColumnType(pa.int16(), "smallint"),
    "integer": ColumnType(pa.int32(), "integer"),
    "bigint": ColumnType(pa.int64(), "bigint"),
    "double": ColumnType(pa.float64(), "double precision"),
    "float": ColumnType(pa.float32(), "real"),
    "timestamptz": ColumnType(pa.timestamp("us", tz="UTC"), "timestamptz"),
    "timestamp": ColumnType(pa.timestamp("us"), "timestamp"),
    "date": ColumnType(pa.date32(), "date"),
    "blob": ColumnType(pa.binary(), "bytea"),
    "tinyint": ColumnType(pa.int16(), "smallint"),
    "utinyint": ColumnType(pa.int16(), "smallint"),
    "usmallint": ColumnType(pa.int32(), "integer"),
    "uinteger": ColumnType(pa.int64(), "bigint"),
    "ubigint": ColumnType(pa.decimal128(20, 0), "numeric(20, 0)"),
    "hugeint": ColumnType(pa.decimal128(38, 0), "numeric(38, 0)"),
}
#: Other spellings DuckDB accepts for the same types.
TYPE_ALIASES = {
    "text": "varchar",
    "string": "varchar",
    "bool": "boolean",
    "int2": "smallint",
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "long": "bigint",
    "float8": "double",
    "real": "float",
    "float4": "float",
    "bytea": "blob",
    "int1": "tinyint",
}
_DECIMAL = re.compile(r"(?:decimal|numeric)\((\d+),\s*(\d+)\)")


def column_type(header_type: str) -> ColumnType:
    """The Arrow and PostgreSQL types of a header type (``varchar``, ``bigint``, ``varchar[]``, ``decimal(18,3)``)."""
    name = header_type.strip().lower()
    if name.endswith("[]"):
        element = column_type(name[:-2])
        return ColumnType(pa.list_(element.arrow), f"{element.postgres}[]")
    decimal = _DECIMAL.fullmatch(name)
    if decimal:
        precision, scale = map(int, decimal.groups())
        return ColumnType(pa.decimal128(precision, scale), f"numeric({precision}, {scale})")
    name = TYPE_ALIASES.get(name, name)
    if name not in COLUMN_TYPES:
        raise TableExportError(
            f"column type {header_type!r} has no warehouse mapping: use one of {', '.join(COLUMN_TYPES)} "
            "(or a list of one, T[]) in the model header"
        )
    return COLUMN_TYPES[name]


def header_type(arrow_type: pa.DataType) -> str:
    """The header type of an Arrow type of the record schema (the inverse of ``column_type``)."""
    if pa.types.is_list(arrow_type):
        return header_type(arrow_type.value_type) + "[]"
    for name, mapped in COLUMN_TYPES.items():
        if mapped.arrow == arrow_type:
            return name
    raise TableExportError(f"Arrow type {arrow_type} has no warehouse mapping")


# -- what a table is -----------------------------------------------------------


@dataclass(frozen=True)
class ExportColumn:
    name: str
    type: str  # as the header writes it
    description: str
    arrow: pa.DataType
    postgres: str
    nullable: bool = True


@dataclass(frozen=True)
class ExportTable:
    """One exportable table: an index table (from its model header) or a record table (from its schema)."""

    name: str
    source: str  # "index" or "records"
    title: str
    grain: str
    key: tuple[str, ...]  # empty for the records, which have none
    columns: tuple[ExportColumn, ...]
    partition: str | None  # the Hive partition column, or None for a table exported whole

    @property
    def column_names(self) -> list[str]:
        return [column.name for column in self.columns]

    @property
    def lookups(self) -> tuple[str, ...]:
        """Columns PostgreSQL indexes besides the key: the partition column (a crawl is deleted and
        added by it), and in index tables the registered-domain columns (reports look tables up by
        domain); those the key leads with are covered by the key already."""
        leading = self.key[:1]
        wanted = [self.partition] if self.partition and self.partition not in leading else []
        if self.source == "index":
            wanted += [c.name for c in self.columns if c.name.endswith("_domain") and c.name not in leading]
        return tuple(wanted)

    def metadata(self) -> dict[bytes, bytes]:
        return {
            b"linkindex.table": self.name.encode(),
            SCHEMA_VERSION_KEY: SCHEMA_VERSION.encode(),
            b"linkindex.key": ",".join(self.key).encode(),
        }

    @property
    def schema(self) -> pa.Schema:
        """Every column, as sent to PostgreSQL; each field carries its description."""
        fields = [
            pa.field(c.name, c.arrow, nullable=True, metadata={"description": c.description} if c.description else None)
            for c in self.columns
        ]
        return pa.schema(fields, metadata=self.metadata())

    @property
    def file_schema(self) -> pa.Schema:
        """The columns in the Parquet files: all but the partition column, which the directory names."""
        schema = self.schema
        return schema.remove(schema.get_field_index(self.partition)) if self.partition else schema

    def describe(self) -> dict:
        """What ``_schema.json`` says of the table (the export adds when and which export)."""
        return {
            "table": self.name,
            "source": "index table (queries/%s.sql)" % self.name if self.source == "index" else "records",
            "title": self.title,
            "grain": self.grain,
            "key": list(self.key),
            "partitioning": {"style": "hive", "columns": [self.partition]} if self.partition else None,
            "schema_version": SCHEMA_VERSION,
            "linkindex_version": __version__,
            "files": {"format": "parquet", "compression": "zstd", "timestamps": "microseconds, UTC"},
            "columns": [
                {
                    "name": c.name,
                    "type": c.type,
                    "arrow_type": str(c.arrow),
                    "postgres_type": c.postgres,
                    "description": c.description,
                    **({"partition": True} if c.name == self.partition else {}),
                }
                for c in self.columns
            ],
        }


def index_table(name: str) -> ExportTable:
    """An index table as its model header (``queries/<name>.sql``) describes it."""
    try:
        return table_from_model(model(name))
    except ModelError as exc:
        raise TableExportError(str(exc)) from exc


def table_from_model(described: Model) -> ExportTable:
    columns = []
    for column in described.columns:
        mapped = column_type(column.type)
        nullable = column.name not in described.key
        columns.append(
            ExportColumn(column.name, column.type, column.description, mapped.arrow, mapped.postgres, nullable)
        )
    return ExportTable(
        name=described.name,
        source="index",
        title=described.title,
        grain=described.grain,
        key=described.key,
        columns=tuple(columns),
        partition=CRAWL_COLUMN if CRAWL_COLUMN in described.key and len(described.key) > 1 else None,
    )


_RECORD_GRAINS = {
    "links": "one row per hyperlink found on a fetched page, in document order, duplicates kept",
    "pages": "one row per fetch of a URL, whatever its status or type",
}


def records_table(name: str) -> ExportTable:
    """A record table as ``linkindex.schema`` defines it (documented field by field in docs/schema.md)."""
    columns = tuple(
        ExportColumn(f.name, header_type(f.type), "", f.type, column_type(header_type(f.type)).postgres, f.nullable)
        for f in SCHEMAS[name]
    )
    return ExportTable(
        name=name,
        source="records",
        title=f"the {name} records as written by extract and crawl (docs/schema.md)",
        grain=_RECORD_GRAINS[name],
        key=(),
        columns=columns,
        partition=CRAWL_COLUMN,
    )


def export_table(name: str) -> ExportTable:
    return records_table(name) if name in RECORDS else index_table(name)


# -- where the rows come from -----------------------------------------------------


class IndexSource:
    """The index tables, read through a read-only DuckDB connection to ``DIR/index.duckdb``."""

    def __init__(self, data_dir: str | Path):
        try:
            self.con = open_index(data_dir)
        except IndexBuildError as exc:
            raise ExportError(str(exc)) from exc
        except Exception as exc:  # duckdb.Error: a torn or foreign file
            raise ExportError(f"cannot open {Path(data_dir) / INDEX_FILE}: {exc}") from exc
        self.path = Path(data_dir) / INDEX_FILE
        # Scans need little memory; without a limit DuckDB keeps every block it read, up to most of the RAM.
        self.con.execute(f"set memory_limit = '{DUCKDB_MEMORY}'")
        # Tables, and the models materialized as views (computed as they are read).
        self.tables = {
            name
            for (name,) in self.con.sql(
                "select table_name from duckdb_tables() union all select view_name from duckdb_views() where not internal"
            ).fetchall()
        }

    def _check(self, table: ExportTable) -> None:
        if table.name not in self.tables:
            raise TableExportError(
                f"no table {table.name} in {self.path}: build the index again with this linkindex (`linkindex build`)"
            )

    def crawls(self, table: ExportTable) -> list[str]:
        self._check(table)
        rows = self.con.sql(f"select distinct {_duck_ident(table.partition)} from {_duck_ident(table.name)}").fetchall()
        return sorted(value for (value,) in rows if value is not None)

    def _where(self, table: ExportTable, crawl: str | None) -> tuple[str, dict]:
        if crawl is None:
            return "", {}
        return f" where {_duck_ident(table.partition)} = $crawl", {"crawl": crawl}

    def count(self, table: ExportTable, crawl: str | None = None) -> int:
        self._check(table)
        where, params = self._where(table, crawl)
        return self.con.sql(f"select count(*) from {_duck_ident(table.name)}{where}", params=params).fetchall()[0][0]

    def reader(self, table: ExportTable, crawl: str | None = None) -> pa.RecordBatchReader:
        self._check(table)
        where, params = self._where(table, crawl)
        columns = ", ".join(map(_duck_ident, table.column_names))
        try:
            relation = self.con.sql(f"select {columns} from {_duck_ident(table.name)}{where}", params=params)
        except Exception as exc:
            raise TableExportError(f"reading {table.name} from {self.path}: {exc}") from exc
        return relation.to_arrow_reader(BATCH_ROWS)

    def close(self) -> None:
        self.con.close()


def _duck_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class RecordSource:
    """The Parquet record files under ``DIR/links`` and ``DIR/pages``, one crawl directory at a time."""

    def __init__(self, data_dir: str | Path):
        self.data_dir = Path(data_dir)

    def _files(self, table: ExportTable) -> dict[str, list[Path]]:
        by_crawl: dict[str, list[Path]] = {}
        for path in record_files(self.data_dir, table.name):
            directory = path.parent.name
            if directory.startswith(f"{CRAWL_COLUMN}="):
                by_crawl.setdefault(directory.split("=", 1)[1], []).append(path)
        return by_crawl

    def crawls(self, table: ExportTable) -> list[str]:
        return sorted(self._files(table))

    def _checked(self, table: ExportTable, crawl: str | None) -> tuple[list[Path], int]:
        """The crawl's files (every crawl's when None) and their rows; refuses files of another major version."""
        files_by_crawl = self._files(table)
        files = files_by_crawl.get(crawl, []) if crawl is not None else sum(files_by_crawl.values(), [])
        major = SCHEMA_VERSION.split(".")[0]
        rows = 0
        for path in files:
            try:
                metadata = pq.read_metadata(path)
            except (OSError, pa.ArrowException) as exc:
                raise TableExportError(f"cannot read {path}: {exc}") from exc
            version = (metadata.metadata or {}).get(SCHEMA_VERSION_KEY, b"").decode() or "unknown"
            if version.split(".")[0] != major:
                raise TableExportError(
                    f"{path} was written with record schema {version}, this linkindex exports {SCHEMA_VERSION}"
                )
            rows += metadata.num_rows
        return files, rows

    def count(self, table: ExportTable, crawl: str | None = None) -> int:
        return self._checked(table, crawl)[1]

    def reader(self, table: ExportTable, crawl: str | None = None) -> pa.RecordBatchReader:
        files, _ = self._checked(table, crawl)
        schema = SCHEMAS[table.name]
        if not files:
            return pa.RecordBatchReader.from_batches(schema, iter(()))
        dataset = ds.dataset([str(f) for f in files], schema=schema, format="parquet")
        # The column and the directory always agree (docs/schema.md); the filter makes sure of it.
        condition = pc.field(CRAWL_COLUMN) == crawl if crawl is not None else None
        return dataset.scanner(columns=table.column_names, filter=condition, batch_size=BATCH_ROWS).to_reader()


# -- progress ----------------------------------------------------------------------


@dataclass
class TableResult:
    name: str
    rows: int = 0
    bytes: int = 0  # Arrow bytes streamed (the data's size in memory, before compression)
    seconds: float = 0.0
    partitions: int = 0
    error: str | None = None

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else 0.0

    @property
    def megabytes_per_second(self) -> float:
        return self.bytes / 1e6 / self.seconds if self.seconds > 0 else 0.0


class Meter:
    """Counts the rows and bytes of one table as they stream, and reports them to ``on_progress``."""

    def __init__(self, result: TableResult, on_progress: Callable[[TableResult], None] | None):
        self.result = result
        self.on_progress = on_progress
        self.started = time.perf_counter()

    def count(self, batch: pa.RecordBatch) -> None:
        self.result.rows += batch.num_rows
        self.result.bytes += batch.nbytes
        self.result.seconds = time.perf_counter() - self.started
        if self.on_progress:
            self.on_progress(self.result)


def metered(open_reader: Callable[[], pa.RecordBatchReader], schema: pa.Schema, meter: Meter) -> pa.RecordBatchReader:
    """The batches of ``open_reader()`` cast to ``schema`` (the export's types), counting what passes.

    The source is opened at the first batch and closed after the last, or when
    the reader is dropped: a DuckDB connection holds one open result at a time.
    """
    plain = pa.schema([f.remove_metadata() for f in schema])

    def batches() -> Iterator[pa.RecordBatch]:
        reader = open_reader()
        try:
            for batch in reader:
                if not batch.schema.equals(plain):
                    batch = batch.cast(plain)
                meter.count(batch)
                yield pa.RecordBatch.from_arrays(batch.columns, schema=schema)
        finally:
            reader.close()

    return pa.RecordBatchReader.from_batches(schema, batches())


# -- the export --------------------------------------------------------------------


@dataclass
class Part:
    """One slice of a table to write: the rows of one crawl, or all rows when ``crawl`` is None."""

    crawl: str | None
    open: Callable[[], pa.RecordBatchReader]
    rows: int


@dataclass
class Plan:
    table: ExportTable
    parts: list[Part]
    whole: bool  # the parts are the whole table: crawls not among them are removed
    total_rows: int = 0


def new_export_id() -> str:
    """A name for one export run, sortable by time and unique: it names the files the run writes."""
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(3)


class Export:
    """One export run: which tables, from which data directory, how. Refuses bad arguments up front."""

    def __init__(
        self, data_dir: str | Path, names: list[str], crawl_ids: list[str] | None = None, mode: str = "replace"
    ):
        if mode not in MODES:
            raise ExportError(f"unknown mode {mode!r}: use one of {', '.join(MODES)}")
        known = list(TABLES) + list(RECORDS)
        unknown = [n for n in names if n not in known]
        if unknown:
            raise ExportError(f"no table {', '.join(unknown)}: the tables are {', '.join(known)}")
        if not names:
            raise ExportError("nothing to export: name tables with --tables, or add --records")
        self.data_dir = Path(data_dir)
        self.names = list(dict.fromkeys(names))
        self.crawl_ids = list(dict.fromkeys(crawl_ids or []))
        self.mode = mode
        self.records = RecordSource(self.data_dir)
        self.index = None
        if any(n not in RECORDS for n in self.names):
            self.index = IndexSource(self.data_dir)
        elif not self.data_dir.is_dir():
            raise ExportError(f"no data directory {self.data_dir}")
        #: name -> the table, or why it cannot be described (it fails; the others go on)
        self.tables: dict[str, ExportTable | str] = {}
        for name in self.names:
            try:
                self.tables[name] = export_table(name)
            except TableExportError as exc:
                self.tables[name] = str(exc)
        self._check_crawls()

    def source(self, table: ExportTable):
        return self.records if table.source == "records" else self.index

    def _check_crawls(self) -> None:
        """Refuse crawl ids that nothing exported holds: replacing a crawl by nothing is likely a typo."""
        if not self.crawl_ids:
            return
        partitioned = [t for t in self.tables.values() if isinstance(t, ExportTable) and t.partition]
        if not partitioned:
            raise ExportError("--crawl-id applies to the records (--records) and to per-crawl tables; none is exported")
        known: set[str] = set()
        for table in partitioned:
            try:
                known.update(self.source(table).crawls(table))
            except Exception:
                continue  # the table fails later, with its own message
        missing = [c for c in self.crawl_ids if c not in known]
        if missing:
            raise ExportError(
                f"no crawl {', '.join(missing)} in {self.data_dir}: the crawls are {', '.join(sorted(known)) or 'none'}"
            )

    def plan(self, table: ExportTable) -> Plan:
        source = self.source(table)
        if table.partition is None:
            parts = [Part(None, lambda: source.reader(table), source.count(table))]
            return Plan(table, parts, whole=True, total_rows=parts[0].rows)
        crawls = self.crawl_ids or source.crawls(table)
        parts = [Part(c, (lambda c=c: source.reader(table, c)), source.count(table, c)) for c in crawls]
        whole = self.mode == "replace" and not self.crawl_ids
        return Plan(table, parts, whole=whole, total_rows=sum(p.rows for p in parts))

    def run(self, destination, on_start=None, on_progress=None, on_done=None) -> list[TableResult]:
        """Export every table to ``destination``; a table that fails is reported and the others go on."""
        results = []
        for name, table in self.tables.items():
            result = TableResult(name)
            if isinstance(table, str):
                result.error = table
            else:
                try:
                    self._export(table, destination, result, on_start, on_progress)
                except TableExportError as exc:
                    result.error = str(exc)
                except Exception as exc:  # one table's failure (DuckDB, Arrow, IO, SQL) must not stop the others
                    result.error = f"{type(exc).__name__}: {_one_line(str(exc))}"
            results.append(result)
            if on_done:
                on_done(result)
        return results

    def _export(self, table: ExportTable, destination, result: TableResult, on_start, on_progress) -> None:
        plan = self.plan(table)
        if on_start:
            on_start(table, plan.total_rows)
        meter = Meter(result, on_progress)
        parts = [Part(p.crawl, (lambda p=p: metered(p.open, table.schema, meter)), p.rows) for p in plan.parts]
        destination.write(table, parts, plan.whole)
        result.seconds = time.perf_counter() - meter.started
        result.partitions = len(parts) if table.partition else 0

    def close(self) -> None:
        if self.index is not None:
            self.index.close()


def _one_line(text: str) -> str:
    return " ".join(text.split())


def json_text(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"

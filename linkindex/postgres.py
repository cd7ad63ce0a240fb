"""Export into PostgreSQL: bulk loads over binary COPY (ADBC's PostgreSQL driver), swapped in by transactions.

Each table is created with the types of ``linkindex.export.COLUMN_TYPES``,
the primary key its header states, an index on each lookup column
(``ExportTable.lookups``) and the header's descriptions as comments, in the
schema given (``linkindex`` by default). Rows stream from Arrow record
batches into ``COPY ... FROM STDIN (FORMAT binary)`` through ``adbc_ingest``:
never row by row, and memory stays flat whatever the table's size.

One transaction per table, so a reader sees the old table or the new one and
a run killed half-way leaves the previous tables as they were:

- a table exported whole goes into a staging table (``_linkindex_new_<table>``),
  which gets its key and indexes once loaded (one sort, not one insert at a
  time), then replaces the table: drop, rename, commit;
- a table exported for some crawls only (``--crawl-id``, or ``--mode append``)
  has those crawls' rows deleted and the new ones copied in, so exporting a
  crawl twice replaces it and never doubles it.

An advisory lock per table makes two exports into the same schema take turns.
Credentials come from the URL, the ``PG*`` environment variables or
``~/.pgpass`` (libpq reads them); they are never printed.
"""

import os
import time
from urllib.parse import urlsplit, urlunsplit

from linkindex.export import ExportError, ExportTable, Part, TableExportError

DEFAULT_SCHEMA = "linkindex"
STAGING_PREFIX = "_linkindex_new_"


def is_postgres_url(dest: str) -> bool:
    return dest.startswith(("postgresql://", "postgres://"))


def redacted(url: str) -> str:
    """The URL without its password (and without query options, which may hold one)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    if parts.username:
        host = f"{parts.username}@{host}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def quote_ident(name: str) -> str:
    """An SQL identifier, quoted: names cannot be bound parameters."""
    return '"' + name.replace('"', '""') + '"'


def quote_literal(text: str) -> str:
    """Text of ours (descriptions from the model headers) as a literal, for COMMENT, which takes no parameters.

    The transaction sets standard_conforming_strings, so doubling quotes is all the escaping there is.
    """
    return "'" + text.replace("'", "''") + "'"


def _message(exc: Exception, secrets: list[str]) -> str:
    """A driver error as one line: libpq's words, without the driver's prefixes, without any password."""
    text = str(exc)
    for prefix in ("IO: ", "INVALID_DATA: ", "INVALID_STATE: ", "INVALID_ARGUMENT: ", "UNKNOWN: ", "INTERNAL: "):
        text = text.removeprefix(prefix)
    text = text.replace("[libpq] ", "").replace("Failed to connect: ", "")
    text = " ".join(text.replace("FATAL:", "").split())
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


class PostgresDatabase:
    """One connection to the database of ``url``, tables written into ``schema``."""

    def __init__(self, url: str, schema: str = DEFAULT_SCHEMA):
        try:
            import adbc_driver_postgresql.dbapi as dbapi
        except ImportError as exc:
            raise ExportError(
                "exporting to PostgreSQL needs ADBC's PostgreSQL driver: pip install 'linkindex[postgresql]'"
            ) from exc
        self.where = redacted(url)
        self.schema = schema
        #: Seconds each table spent in each step (load, index, swap, commit), for benchmarks and logs.
        self.timings: dict[str, dict[str, float]] = {}
        self._secrets = [urlsplit(url).password or "", os.environ.get("PGPASSWORD", "")]
        try:
            self.connection = dbapi.connect(url)
        except Exception as exc:
            raise ExportError(f"cannot connect to PostgreSQL {self.where}: {_message(exc, self._secrets)}") from exc
        try:
            with self.connection.cursor() as cursor:
                cursor.execute(f"create schema if not exists {quote_ident(schema)}")
            self.connection.commit()
        except Exception as exc:
            self.connection.close()
            raise ExportError(f"cannot create schema {schema} in {self.where}: {_message(exc, self._secrets)}") from exc

    def _name(self, table: str) -> str:
        return f"{quote_ident(self.schema)}.{quote_ident(table)}"

    def _create(self, cursor, name: str, table: ExportTable) -> None:
        columns = ", ".join(
            f"{quote_ident(c.name)} {c.postgres}{'' if c.nullable else ' not null'}" for c in table.columns
        )
        cursor.execute(f"create table {self._name(name)} ({columns})")

    def _index(self, cursor, name: str, table: ExportTable) -> None:
        """The key and lookup indexes of ``name``, named after ``table.name`` (unique within the schema)."""
        if table.key:
            key = ", ".join(map(quote_ident, table.key))
            constraint = quote_ident(f"{name}_pkey")
            cursor.execute(f"alter table {self._name(name)} add constraint {constraint} primary key ({key})")
        for column in table.lookups:
            cursor.execute(
                f"create index {quote_ident(f'{name}_{column}_idx')} on {self._name(name)} ({quote_ident(column)})"
            )

    def _rename_indexes(self, cursor, staging: str, table: ExportTable) -> None:
        names = ["_pkey"] if table.key else []
        names += [f"_{column}_idx" for column in table.lookups]
        for suffix in names:
            cursor.execute(
                f"alter index {quote_ident(self.schema)}.{quote_ident(staging + suffix)} "
                f"rename to {quote_ident(table.name + suffix)}"
            )

    def _comment(self, cursor, table: ExportTable) -> None:
        about = f"{table.title.rstrip('.')}. Grain: {table.grain.rstrip('.')}."
        if table.key:
            about += f" Key: {', '.join(table.key)}."
        cursor.execute(f"comment on table {self._name(table.name)} is {quote_literal(about)}")
        for column in table.columns:
            if column.description:
                cursor.execute(
                    f"comment on column {self._name(table.name)}.{quote_ident(column.name)} "
                    f"is {quote_literal(column.description)}"
                )

    def _exists(self, cursor, name: str) -> bool:
        qualified = f"{quote_ident(self.schema)}.{quote_ident(name)}"
        cursor.execute("select to_regclass($1) is not null", parameters=(qualified,))
        return bool(cursor.fetchone()[0])

    def _step(self, table: ExportTable, step: str, started: float) -> float:
        now = time.perf_counter()
        self.timings.setdefault(table.name, {})[step] = now - started
        return now

    def write(self, table: ExportTable, parts: list[Part], whole: bool) -> None:
        try:
            with self.connection.cursor() as cursor:
                cursor.execute("set local standard_conforming_strings = on")
                lock = f"linkindex export {self.schema}.{table.name}"
                cursor.execute("select pg_advisory_xact_lock(hashtext($1))", parameters=(lock,))
                cursor.fetchall()
                if whole:
                    self._replace(cursor, table, parts)
                else:
                    self._replace_crawls(cursor, table, parts)
                started = time.perf_counter()
            self.connection.commit()
            self._step(table, "commit", started)
        except Exception as exc:
            try:
                self.connection.rollback()
            except Exception:
                pass  # a lost connection: the server rolls back
            if isinstance(exc, TableExportError):
                raise
            raise TableExportError(_message(exc, self._secrets)) from exc

    def _replace(self, cursor, table: ExportTable, parts: list[Part]) -> None:
        staging = STAGING_PREFIX + table.name
        cursor.execute(f"drop table if exists {self._name(staging)}")
        self._create(cursor, staging, table)
        started = time.perf_counter()
        for part in parts:
            cursor.adbc_ingest(staging, part.open(), mode="append", db_schema_name=self.schema)
        started = self._step(table, "load", started)
        self._index(cursor, staging, table)
        started = self._step(table, "index", started)
        # Readers wait on the table only from here to the commit.
        cursor.execute(f"drop table if exists {self._name(table.name)}")
        cursor.execute(f"alter table {self._name(staging)} rename to {quote_ident(table.name)}")
        self._rename_indexes(cursor, staging, table)
        self._comment(cursor, table)
        self._step(table, "swap", started)

    def _replace_crawls(self, cursor, table: ExportTable, parts: list[Part]) -> None:
        if not self._exists(cursor, table.name):
            self._create(cursor, table.name, table)
            self._index(cursor, table.name, table)
            self._comment(cursor, table)
        started = time.perf_counter()
        for part in parts:
            cursor.execute(
                f"delete from {self._name(table.name)} where {quote_ident(table.partition)} = $1",
                parameters=(part.crawl,),
            )
            cursor.adbc_ingest(table.name, part.open(), mode="append", db_schema_name=self.schema)
        self._step(table, "load", started)

    def close(self) -> None:
        try:
            self.connection.close()
        except Exception:
            pass

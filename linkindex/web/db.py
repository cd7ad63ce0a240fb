"""The index as the web interface reads it: one read-only DuckDB connection that cannot leave the index.

The connection is opened read-only with DuckDB's external access disabled:
no file can be read or written but the index's own record and fact files
(``DIR/links``, ``DIR/pages``, ``DIR/facts``, which its views read), no
ATTACH, no extension loaded or installed. Its configuration is then locked,
so no query, not even one typed on the SQL page, can change that or the
server's memory and threads. (The SQL page also runs SELECT statements
only, so not even those directories can be written to.)

Every query runs on a cursor of its own under a time limit: a timer
interrupts it when the limit passes. ``linkindex build`` replaces
``index.duckdb`` by renaming a new file over it; the next request after
that waits for the queries in flight, then reopens the new file.
"""

from contextlib import contextmanager
from pathlib import Path
import threading

import duckdb
import pyarrow as pa

from linkindex.index import DUCKDB_CONFIG, INDEX_FILE, IndexBuildError

#: Rows fetched from DuckDB at a time.
BATCH_ROWS = 2048

LOCKED_CONFIG = {**DUCKDB_CONFIG, "allow_community_extensions": False}
#: The data directory's folders the index's views read.
READABLE = ("links", "pages", "facts")


class QueryError(Exception):
    """A query failed; the message is meant for the person who asked."""


class QueryTimeout(QueryError):
    """A query ran past its time limit and was interrupted."""


class WebIndex:
    """``DIR/index.duckdb`` for the web interface; thread-safe."""

    def __init__(self, data_dir: str | Path, time_limit: float = 10.0):
        self.path = Path(data_dir) / INDEX_FILE
        self.time_limit = time_limit
        self._condition = threading.Condition()
        self._active = 0
        self._con = None
        self._identity = None
        self.tables: frozenset[str] = frozenset()
        self.names: frozenset[str] = frozenset()
        with self._condition:
            self._reopen(self._current_identity())

    # -- the connection ------------------------------------------------------

    def _current_identity(self):
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            raise IndexBuildError(
                f"no index at {self.path}: run `linkindex build --data {self.path.parent}` first"
            ) from None
        return stat.st_dev, stat.st_ino, stat.st_mtime_ns, stat.st_size

    def _reopen(self, identity) -> None:
        # DuckDB keeps one database instance per path while a connection to
        # it is open: the old connection must close before the new file opens.
        if self._con is not None:
            self._con.close()
            self._con = None
        config = {**LOCKED_CONFIG, "temp_directory": f"{self.path}.spill"}
        try:
            con = duckdb.connect(str(self.path), read_only=True, config=config)
            # Another WebIndex of this process may share the database instance, locked already.
            if not con.execute("select current_setting('lock_configuration')").fetchall()[0][0]:
                readable = [f"{self.path.parent.absolute() / name}/" for name in READABLE]
                con.execute("set allowed_directories = $dirs", {"dirs": readable})
                con.execute("set enable_external_access = false")
                con.execute("set global TimeZone = 'UTC'")
                con.execute("set lock_configuration = true")
            if con.execute("select current_setting('enable_external_access')").fetchall()[0][0]:
                raise IndexBuildError("the index connection could not be locked down")  # never serve an open one
            columns = con.execute(
                "select table_name, column_name from information_schema.columns where table_schema = 'main'"
            ).fetchall()
            macros = con.execute(
                "select distinct function_name from duckdb_functions() "
                "where schema_name = 'main' and function_type in ('macro', 'table_macro') and not internal"
            ).fetchall()
        except duckdb.Error as exc:
            raise IndexBuildError(f"cannot open the index {self.path}: {exc}") from exc
        self._con = con
        self._identity = identity
        self.tables = frozenset(table for table, _ in columns)
        #: Every table and view, every "table.column" and every "macro()": what the pages may read.
        self.names = (
            self.tables
            | frozenset(f"{table}.{column}" for table, column in columns)
            | frozenset(f"{name}()" for (name,) in macros)
        )

    def close(self) -> None:
        with self._condition:
            self._condition.wait_for(lambda: self._active == 0)
            if self._con is not None:
                self._con.close()
                self._con = None

    @contextmanager
    def cursor(self):
        """A cursor of its own; after a rebuild, the new index (once the queries in flight are done)."""
        with self._condition:
            identity = self._current_identity()
            if identity != self._identity:
                self._condition.wait_for(lambda: self._active == 0)
                if identity != self._identity:
                    self._reopen(identity)
            self._active += 1
            cursor = self._con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            with self._condition:
                self._active -= 1
                self._condition.notify_all()

    def has(self, *names: str) -> bool:
        """Whether the index has all these tables (or "table.column"): one built by an older linkindex may not."""
        with self.cursor():  # picks up a rebuilt index
            return all(name in self.names for name in names)

    def current_names(self) -> frozenset[str]:
        """The tables and "table.column" names of the index as it is now."""
        with self.cursor():
            return self.names

    # -- queries -------------------------------------------------------------

    @contextmanager
    def reader(self, sql: str, params=None, time_limit: float | None = -1):
        """Yield an Arrow ``RecordBatchReader`` over the result of ``sql`` with bound ``params``.

        ``time_limit``: seconds (default: the index's), None for no limit.
        Raises ``QueryTimeout`` past the limit, ``QueryError`` for a failed query.
        """
        limit = self.time_limit if time_limit == -1 else time_limit
        with self.cursor() as cursor:
            timer = threading.Timer(limit, cursor.interrupt) if limit else None
            if timer:
                timer.daemon = True
                timer.start()
            try:
                relation = cursor.sql(sql, params=params)
                if relation is None:
                    raise QueryError("the statement returned no rows")
                yield relation.to_arrow_reader(BATCH_ROWS)
            except duckdb.InterruptException:
                raise QueryTimeout(f"the query took longer than {limit:g} s and was stopped") from None
            except duckdb.Error as exc:
                raise QueryError(str(exc)) from exc
            finally:
                if timer:
                    timer.cancel()

    def rows(self, sql: str, params=None, max_rows: int | None = None, time_limit: float | None = -1):
        """(column names, rows as tuples, truncated) of ``sql``: at most ``max_rows`` rows."""
        with self.reader(sql, params, time_limit) as reader:
            rows = []
            truncated = False
            for batch in reader:
                if max_rows is not None and len(rows) + batch.num_rows > max_rows:
                    batch = batch.slice(0, max_rows - len(rows))
                    truncated = True
                rows.extend(zip(*(column.to_pylist() for column in batch.columns)))
                if truncated:
                    break
            return list(reader.schema.names), rows, truncated

    def records(self, sql: str, params=None, time_limit: float | None = -1) -> list[dict]:
        """The rows of ``sql`` as dicts."""
        with self.reader(sql, params, time_limit) as reader:
            return pa.Table.from_batches(list(reader), reader.schema).to_pylist()

    def record(self, sql: str, params=None) -> dict | None:
        """The first row of ``sql`` as a dict, or None."""
        rows = self.records(sql, params)
        return rows[0] if rows else None

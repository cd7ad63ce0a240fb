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

A target narrower than a registered domain (one URL, a URL prefix, a host
and its subdomains: ``linkindex.targets``) is read through ``narrowed``:
its own connection, in which ``shadow_tables`` has computed the tables the
pages read, by the same models, over the target's links alone, as
temporary tables. Temporary tables belong to one connection, so no other
target's request can see them. The last few targets keep their connection
(``TARGETS_KEPT``, least recently used dropped first): computing the tables
costs a scan of the link records, once per target rather than once per page.
"""

from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path
import threading

import duckdb
import pyarrow as pa

from linkindex.index import DUCKDB_CONFIG, INDEX_FILE, IndexBuildError
from linkindex.report import REPORT_TABLES

#: Rows fetched from DuckDB at a time.
BATCH_ROWS = 2048

LOCKED_CONFIG = {**DUCKDB_CONFIG, "allow_community_extensions": False}
#: The data directory's folders the index's views read.
READABLE = ("links", "pages", "facts")


class QueryError(Exception):
    """A query failed; the message is meant for the person who asked."""


class QueryTimeout(QueryError):
    """A query ran past its time limit and was interrupted."""


#: The tables a narrowed target's pages read that are computed for it alone (the report's, and the tables
#: behind the backlinks, broken and lost pages; ``shadow_tables`` runs them in build order, the facts first,
#: from its link records); the rest (authority, flags, risk, crawls) stay the index's.
TARGET_TABLES = (*REPORT_TABLES, "current_links", "current_backlinks", "inbound_links", "broken_backlinks")
#: Narrowed targets whose tables are kept, each in its own connection.
TARGETS_KEPT = 4
#: Computing a narrowed target's tables (a scan of the link records, then the models) may take this many times
#: the time limit of one query.
TARGET_TIME_FACTOR = 3


class _Queries:
    """Queries under a time limit, over what ``cursor()`` gives."""

    time_limit: float

    def cursor(self):
        raise NotImplementedError

    @contextmanager
    def reader(self, sql: str, params=None, time_limit: float | None = -1):
        """Yield an Arrow ``RecordBatchReader`` over the result of ``sql`` with bound ``params``.

        ``time_limit``: seconds (default: the index's), None for no limit.
        Raises ``QueryTimeout`` past the limit, ``QueryError`` for a failed query.
        """
        limit = self.time_limit if time_limit == -1 else time_limit
        with self.cursor() as cursor, _interrupted_after(cursor, limit):
            relation = cursor.sql(sql, params=params)
            if relation is None:
                raise QueryError("the statement returned no rows")
            yield relation.to_arrow_reader(BATCH_ROWS)

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


@contextmanager
def _interrupted_after(con, limit: float | None, what: str = "the query"):
    """Interrupt what ``con`` runs once ``limit`` seconds have passed; DuckDB errors as QueryError."""
    timer = threading.Timer(limit, con.interrupt) if limit else None
    if timer:
        timer.daemon = True
        timer.start()
    try:
        yield
    except duckdb.InterruptException:
        raise QueryTimeout(f"{what} took longer than {limit:g} s and was stopped") from None
    except duckdb.Error as exc:
        raise QueryError(str(exc)) from exc
    finally:
        if timer:
            timer.cancel()


def _drop_steps(con) -> None:
    """Drop the temporary tables the pages do not read (the link records, the facts: most of the memory).

    Each is replaced by a view that fails when read, so that a query that
    came to read one would fail, never read the index's table of that name
    (every target's links) in its place.
    """
    steps = con.execute("select table_name from duckdb_tables() where temporary").fetchall()
    for (name,) in steps:
        if name not in TARGET_TABLES:
            quoted = '"' + name.replace('"', '""') + '"'
            con.execute(f"drop table temp.{quoted}")
            # A view cannot take parameters: the name is a model's (from the catalog), quoted as a literal.
            message = f"{name} is not kept for a narrowed target".replace("'", "''")
            con.execute(f"create temp view {quoted} as select * from range(1) where error('{message}')")


class _Narrowed:
    """One narrowed target's connection: its temporary tables, once computed, and who is using it."""

    def __init__(self, con):
        self.con = con
        self.lock = threading.Lock()  # one statement at a time: a DuckDB connection is not shared between threads
        self.ready = False
        self.users = 0
        self.dropped = False


class WebIndex(_Queries):
    """``DIR/index.duckdb`` for the web interface; thread-safe."""

    def __init__(self, data_dir: str | Path, time_limit: float = 10.0, targets_kept: int = TARGETS_KEPT):
        self.path = Path(data_dir) / INDEX_FILE
        self.time_limit = time_limit
        self.target_time_limit = time_limit * TARGET_TIME_FACTOR if time_limit else None
        self.targets_kept = targets_kept
        self._condition = threading.Condition()
        self._active = 0
        self._con = None
        self._narrowed: OrderedDict = OrderedDict()  # Target -> _Narrowed, least recently used first
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
        # it is open: the old connection (and the targets' ones) must close before the new file opens.
        for narrowed in self._narrowed.values():
            narrowed.con.close()
        self._narrowed.clear()
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
            for narrowed in self._narrowed.values():
                narrowed.con.close()
            self._narrowed.clear()
            if self._con is not None:
                self._con.close()
                self._con = None

    def _current(self) -> None:
        """After a rebuild, reopen the new index once the queries in flight are done (holding the condition)."""
        identity = self._current_identity()
        if identity != self._identity:
            self._condition.wait_for(lambda: self._active == 0)
            if identity != self._identity:
                self._reopen(identity)

    @contextmanager
    def cursor(self):
        """A cursor of its own; after a rebuild, the new index (once the queries in flight are done)."""
        with self._condition:
            self._current()
            self._active += 1
            cursor = self._con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()
            with self._condition:
                self._active -= 1
                self._condition.notify_all()

    def narrowed(self, target) -> "TargetIndex":
        """The index as the pages of ``target`` (a ``linkindex.targets.Target`` narrower than a domain) read it."""
        return TargetIndex(self, target)

    @contextmanager
    def _target_connection(self, target):
        """The connection of ``target``, its tables computed, for this thread alone until the block ends."""
        from linkindex.targets import shadow_tables

        with self._condition:
            self._current()
            narrowed = self._narrowed.get(target)
            if narrowed is None:
                narrowed = self._narrowed[target] = _Narrowed(self._con.cursor())
                while len(self._narrowed) > self.targets_kept:
                    _, oldest = self._narrowed.popitem(last=False)
                    oldest.dropped = True
                    if oldest.users == 0:
                        oldest.con.close()
            self._narrowed.move_to_end(target)
            narrowed.users += 1
            self._active += 1
        try:
            # Behind another request's statements, or its computing the tables.
            if not narrowed.lock.acquire(timeout=self.target_time_limit + self.time_limit if self.time_limit else -1):
                raise QueryTimeout(f"the server is busy with {target.describe()}: try again in a moment")
            try:
                if not narrowed.ready:
                    if "stg_links" not in self.tables:
                        raise QueryError(
                            "this index was built by an older linkindex, which keeps no link records to "
                            "narrow a target down to: build it again"
                        )
                    tables = [name for name in TARGET_TABLES if name in self.tables]
                    what = f"computing the tables of {target.describe()}"
                    with _interrupted_after(narrowed.con, self.target_time_limit, what):
                        shadow_tables(narrowed.con, target, tables)
                        _drop_steps(narrowed.con)
                    narrowed.ready = True
                yield narrowed.con
            finally:
                narrowed.lock.release()
        finally:
            with self._condition:
                narrowed.users -= 1
                self._active -= 1
                if narrowed.dropped and narrowed.users == 0:
                    narrowed.con.close()
                self._condition.notify_all()

    def has(self, *names: str) -> bool:
        """Whether the index has all these tables (or "table.column"): one built by an older linkindex may not."""
        with self.cursor():  # picks up a rebuilt index
            return all(name in self.names for name in names)

    def current_names(self) -> frozenset[str]:
        """The tables and "table.column" names of the index as it is now."""
        with self.cursor():
            return self.names


class TargetIndex(_Queries):
    """The index for one narrowed target: the same query methods, run on the target's own connection.

    A statement runs with the connection to itself, and its rows are
    fetched whole before the next one may run (a target's rows are what its
    temporary tables hold, which are in memory already): a slow download
    does not hold up the target's other pages.
    """

    def __init__(self, index: WebIndex, target):
        self.index = index
        self.target = target
        self.time_limit = index.time_limit
        self.path = index.path

    @contextmanager
    def cursor(self):
        with self.index._target_connection(self.target) as con:
            yield con

    @contextmanager
    def reader(self, sql: str, params=None, time_limit: float | None = -1):
        limit = self.time_limit if time_limit == -1 else time_limit
        with self.cursor() as con, _interrupted_after(con, limit):
            relation = con.sql(sql, params=params)
            if relation is None:
                raise QueryError("the statement returned no rows")
            table = relation.to_arrow_table()
        yield pa.RecordBatchReader.from_batches(table.schema, table.to_batches(BATCH_ROWS))

    def has(self, *names: str) -> bool:
        return self.index.has(*names)

    def current_names(self) -> frozenset[str]:
        return self.index.current_names()

    @property
    def names(self) -> frozenset[str]:
        return self.index.names

    @property
    def tables(self) -> frozenset[str]:
        return self.index.tables

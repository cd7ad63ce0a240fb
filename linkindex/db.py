"""DuckDB connections to a link index, configured once for the whole project.

An index is ``DIR/index.duckdb`` (``linkindex build``), or a directory of
Parquet datasets, one per table with its ``_schema.json`` (``linkindex build
--engine spark``, ``linkindex export``): ``open_index`` opens either.
"""

from contextlib import contextmanager
import json
from pathlib import Path
import shlex

import duckdb

INDEX_FILE = "index.duckdb"
#: DuckDB would otherwise try to download extensions, and hang offline.
DUCKDB_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


class IndexBuildError(Exception):
    """The index cannot be built or read as asked; the message says how to fix it."""


def connect(path: str | Path, read_only: bool = False, config: dict | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that never downloads extensions and speaks UTC."""
    options = dict(DUCKDB_CONFIG)
    if read_only:
        # By default DuckDB spills to '<database>.tmp', the name build() writes to.
        options["temp_directory"] = f"{path}.spill"
    options.update(config or {})
    con = duckdb.connect(str(path), read_only=read_only, config=options)
    configure(con)
    return con


def configure(con: duckdb.DuckDBPyConnection) -> None:
    """Session settings of every connection: UTC, and no progress bar (progress is the caller's to show)."""
    con.execute("set TimeZone = 'UTC'")
    con.execute("set enable_progress_bar = false")


def first_steps(data_dir: str | Path) -> str:
    """The whole way from nothing to an index in ``data_dir``, as commands."""
    data = shlex.quote(str(data_dir))
    return (
        f"`linkindex crawl SEED_URL --data {data}` or `linkindex extract WARC_FILE --data {data}`, "
        f"then `linkindex build --data {data}`"
    )


def open_index(data_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to ``DIR/index.duckdb``, or to the Parquet datasets of ``DIR`` when it holds
    those instead (see ``open_datasets``); if there is neither, what to run to make one."""
    from linkindex.build import record_files

    path = Path(data_dir) / INDEX_FILE
    if not path.is_file() and dataset_tables(data_dir):
        return open_datasets(data_dir)
    if not path.is_file():
        if not Path(data_dir).is_dir():
            raise IndexBuildError(f"no data directory {data_dir}: make its index with {first_steps(data_dir)}")
        if not record_files(data_dir, "links") and not record_files(data_dir, "pages"):
            raise IndexBuildError(f"no index at {path}, and no records to build it from: run {first_steps(data_dir)}")
        raise IndexBuildError(f"no index at {path}: run `linkindex build --data {shlex.quote(str(data_dir))}` first")
    return connect(path, read_only=True)


#: What marks a table's dataset: DIR/<table>/_schema.json (see linkindex.dataset).
DATASET_SCHEMA = "_schema.json"


def dataset_tables(directory: str | Path) -> dict[str, dict]:
    """The tables of a directory of Parquet datasets: name -> its ``_schema.json``; empty if none."""
    tables = {}
    for schema in sorted(Path(directory).glob(f"*/{DATASET_SCHEMA}")):
        try:
            tables[schema.parent.name] = json.loads(schema.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
    return tables


def _quoted(text: str) -> str:
    """A string literal: a view cannot hold bound parameters."""
    return "'" + text.replace("'", "''") + "'"


def open_datasets(directory: str | Path) -> duckdb.DuckDBPyConnection:
    """An in-memory connection with one view per table dataset under ``directory``: its Parquet files,
    the Hive partition (crawl_id=...) read back as a column, the columns in the order ``_schema.json`` lists."""
    con = connect(":memory:")
    for name, described in dataset_tables(directory).items():
        columns = ", ".join('"' + c["name"].replace('"', '""') + '"' for c in described.get("columns", [])) or "*"
        files = str(Path(directory).absolute() / name / "**" / "*.parquet")
        con.execute(
            f'create view "{name}" as select {columns} '
            f"from read_parquet({_quoted(files)}, hive_partitioning = true, hive_types_autocast = false)"
        )
    return con


@contextmanager
def interruptible():
    """Ctrl-C during a DuckDB query stops it with "Query interrupted": raise it as the KeyboardInterrupt it is."""
    try:
        yield
    except (duckdb.Error, RuntimeError) as exc:
        if isinstance(exc, duckdb.InterruptException) or "interrupted" in str(exc).lower():
            raise KeyboardInterrupt from exc
        raise

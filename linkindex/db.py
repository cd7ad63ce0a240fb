"""DuckDB connections to a link index, configured once for the whole project."""

from pathlib import Path

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


def open_index(data_dir: str | Path) -> duckdb.DuckDBPyConnection:
    """A read-only connection to ``DIR/index.duckdb``."""
    path = Path(data_dir) / INDEX_FILE
    if not path.is_file():
        raise IndexBuildError(f"no index at {path}: run `linkindex build --data {data_dir}` first")
    return connect(path, read_only=True)

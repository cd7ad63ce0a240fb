"""Parquet datasets that warehouses read as they are, on a local disk or an object store.

One dataset per table::

    DEST/<table>/_schema.json                              what the table is (grain, key, column descriptions)
    DEST/<table>/part-<export>-<n>.parquet                 a table exported whole
    DEST/<table>/crawl_id=<id>/part-<export>-<n>.parquet   the records, and tables keyed by crawl

Hive partitioning: the partition column is named by the directory and not
stored in the files (Spark and BigQuery refuse a column that is both).
Files are zstd-compressed, with row groups of about ``row_group_bytes`` of
data and closed once they pass ``file_bytes`` (so large tables come in files
of 160 to about 190 MiB); each file's key-value metadata names the table, the
record schema version and the key, and each column carries its description.

Atomic: a table is written in full under ``DEST/_linkindex_tmp/<run>/`` first.
On a local or mounted filesystem it is then swapped in with one atomic
directory exchange (``renameat2(RENAME_EXCHANGE)``, Linux), the whole table
or, when only some crawls are exported, each crawl's partition; a reader
sees the previous export or the new one. Object stores have no rename: the
new files, complete, are moved into place and the files they replace
deleted, so a listing made during those seconds can see both.
"""

import ctypes
import ctypes.util
from datetime import datetime, timezone
import errno
import os
from pathlib import Path
import shutil
import socket

import pyarrow as pa
import pyarrow.fs as pafs
import pyarrow.parquet as pq

from linkindex.export import ExportError, ExportTable, Part, json_text

#: A file is closed once it holds this many bytes: warehouses read files of 100-250 MB best.
DEFAULT_FILE_BYTES = 160 * 2**20
#: Data (as Arrow) gathered into one row group: large enough for good compression and scans.
ROW_GROUP_BYTES = 64 * 2**20
#: Where a run writes before it swaps; readers are never pointed here.
STAGING = "_linkindex_tmp"
SCHEMA_FILE = "_schema.json"


def open_destination(dest: str) -> tuple[pafs.FileSystem, str]:
    """The filesystem and path of a directory or an object-store URI (``s3://bucket/prefix?...``)."""
    if "://" in dest and not dest.startswith("file://"):
        try:
            return pafs.FileSystem.from_uri(dest)
        except (pa.ArrowException, ValueError, OSError) as exc:
            raise ExportError(f"cannot open {dest.split('?')[0]}: {exc}") from exc
    return pafs.LocalFileSystem(), str(Path(dest.removeprefix("file://")).absolute())


# -- atomic directory swap ---------------------------------------------------------

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


def _renameat2():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        return libc.renameat2
    except (OSError, AttributeError):
        return None


_exchange = _renameat2()


def swap_in(new: str, final: str) -> bool:
    """Put directory ``new`` at ``final``; the previous ``final``, if any, ends up at ``new``.

    Returns whether there was a previous one. One atomic exchange where the
    kernel and filesystem allow it, else two renames (a moment without ``final``).
    """
    if not os.path.lexists(final):
        os.rename(new, final)
        return False
    if _exchange is not None:
        if _exchange(_AT_FDCWD, os.fsencode(new), _AT_FDCWD, os.fsencode(final), _RENAME_EXCHANGE) == 0:
            return True
        code = ctypes.get_errno()
        if code not in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.EPERM):
            raise OSError(code, os.strerror(code), final)
    aside = f"{new}.replaced"
    os.rename(final, aside)
    os.rename(new, final)
    os.rename(aside, new)
    return True


# -- the dataset -------------------------------------------------------------------


class ParquetDataset:
    """The tables of one export run, written as Parquet datasets under ``dest``."""

    def __init__(
        self,
        dest: str,
        export_id: str,
        *,
        file_bytes: int = DEFAULT_FILE_BYTES,
        row_group_bytes: int = ROW_GROUP_BYTES,
    ):
        self.dest = dest.split("?")[0]
        self.filesystem, self.root = open_destination(dest)
        self.root = self.root.rstrip("/")
        self.local = isinstance(self.filesystem, pafs.LocalFileSystem)
        self.export_id = export_id
        self.file_bytes = file_bytes
        self.row_group_bytes = row_group_bytes
        # The process in the name lets a later run on this host clear what a killed one left.
        self.staging = f"{self.root}/{STAGING}/{export_id}-{socket.gethostname()}-{os.getpid()}"
        try:
            if self.local:
                self._clear_stale()
            self.filesystem.create_dir(self.staging, recursive=True)
        except (OSError, pa.ArrowException) as exc:
            raise ExportError(f"cannot write to {self.dest}: {exc}") from exc

    def _clear_stale(self) -> None:
        parent = Path(self.root) / STAGING
        if not parent.is_dir():
            return
        host = socket.gethostname()
        for entry in parent.iterdir():
            owner, _, pid = entry.name.rpartition("-")
            if not owner.endswith(f"-{host}") or not pid.isdigit():
                continue
            try:
                os.kill(int(pid), 0)
            except ProcessLookupError:
                shutil.rmtree(entry, ignore_errors=True)
            except PermissionError:
                pass  # alive, someone else's

    # -- writing

    def write(self, table: ExportTable, parts: list[Part], whole: bool) -> None:
        stage = f"{self.staging}/{table.name}"
        self._mkdir(stage)
        for part in parts:
            directory = stage if part.crawl is None else f"{stage}/{table.partition}={part.crawl}"
            # A table exported whole keeps one (empty) file when it has no rows, so readers find its schema.
            self._write_files(directory, table, part.open(), keep_empty=part.crawl is None)
        described = table.describe()
        described.update(export_id=self.export_id, exported_at=datetime.now(timezone.utc).isoformat())
        with self.filesystem.open_output_stream(f"{stage}/{SCHEMA_FILE}") as out:
            out.write(json_text(described).encode())
        crawls = [part.crawl for part in parts if part.crawl is not None]
        if self.local:
            self._commit_local(table, stage, whole, crawls)
        else:
            self._commit_moving(table, stage, whole, crawls)

    def _mkdir(self, path: str) -> None:
        if self.local:
            self.filesystem.create_dir(path, recursive=True)

    def _write_files(self, directory: str, table: ExportTable, reader: pa.RecordBatchReader, keep_empty: bool):
        schema = table.file_schema
        writer = sink = None
        number = 0
        pending: list[pa.RecordBatch] = []
        pending_bytes = 0

        def open_file():
            nonlocal writer, sink
            self._mkdir(directory)
            sink = self.filesystem.open_output_stream(f"{directory}/part-{self.export_id}-{number:05d}.parquet")
            writer = pq.ParquetWriter(
                sink,
                schema,
                compression="zstd",
                version="2.6",
                coerce_timestamps="us",
                write_page_index=True,
            )

        def close_file():
            nonlocal writer, sink, number
            writer.close()
            sink.close()
            writer = sink = None
            number += 1

        def flush():
            nonlocal pending_bytes
            if not pending:
                return
            if writer is None:
                open_file()
            rows = pa.Table.from_batches(pending, schema=schema)
            writer.write_table(rows, row_group_size=max(rows.num_rows, 1))
            pending.clear()
            pending_bytes = 0
            if sink.tell() >= self.file_bytes:
                close_file()

        try:
            for batch in reader:
                if table.partition:
                    batch = batch.drop_columns([table.partition])
                if batch.num_rows == 0:
                    continue
                pending.append(pa.RecordBatch.from_arrays(batch.columns, schema=schema))
                pending_bytes += batch.nbytes
                if pending_bytes >= self.row_group_bytes:
                    flush()
            flush()
            if writer is None and number == 0 and keep_empty:
                open_file()
            if writer is not None:
                close_file()
        finally:
            reader.close()
            if sink is not None:
                sink.close()

    # -- committing

    def _commit_local(self, table: ExportTable, stage: str, whole: bool, crawls: list[str]) -> None:
        final = f"{self.root}/{table.name}"
        if whole:
            swap_in(stage, final)
        else:
            os.makedirs(final, exist_ok=True)
            for crawl in crawls:
                name = f"{table.partition}={crawl}"
                new, old = f"{stage}/{name}", f"{final}/{name}"
                if os.path.isdir(new):
                    swap_in(new, old)
                elif os.path.isdir(old):
                    os.rename(old, new)  # the crawl has no rows any more: its partition goes
            os.replace(f"{stage}/{SCHEMA_FILE}", f"{final}/{SCHEMA_FILE}")
        shutil.rmtree(stage, ignore_errors=True)

    def _files(self, directory: str) -> list[str]:
        selector = pafs.FileSelector(directory, recursive=True, allow_not_found=True)
        return [info.path for info in self.filesystem.get_file_info(selector) if info.type == pafs.FileType.File]

    def _commit_moving(self, table: ExportTable, stage: str, whole: bool, crawls: list[str]) -> None:
        """Object stores: move the new files in, then delete the ones they replace."""
        final = f"{self.root}/{table.name}"
        if whole:
            old = [path for path in self._files(final)]
            old_partitions = {
                info.path
                for info in self.filesystem.get_file_info(pafs.FileSelector(final, allow_not_found=True))
                if info.type == pafs.FileType.Directory
            }
        else:
            old = [path for crawl in crawls for path in self._files(f"{final}/{table.partition}={crawl}")]
            old_partitions = {f"{final}/{table.partition}={crawl}" for crawl in crawls}
        new = [path for path in self._files(stage) if not path.endswith(f"/{SCHEMA_FILE}")]
        moved = set()
        for path in new:
            target = final + path[len(stage):]
            self.filesystem.move(path, target)
            moved.add(target)
        for path in old:
            if path not in moved and not path.endswith(f"{final}/{SCHEMA_FILE}"):
                self.filesystem.delete_file(path)
        kept_partitions = {target.rsplit("/", 1)[0] for target in moved}
        for directory in old_partitions - kept_partitions:
            self.filesystem.delete_dir(directory)
        self.filesystem.move(f"{stage}/{SCHEMA_FILE}", f"{final}/{SCHEMA_FILE}")
        self.filesystem.delete_dir(stage)

    def close(self) -> None:
        """Remove this run's staging area (and the staging folder, when no other run uses it)."""
        try:
            self.filesystem.delete_dir(self.staging)
            parent = f"{self.root}/{STAGING}"
            if not self.filesystem.get_file_info(pafs.FileSelector(parent, allow_not_found=True)):
                self.filesystem.delete_dir(parent)
        except (OSError, pa.ArrowException):
            pass  # what is left is cleared by the next run on this host

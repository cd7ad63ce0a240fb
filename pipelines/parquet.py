"""Link and page records -> Parquet parts that a reader can always trust.

Records are buffered as columns (the Python -> Arrow conversion of row dicts
is what makes naive writers slow) and every flush writes one *complete* part
per table: the file is written under a hidden temporary name and renamed when
closed, so a reader, or a crash, never leaves a half file that looks finished.
A page's row and its links are always flushed together.

Layout, under the data directory::

    links/crawl_id=<id>/part-<key>-<seq>.parquet
    pages/crawl_id=<id>/part-<key>-<seq>.parquet

``key`` names the writer (a worker id, or the input file for ``extract``), so
concurrent writers never collide.
"""

from fnmatch import fnmatchcase
import functools
import logging
import os
from pathlib import Path
import re
import time

import pyarrow as pa
import pyarrow.parquet as pq

from crawler import signals as linkindex_signals
from linkindex.schema import (
    LINK_PAGE_FIELDS,
    LINKS_SCHEMA,
    PAGES_SCHEMA,
    LinkRecord,
    PageRow,
    PageSource,
)

#: Rows of links buffered before a flush (pages flush with them).
DEFAULT_MAX_ROWS = 500_000
#: Rows per Parquet row group: large enough for good compression and scans,
#: small enough that readers can skip by statistics.
DEFAULT_ROW_GROUP_SIZE = 128 * 1024
COMPRESSION = "zstd"

logger = logging.getLogger(__name__)

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class OutputError(Exception):
    """The output location cannot be written."""


def safe_name(value: str) -> str:
    """A string usable in a file or partition name on every filesystem."""
    cleaned = _UNSAFE.sub("-", value).strip("-.")
    return cleaned or "default"


def partition_dir(data_dir, table: str, crawl_id: str) -> Path:
    return Path(data_dir) / table / f"crawl_id={safe_name(crawl_id)}"


def is_object_store(data_dir) -> bool:
    """Whether ``data_dir`` is a URI of a pyarrow filesystem (s3://, gs://, abfs://, hdfs://...)."""
    text = str(data_dir)
    return "://" in text and not text.startswith("file://")


def local_path(data_dir) -> str:
    text = str(data_dir)
    return text[len("file://") :] if text.startswith("file://") else text


_PAGE_ROW_FIELDS = [name for name in PAGES_SCHEMA.names if name != "crawl_id"]


class RecordWriter:
    """Buffers the records of one crawl and writes them as Parquet parts."""

    def __init__(
        self,
        data_dir,
        crawl_id: str,
        key: str,
        max_rows: int = DEFAULT_MAX_ROWS,
        max_seconds: float | None = None,
        row_group_size: int = DEFAULT_ROW_GROUP_SIZE,
        on_flush=None,
    ):
        """``on_flush(tokens)`` is called after each flush with the tokens
        given to ``add`` for the records it wrote."""
        self.on_flush = on_flush
        self.crawl_id = crawl_id
        self.key = safe_name(key)
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.row_group_size = row_group_size
        # On an object store a part is uploaded in one piece and appears
        # whole when the upload completes; on a (shared) filesystem it is
        # written under a temporary name and renamed.
        self.filesystem = None
        if is_object_store(data_dir):
            from pyarrow import fs as arrow_fs

            try:
                self.filesystem, root = arrow_fs.FileSystem.from_uri(str(data_dir))
            except (ValueError, OSError) as exc:
                raise OutputError(f"cannot use {data_dir}: {exc}; check --data") from exc
            partition = f"crawl_id={safe_name(crawl_id)}"
            self.dirs = {t: f"{root.rstrip('/')}/{t}/{partition}" for t in ("links", "pages")}
        else:
            self.dirs = {t: partition_dir(local_path(data_dir), t, crawl_id) for t in ("links", "pages")}
            # The partitions appear with their first part (a file that yields
            # no record leaves no empty folder); the data directory must be
            # usable from the start.
            root = Path(local_path(data_dir))
            try:
                root.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise OutputError(f"cannot create {root}: {exc.strerror}; check --data") from exc
            if not os.access(root, os.W_OK | os.X_OK):
                raise OutputError(f"cannot write to {root}: permission denied; check --data")
        self.sequence = 0
        self.files_written: list[Path] = []
        self.rows_written = {"links": 0, "pages": 0}
        self._reset()

    def _reset(self):
        self._links = {name: [] for name in LINKS_SCHEMA.names}
        self._pages = {name: [] for name in PAGES_SCHEMA.names}
        self._link_rows = 0
        self._tokens = []
        self._started = time.monotonic()

    @property
    def buffered_links(self) -> int:
        return self._link_rows

    @property
    def buffered_pages(self) -> int:
        return len(self._pages["url"])

    def add(self, page: PageRow, links: list[LinkRecord], src: PageSource, token=None) -> None:
        """Buffer one page and its links, found on ``src``.

        ``token``, if given, is handed to ``on_flush`` once these records
        are on disk.
        """
        if token is not None:
            self._tokens.append(token)
        pages = self._pages
        pages["crawl_id"].append(self.crawl_id)
        for name in _PAGE_ROW_FIELDS:
            pages[name].append(getattr(page, name))
        if links:
            count = len(links)
            columns = self._links
            page_values = (self.crawl_id, page.fetched_at, *src, page.page_nofollow)
            for name, value in zip(LINK_PAGE_FIELDS, page_values):
                columns[name].extend([value] * count)
            for name, values in zip(LinkRecord._fields, zip(*links)):
                columns[name].extend(values)
            self._link_rows += count
        if self._link_rows >= self.max_rows or (
            self.max_seconds is not None and time.monotonic() - self._started >= self.max_seconds
        ):
            self.flush()

    def due(self) -> bool:
        """Whether the time limit asks for a flush (for callers that flush on a timer)."""
        return (
            self.max_seconds is not None
            and self.buffered_pages > 0
            and time.monotonic() - self._started >= self.max_seconds
        )

    def flush(self) -> list[Path]:
        """Write what is buffered as one part per table; return the files written."""
        if not self.buffered_pages:
            self._started = time.monotonic()
            return []
        written = []
        name = f"part-{self.key}-{self.sequence:05d}.parquet"
        for table, columns, schema in (
            ("links", self._links, LINKS_SCHEMA),
            ("pages", self._pages, PAGES_SCHEMA),
        ):
            if table == "links" and not self._link_rows:
                continue
            arrow_table = pa.Table.from_pydict(columns, schema=schema)
            if self.filesystem is not None:
                written.append(self._upload(arrow_table, f"{self.dirs[table]}/{name}"))
            else:
                written.append(self._write_atomically(arrow_table, self.dirs[table] / name))
            self.rows_written[table] += arrow_table.num_rows
        self.sequence += 1
        self.files_written.extend(written)
        tokens = self._tokens
        self._reset()
        if self.on_flush is not None:
            self.on_flush(tokens)
        return written

    def _write_atomically(self, table: pa.Table, path: Path) -> Path:
        temporary = path.with_name(f".{path.name}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(
                table,
                temporary,
                compression=COMPRESSION,
                row_group_size=self.row_group_size,
            )
            os.replace(temporary, path)
        except OSError as exc:
            temporary.unlink(missing_ok=True)
            raise OutputError(f"cannot write {path}: {exc}") from exc
        return path

    def _upload(self, table: pa.Table, path: str) -> str:
        try:
            pq.write_table(
                table,
                path,
                filesystem=self.filesystem,
                compression=COMPRESSION,
                row_group_size=self.row_group_size,
            )
        except OSError as exc:
            raise OutputError(f"cannot write {path}: {exc}") from exc
        return path

    def remove_parts(self, base_key: str, keep_own: bool = True) -> int:
        """Delete the parts written under ``base_key`` by earlier runs (keys
        ``<base_key>.<run>``, or ``<base_key>`` itself), and this writer's own
        unless ``keep_own``. Re-extracting a file replaces its parts so."""
        base = safe_name(base_key)
        patterns = (
            f"part-{base}-[0-9][0-9][0-9][0-9][0-9].parquet",
            f"part-{base}.*-[0-9][0-9][0-9][0-9][0-9].parquet",
        )
        own = f"part-{self.key}-"

        if not keep_own:
            # Temporary files of a writer that was killed while writing.
            patterns += (f".part-{self.key}-[0-9][0-9][0-9][0-9][0-9].parquet.tmp",)

        def doomed(name: str) -> bool:
            if not any(fnmatchcase(name, pattern) for pattern in patterns):
                return False
            return not (keep_own and name.startswith(own))

        removed = 0
        if self.filesystem is not None:
            from pyarrow import fs as arrow_fs

            for directory in self.dirs.values():
                selector = arrow_fs.FileSelector(directory, allow_not_found=True)
                for info in self.filesystem.get_file_info(selector):
                    if doomed(info.base_name):
                        self.filesystem.delete_file(info.path)
                        removed += 1
            return removed
        for directory in self.dirs.values():
            for path in directory.glob(f"*part-{base}*"):
                if doomed(path.name):
                    path.unlink()
                    removed += 1
        return removed

    def close(self) -> list[Path]:
        return self.flush()


def data_dir_setting(settings) -> str:
    """The data directory of a crawl: ``LINKINDEX_DATA_DIR``, else $LINKINDEX_DATA, else ./linkindex-data.

    The same default as ``linkindex --data``, so that ``scrapy crawl links``
    without ``-s LINKINDEX_DATA_DIR=...`` still writes its records somewhere
    the other commands look.
    """
    from crawler.defaults import DEFAULT_DATA_DIR

    return settings.get("LINKINDEX_DATA_DIR") or os.environ.get("LINKINDEX_DATA") or DEFAULT_DATA_DIR


@functools.cache
def worker_id() -> str:
    """This process's writer id: host name, process id and a random suffix.

    Unique across a cluster and across restarts: a restarted container has
    the same host name and often the same pid, and must not overwrite the
    parts its previous life wrote.
    """
    import secrets
    import socket

    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class LinksParquetPipeline:
    """Scrapy item pipeline writing each page's records as Parquet parts.

    Settings (defaults in ``crawler.defaults``):

    - ``LINKS_PARQUET_ENABLED`` (True)
    - ``LINKS_PARQUET_MAX_ROWS``: link rows buffered before a part is written
    - ``LINKS_PARQUET_MAX_SECONDS``: a part is written at least this often
      while there is something to write, so a killed crawl loses at most that
      much
    - ``LINKINDEX_DATA_DIR`` (see ``data_dir_setting``), ``LINKINDEX_CRAWL_ID``,
      ``LINKINDEX_WORKER_ID`` (host name and pid by default; names the parts)
    """

    def __init__(self, data_dir, crawl_id, key, max_rows, max_seconds, stats=None, signals=None):
        self.signals = signals
        self.data_dir = data_dir
        self.crawl_id = crawl_id
        self.key = key
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.stats = stats
        self.writer = None
        self._timer = None

    @classmethod
    def from_crawler(cls, crawler):
        from scrapy.exceptions import NotConfigured

        from crawler import defaults

        settings = crawler.settings
        if not settings.getbool("LINKS_PARQUET_ENABLED", defaults.LINKS_PARQUET_ENABLED):
            raise NotConfigured("LINKS_PARQUET_ENABLED is off")
        return cls(
            data_dir_setting(settings),
            settings.get("LINKINDEX_CRAWL_ID") or defaults.DEFAULT_CRAWL_ID,
            settings.get("LINKINDEX_WORKER_ID") or worker_id(),
            settings.getint("LINKS_PARQUET_MAX_ROWS", defaults.LINKS_PARQUET_MAX_ROWS),
            settings.getfloat("LINKS_PARQUET_MAX_SECONDS", defaults.LINKS_PARQUET_MAX_SECONDS),
            stats=crawler.stats,
            signals=crawler.signals,
        )

    def open_spider(self):
        # Fail at start-up, not after the first batch, if --data is unusable.
        self.writer = RecordWriter(
            self.data_dir,
            self.crawl_id,
            self.key,
            max_rows=self.max_rows,
            max_seconds=self.max_seconds,
            on_flush=self._flushed,
        )
        if self.signals is not None:
            self.signals.connect(self.flush, signal=linkindex_signals.flush_requested)
        logger.info("writing records to %s", os.path.abspath(self.data_dir))
        if self.max_seconds:
            from twisted.internet import task

            self._timer = task.LoopingCall(self._flush_if_due)
            self._timer.start(min(self.max_seconds, 5.0), now=False)

    def _flush_if_due(self):
        if self.writer.due():
            self.writer.flush()

    def flush(self):
        self.writer.flush()

    def _flushed(self, leases):
        # Distributed crawls release a request's lease only now: had the
        # worker died before this, the request would be fetched again.
        if self.signals is not None:
            self.signals.send_catch_log(linkindex_signals.records_flushed, leases=leases)

    def process_item(self, item):
        records = item.records
        self.writer.add(records.page, records.links, records.src, token=getattr(item, "lease_id", None))
        return item

    def close_spider(self):
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        if self.writer is not None:
            self.writer.close()
            if self.stats is not None:
                self.stats.set_value("parquet/files_written", len(self.writer.files_written))
                self.stats.set_value("parquet/rows/links", self.writer.rows_written["links"])
                self.stats.set_value("parquet/rows/pages", self.writer.rows_written["pages"])

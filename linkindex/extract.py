"""WARC/ARC files -> link and page records, in parallel across cores.

Each input file is one task. A task streams the file's responses through
``crawler.records.page_records`` and writes Parquet parts named after the
file, so extracting the same file again into the same crawl replaces its
parts instead of duplicating them, and two processes never share a file.
"""

from collections import Counter
from dataclasses import dataclass, field
import hashlib
import logging
import multiprocessing
import os
from pathlib import Path
import queue
import secrets
import signal
import time

from crawler.records import page_records
from linkindex.warc import WarcReadError, expand_inputs, iter_responses
from pipelines.parquet import DEFAULT_MAX_ROWS, OutputError, RecordWriter

logger = logging.getLogger(__name__)

logger = logging.getLogger(__name__)

#: How often (in records) a task reports progress to the parent process.
PROGRESS_EVERY = 200


@dataclass
class FileResult:
    path: str
    stats: Counter = field(default_factory=Counter)
    error: str | None = None
    seconds: float = 0.0

    @property
    def failure(self) -> str | None:
        """The error with the file named once (the reader's messages name it already)."""
        if self.error is None:
            return None
        return self.error if self.path in self.error else f"{self.path}: {self.error}"


def file_key(path: str) -> str:
    """A writer key for an input file: readable stem plus a hash of the full path."""
    resolved = str(Path(path).resolve())
    digest = hashlib.sha1(resolved.encode()).hexdigest()[:10]
    stem = Path(path).name.split(".")[0][:60]
    return f"{stem}-{digest}"


def new_run() -> str:
    """A token naming one extraction run's parts, so they never overwrite the last run's."""
    return secrets.token_hex(4)


def extract_file(
    path: str,
    data_dir,
    crawl_id: str,
    progress=None,
    max_rows: int = DEFAULT_MAX_ROWS,
    run: str | None = None,
) -> FileResult:
    """Extract one WARC/ARC file into ``data_dir``; never raises for bad data, only for unwritable output.

    The parts are named ``part-<file key>.<run>-<seq>``; only once the file
    is done are the parts of earlier runs of the same file removed, so an
    interrupted re-extraction leaves the earlier, complete records in place
    (and the ``links`` view counts a fetch present in both once).
    """
    result = FileResult(path)
    stats = result.stats
    started = time.perf_counter()
    base = file_key(path)
    writer = RecordWriter(data_dir, crawl_id, key=f"{base}.{run or new_run()}", max_rows=max_rows)
    reported = Counter()
    try:
        for count, response in enumerate(iter_responses(path, stats), 1):
            records = page_records(
                response.url,
                response.status,
                response.headers,
                response.body,
                response.fetched_at,
                stats,
                error=response_error(response),
                content_length=response.content_length,
                warc_file=response.warc_file,
                warc_offset=response.warc_offset,
                ip_address=response.ip_address,
            )
            if records is not None:
                writer.add(records.page, records.links, records.src)
            if progress is not None and count % PROGRESS_EVERY == 0:
                _report(progress, stats, reported)
        writer.close()
    except OutputError:
        raise  # the output cannot be written: no other file can be either
    except Exception as exc:
        # What was read before the failure is kept: it is complete records.
        # A file that fails as a whole costs that file, never the run.
        writer.close()
        result.error = str(exc) if isinstance(exc, WarcReadError) else f"{type(exc).__name__}: {exc}"
        stats["files/failed"] += 1
        if not isinstance(exc, WarcReadError):
            stats[f"files/failed/{type(exc).__name__}"] += 1
            logger.error("%s: reading stopped by %s: %s", path, type(exc).__name__, exc, exc_info=True)
    else:
        stats["files/done"] += 1
    writer.remove_parts(base)
    if progress is not None:
        _report(progress, stats, reported)
    result.seconds = time.perf_counter() - started
    return result


def _log_file(result: FileResult) -> None:
    """One line per file in the full log (``-v``, ``--log-file``); the summary counts them all and names failures."""
    if result.error:
        logger.info("%s", result.failure)
    else:
        logger.info(
            "%s: %d pages, %d links in %.1f s",
            result.path,
            result.stats["pages/seen"],
            result.stats["links/extracted"],
            result.seconds,
        )


def response_error(response) -> str | None:
    """The pages.error of a WARC response: as the reader says, or why the body is partial."""
    if response.record_type == "revisit":
        return "revisit"
    if response.error is None and response.truncated:
        # WARC-Truncated: length means the archiver's size limit cut it, as
        # the crawler's own limit does ("too_large").
        return "too_large" if response.warc_truncated == "length" else "truncated"
    return response.error


def _report(progress, stats: Counter, reported: Counter) -> None:
    delta = {}
    for name in ("pages/seen", "links/extracted"):
        delta[name] = stats[name] - reported[name]
        reported[name] = stats[name]
    progress.put(delta)


# Worker processes receive the progress queue once, at start.
_progress_queue = None


def _init_worker(progress_queue):
    global _progress_queue
    _progress_queue = progress_queue
    # Ctrl-C is the parent's to handle: it stops every worker at once.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _extract_task(path, data_dir, crawl_id, max_rows, run):
    return extract_file(path, data_dir, crawl_id, progress=_progress_queue, max_rows=max_rows, run=run)


def remove_unfinished(paths, data_dir, crawl_id: str, run: str) -> None:
    """After an interruption: remove this run's parts of the files not finished."""
    for path in paths:
        RecordWriter(data_dir, crawl_id, key=f"{file_key(path)}.{run}").remove_parts(
            f"{file_key(path)}.{run}", keep_own=False
        )


def run_extract(
    inputs: list[str],
    data_dir,
    crawl_id: str,
    workers: int | None = None,
    show_progress: bool = True,
    max_rows: int = DEFAULT_MAX_ROWS,
    console=None,
) -> tuple[Counter, list[FileResult]]:
    """Extract every input (paths, globs, path listings) into ``data_dir``.

    Returns the summed stats and one result per file. Raises ``WarcReadError``
    only for inputs that do not exist.
    """
    paths = expand_inputs(inputs)
    workers = max(1, min(workers or os.cpu_count() or 1, len(paths)))
    totals = Counter()
    results: list[FileResult] = []

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    progress = Progress(
        TextColumn("[bold]extract[/]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files · {task.fields[pages]:,} pages · {task.fields[links]:,} links · {task.fields[rate]:,.0f} pages/s"),
        TimeElapsedColumn(),
        console=console,
        disable=not show_progress,
        transient=False,
    )
    started = time.perf_counter()
    with progress:
        task = progress.add_task("extract", total=len(paths), pages=0, links=0, rate=0.0)

        def on_progress(delta):
            totals_pages = progress.tasks[0].fields["pages"] + delta.get("pages/seen", 0)
            totals_links = progress.tasks[0].fields["links"] + delta.get("links/extracted", 0)
            elapsed = max(time.perf_counter() - started, 1e-9)
            progress.update(task, pages=totals_pages, links=totals_links, rate=totals_pages / elapsed)

        run = new_run()
        finished: set[str] = set()
        try:
            if workers == 1:
                local = queue.SimpleQueue()
                for path in paths:
                    result = extract_file(path, data_dir, crawl_id, progress=local, max_rows=max_rows, run=run)
                    while not local.empty():
                        on_progress(local.get())
                    finished.add(path)
                    results.append(result)
                    _log_file(result)
                    totals.update(result.stats)
                    progress.advance(task)
            else:
                context = multiprocessing.get_context("spawn")
                progress_queue = context.Queue()
                with context.Pool(workers, initializer=_init_worker, initargs=(progress_queue,)) as pool:
                    pending = {}
                    try:
                        pending = {
                            path: pool.apply_async(_extract_task, (path, str(data_dir), crawl_id, max_rows, run))
                            for path in paths
                        }
                        while pending:
                            for path in [p for p, r in pending.items() if r.ready()]:
                                result = pending.pop(path).get()
                                finished.add(path)
                                results.append(result)
                                _log_file(result)
                                totals.update(result.stats)
                                progress.advance(task)
                            try:
                                while True:
                                    on_progress(progress_queue.get(timeout=0.1 if pending else 0))
                            except queue.Empty:
                                pass
                    except BaseException:
                        # Files done but not yet collected are done.
                        for path, pending_result in pending.items():
                            if pending_result.ready() and pending_result.successful():
                                finished.add(path)
                                results.append(pending_result.get())
                        pool.terminate()
                        raise
        except KeyboardInterrupt:
            # Files cut short leave no part behind: their earlier parts, if
            # any, stay as they were.
            remove_unfinished([p for p in paths if p not in finished], data_dir, crawl_id, run)
            raise
    results.sort(key=lambda r: r.path)
    totals["seconds"] = round(time.perf_counter() - started, 3)
    return totals, results

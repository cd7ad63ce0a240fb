"""``linkindex extract --engine spark``: WARC/ARC files to records, one Spark task per file.

The driver expands the inputs (paths, globs, listings: ``linkindex.warc.expand_inputs``)
and hands each file to an executor as one task. The task runs
``linkindex.extract.extract_file``, the same function as a local extract: the
executor writes the records through the project's Parquet writer into the
usual layout (``DIR/links/crawl_id=<id>/part-<file key>.<run>-<seq>.parquet``),
parts complete or absent, and a file extracted again replaces its earlier
parts. So the files must be readable, and ``--data`` writable, from every
executor: a shared filesystem, or an object store for ``--data``.

Failures: a damaged file is what a local extract makes of it (what was read
is kept, the file is reported as failed). A task that fails otherwise (an
executor lost, a write refused) is retried by Spark; when its last attempt
fails too, the file is reported as failed with the error, its parts of this
run are removed, and the job goes on with the other files.
"""

from collections import Counter
import os
import re
import time

from linkindex.extract import FileResult, new_run, remove_unfinished
from linkindex.warc import expand_inputs
from pipelines.parquet import DEFAULT_MAX_ROWS, is_object_store


def task_attempts(spark) -> int:
    """How many times Spark runs a failing task: ``local[N,F]`` says F, plain ``local`` never retries,
    a cluster takes ``spark.task.maxFailures`` (default 4)."""
    master = spark.sparkContext.master
    match = re.fullmatch(r"local\[[^,\]]+,\s*(\d+)\]", master)
    if match:
        return int(match.group(1))
    if master.startswith("local"):
        return 1
    return int(spark.conf.get("spark.task.maxFailures", "4"))


def _extract_task(path: str, data_dir: str, crawl_id: str, max_rows: int, run: str, attempts: int) -> dict:
    """One file, on an executor: its stats and error as plain values for the driver."""
    from pyspark import TaskContext

    from linkindex.extract import extract_file

    context = TaskContext.get()
    attempt = context.attemptNumber() if context is not None else 0
    started = time.perf_counter()
    try:
        result = extract_file(path, data_dir, crawl_id, max_rows=max_rows, run=run)
    except Exception as exc:
        if attempt + 1 < attempts:
            raise  # Spark runs the task again
        remove_unfinished([path], data_dir, crawl_id, run)
        return {
            "path": path,
            "stats": {"files/failed": 1},
            "error": f"{type(exc).__name__}: {exc} (after {attempt + 1} attempt(s))",
            "seconds": time.perf_counter() - started,
        }
    return {"path": result.path, "stats": dict(result.stats), "error": result.error, "seconds": result.seconds}


def extract(
    spark,
    inputs: list[str],
    data_dir,
    crawl_id: str,
    max_rows: int = DEFAULT_MAX_ROWS,
) -> tuple[Counter, list[FileResult]]:
    """Extract every input on ``spark``, one task per file; return the summed stats and one result per file.

    Raises ``WarcReadError`` (from the driver, before any task) for inputs
    that do not exist.
    """
    started = time.perf_counter()
    paths = [os.path.abspath(path) for path in expand_inputs(inputs)]
    data = str(data_dir) if is_object_store(data_dir) else os.path.abspath(str(data_dir).removeprefix("file://"))
    run, attempts = new_run(), task_attempts(spark)

    def task(path):
        return _extract_task(path, data, crawl_id, max_rows, run, attempts)

    rows = spark.sparkContext.parallelize(paths, numSlices=max(1, len(paths))).map(task).collect()
    totals = Counter()
    results = []
    for row in rows:
        result = FileResult(row["path"], Counter(row["stats"]), row["error"], row["seconds"])
        totals.update(result.stats)
        results.append(result)
    results.sort(key=lambda r: r.path)
    totals["seconds"] = round(time.perf_counter() - started, 3)
    return totals, results

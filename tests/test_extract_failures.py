"""Bad input costs as little as possible: one record, or one file, never the run.

The failures are injected (a real extraction, made to raise on one page or
in the middle of one file), since a real input that breaks the extractor is
a bug to fix, not a fixture to keep.
"""

import logging
from pathlib import Path
import shutil

import pyarrow.parquet as pq

import crawler.records
from linkindex import extract
from linkindex.extract import extract_file, run_extract

SAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sample.warc.gz"
BROKEN_PAGE = "https://blog.example.net/2026/09/link-graphs"


def pages_of(data_dir):
    return {row["url"]: row for row in pq.read_table(data_dir / "pages" / "crawl_id=c").to_pylist()}


def test_an_exception_while_extracting_one_record_costs_that_record_only(tmp_path, monkeypatch, caplog):
    real = crawler.records.extract_links

    def extract_links(body, url, *args, **kwargs):
        if url == BROKEN_PAGE:
            raise RuntimeError("the extractor met something new")
        return real(body, url, *args, **kwargs)

    monkeypatch.setattr(crawler.records, "extract_links", extract_links)
    with caplog.at_level(logging.ERROR):
        result = extract_file(str(SAMPLE), tmp_path, "c")

    assert result.error is None and result.stats["files/done"] == 1
    assert result.stats["pages/extract_error/RuntimeError"] == 1
    pages = pages_of(tmp_path)
    assert len(pages) == result.stats["pages/seen"] == 15
    broken = pages[BROKEN_PAGE]
    assert (broken["error"], broken["links_out"], broken["status"]) == ("extract_error:RuntimeError", 0, 200)
    assert broken["warc_offset"] == 2087
    # The records after it are all there, links included.
    assert pages["https://blog.example.net/2026/10/sql-tricks"]["links_out"] > 0
    links = pq.read_table(tmp_path / "links" / "crawl_id=c").to_pylist()
    assert {row["src_url"] for row in links} >= {"https://blog.example.net/2026/10/sql-tricks", "https://bob.github.io/"}
    assert BROKEN_PAGE not in {row["src_url"] for row in links}
    [logged] = [r for r in caplog.records if BROKEN_PAGE in r.getMessage()]
    assert f"{SAMPLE} at offset 2087" in logged.getMessage() and "RuntimeError" in logged.getMessage()


def test_a_file_that_fails_part_way_keeps_what_was_read_and_the_run_goes_on(tmp_path, monkeypatch):
    inputs = tmp_path / "in"
    inputs.mkdir()
    failing, healthy = inputs / "a.warc.gz", inputs / "b.warc.gz"
    shutil.copy(SAMPLE, failing)
    shutil.copy(SAMPLE, healthy)
    real = extract.iter_responses

    def iter_responses(path, stats, *args, **kwargs):
        for count, response in enumerate(real(path, stats, *args, **kwargs)):
            if path == str(failing) and count == 2:
                raise OSError(5, "Input/output error")
            yield response

    monkeypatch.setattr(extract, "iter_responses", iter_responses)
    data = tmp_path / "data"
    totals, results = run_extract([str(failing), str(healthy)], data, "c", workers=1, show_progress=False)

    by_path = {result.path: result for result in results}
    assert by_path[str(failing)].error == "OSError: [Errno 5] Input/output error"
    assert by_path[str(healthy)].error is None
    assert (totals["files/failed"], totals["files/failed/OSError"], totals["files/done"]) == (1, 1, 1)
    files = [row["warc_file"] for row in pq.read_table(data / "pages" / "crawl_id=c").to_pylist()]
    assert (files.count(str(failing)), files.count(str(healthy))) == (2, 15)

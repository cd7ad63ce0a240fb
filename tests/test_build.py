"""The layered, incremental build: facts once per crawl, tables from the facts, safe to interrupt.

The sample crawl is the one of helpers.py; bench/synthetic.py writes larger
web-shaped crawls where a test needs volume.
"""

import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import time

import duckdb
from helpers import HOME, POST, STORY, link, page, ts, write_parquet, write_sample
import pyarrow.parquet as pq
import pytest
from sites import ROOT, command_env

from bench.synthetic import write_crawl
from linkindex.build import FACTS, TABLES, build, machine_memory, resource_settings
from linkindex.index import IndexBuildError, open_index
from linkindex.models import model


def snapshot(data_dir) -> dict:
    """Every fact and table of the index at ``data_dir``, rows sorted."""
    with open_index(data_dir) as con:
        return {
            name: con.sql(f"select * from {name} order by all").fetchall() for name in FACTS + TABLES
        }


def add_third_crawl(data_dir: Path) -> None:
    write_parquet(
        data_dir,
        "links",
        [
            link("c3", ts(1, 9, month=3), POST, HOME, "Example again", placement="main", position=0),
            link("c3", ts(1, 9, month=3), POST, "https://shop.example.com/", "shop", rel="sponsored", position=1),
            link("c3", ts(2, 9, month=3), STORY, POST, "a blog", placement="main", position=0),
        ],
    )
    write_parquet(
        data_dir,
        "pages",
        [page("c3", ts(1, 9, month=3), POST, links_out=2), page("c3", ts(2, 9, month=3), STORY, links_out=1)],
    )


def test_an_incremental_build_computes_the_new_crawl_only_and_equals_a_full_build(tmp_path):
    data = write_sample(tmp_path / "data")
    first = build(data)
    assert first.rebuilt == ["c1", "c2"] and first.reused == []
    # every table is timed, so that a build can say where its time went
    assert set(first.table_seconds) == set(TABLES) and all(s >= 0 for s in first.table_seconds.values())
    add_third_crawl(data)
    again = build(data)
    assert (again.rebuilt, again.reused) == (["c3"], ["c1", "c2"])

    scratch = tmp_path / "scratch"
    for folder in ("links", "pages", "disavow"):
        shutil.copytree(data / folder, scratch / folder)
    full = build(scratch, full=True)
    assert full.rebuilt == ["c1", "c2", "c3"]
    assert dict(again) == dict(full)
    assert snapshot(data) == snapshot(scratch)


def test_nothing_changed_nothing_recomputed_and_full_recomputes_everything(tmp_path):
    data = write_sample(tmp_path)
    build(data)
    facts = sorted((data / "facts").rglob("*.parquet"))
    mtimes = [f.stat().st_mtime_ns for f in facts]
    again = build(data)
    assert (again.rebuilt, again.reused) == ([], ["c1", "c2"])
    assert [f.stat().st_mtime_ns for f in facts] == mtimes
    assert build(data, full=True).rebuilt == ["c1", "c2"]


def test_a_build_with_nothing_new_keeps_the_index_and_any_change_builds_it_again(tmp_path, monkeypatch):
    data = write_sample(tmp_path)
    index = data / "index.duckdb"
    first = build(data)
    kept = index.stat()

    again = build(data)
    assert again.unchanged and again.table_seconds == {}
    assert (index.stat().st_ino, index.stat().st_mtime_ns) == (kept.st_ino, kept.st_mtime_ns)
    assert dict(again) == dict(first)

    def rebuilt(**kwargs) -> bool:
        result = build(data, **kwargs)
        assert result.unchanged == (result.table_seconds == {})
        return not result.unchanged

    # a threshold, then the same one again, then back to its default
    fewer_pages = {"LINK_QUALITY_SITEWIDE_MIN_PAGES": "1"}
    assert rebuilt(quality=fewer_pages)
    assert not rebuilt(quality=fewer_pages)
    assert rebuilt()
    # an imported disavow file, rewritten
    disavow = data / "disavow" / "example.com.txt"
    disavow.write_text(disavow.read_text() + "domain:other.example\n")
    assert rebuilt()
    assert not rebuilt()
    # a new crawl
    add_third_crawl(data)
    assert rebuilt()
    # the index written by another program since
    with duckdb.connect(str(index)) as con:
        con.execute("create table notes as select 1 as note")
    assert rebuilt()
    with open_index(data) as con:
        assert con.execute("select count(*) from duckdb_tables() where table_name = 'notes'").fetchall() == [(0,)]
    # another version of the models or of linkindex
    monkeypatch.setattr("linkindex.build._code_digest", lambda: "another-version")
    assert rebuilt()
    assert not rebuilt()
    # asked for
    assert rebuilt(full=True)
    # and the index it keeps is the one a build from scratch makes
    scratch = tmp_path / "scratch"
    for folder in ("links", "pages", "disavow"):
        shutil.copytree(data / folder, scratch / folder)
    build(scratch)
    assert snapshot(data) == snapshot(scratch)


def test_a_re_extracted_crawl_is_recomputed_and_a_removed_one_leaves_the_index(tmp_path):
    data = write_sample(tmp_path)
    build(data)
    # c2 re-extracted: its part replaced by one with different records
    for table in ("links", "pages"):
        shutil.rmtree(data / table / "crawl_id=c2")
    write_parquet(data, "links", [link("c2", ts(3, month=2), POST, HOME, "Replaced", position=0)], part=7)
    write_parquet(data, "pages", [page("c2", ts(3, month=2), POST, links_out=1)], part=7)
    result = build(data)
    assert result.rebuilt == ["c2"]
    with open_index(data) as con:
        anchors = con.execute("select anchor_text from inbound_links").fetchall()
        assert ("Replaced",) in anchors
    for table in ("links", "pages"):
        shutil.rmtree(data / table / "crawl_id=c2")
    result = build(data)
    assert (result.rebuilt, result.removed) == ([], ["c2"])
    assert not (data / "facts" / "crawl_id=c2").exists()
    with open_index(data) as con:
        assert con.execute("select crawl_id from crawls").fetchall() == [("c1",)]
        assert con.execute("select count(*) from fct_backlinks where crawl_id = 'c2'").fetchall() == [(0,)]


def test_changed_fact_models_invalidate_the_facts(tmp_path, monkeypatch):
    data = write_sample(tmp_path)
    build(data)
    monkeypatch.setattr("linkindex.build.facts_version", lambda: "another-version")
    assert build(data).rebuilt == ["c1", "c2"]


def test_records_of_schema_1_0_and_1_1_build_together(tmp_path):
    data = write_sample(tmp_path)
    path = data / "pages" / "crawl_id=c1" / "part-0000.parquet"
    old = pq.read_table(path).drop_columns(["noindex", "ip_address"])
    old = old.replace_schema_metadata({b"linkindex.schema_version": b"1.0", b"linkindex.table": b"pages"})
    pq.write_table(old, path)
    write_parquet(data, "pages", [page("c1", ts(9), "https://new.example/", noindex=True, ip_address="192.0.2.1")], 5)
    write_parquet(data, "links", [link("c1", ts(9), "https://new.example/", HOME, "new", position=0)], 5)
    build(data)
    with open_index(data) as con:
        rows = con.execute("select url, noindex, ip_address from fct_pages where crawl_id = 'c1' order by url")
        rows = rows.fetchall()
    assert ("https://new.example/", True, "192.0.2.1") in rows
    assert (POST, None, None) in rows
    # A data directory of 1.0 records only: the columns still exist, as null.
    only_old = tmp_path / "old"
    (only_old / "pages" / "crawl_id=c1").mkdir(parents=True)
    shutil.copytree(data / "links" / "crawl_id=c1", only_old / "links" / "crawl_id=c1")
    shutil.copy(path, only_old / "pages" / "crawl_id=c1" / path.name)
    build(only_old)
    with open_index(only_old) as con:
        assert con.execute("select count(*) from pages where noindex is null").fetchall()[0][0] > 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"not parquet at all", "is not a readable Parquet file"),
        ("foreign", "is not a linkindex record file"),
        ("pages-in-links", "holds pages records, not links"),
    ],
)
def test_a_bad_part_is_named_and_nothing_is_half_written(tmp_path, content, message):
    data = write_sample(tmp_path)
    build(data)
    before_index = (data / "index.duckdb").read_bytes()
    before_facts = {p: p.read_bytes() for p in (data / "facts").rglob("*") if p.is_file()}
    bad = data / "links" / "crawl_id=c2" / "part-0009.parquet"
    if content == "foreign":
        pq.write_table(pq.read_table(data / "links" / "crawl_id=c2" / "part-0000.parquet").replace_schema_metadata({}), bad)
    elif content == "pages-in-links":
        shutil.copy(data / "pages" / "crawl_id=c2" / "part-0000.parquet", bad)
    else:
        bad.write_bytes(content)
    with pytest.raises(IndexBuildError, match=f"part-0009.parquet.*{message}|{message}"):
        build(data)
    assert (data / "index.duckdb").read_bytes() == before_index
    assert {p: p.read_bytes() for p in (data / "facts").rglob("*") if p.is_file()} == before_facts
    assert not list(data.glob("*.tmp")) and not list((data / "facts").glob(".*"))


def test_memory_and_thread_settings_never_exceed_the_machine():
    assert resource_settings(None, None) == {}
    assert resource_settings("512MB", 1) == {"memory_limit": f"{512_000_000 // 2**20}MiB", "threads": 1}
    huge = resource_settings("100TB", 10_000)
    assert huge["memory_limit"] == f"{machine_memory() // 2**20}MiB"
    assert huge["threads"] == os.cpu_count()
    for bad in ("lots", "4 GHz", "-1GB"):
        with pytest.raises(IndexBuildError, match="--memory-limit"):
            resource_settings(bad, None)
    with pytest.raises(IndexBuildError, match="--threads"):
        resource_settings(None, 0)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """A web-shaped crawl of 120,000 links (1,500 pages)."""
    data = tmp_path_factory.mktemp("synthetic")
    write_crawl(data, "s1", 120_000)
    return data


def test_a_build_under_a_tight_memory_limit_spills_and_finishes(synthetic, tmp_path):
    shutil.copytree(synthetic / "links", tmp_path / "links")
    shutil.copytree(synthetic / "pages", tmp_path / "pages")
    build(tmp_path, memory_limit="100MB", threads=1)
    with open_index(tmp_path) as con:
        occurrences = "select sum(occurrences) from fct_backlinks union all select sum(occurrences) from fct_internal_links"
        assert sum(row[0] for row in con.execute(occurrences).fetchall()) == 120_000
    assert not (tmp_path / ".build-tmp").exists()
    reference = tmp_path / "reference"
    shutil.copytree(synthetic / "links", reference / "links")
    shutil.copytree(synthetic / "pages", reference / "pages")
    build(reference)
    assert snapshot(tmp_path) == snapshot(reference)


def test_a_memory_limit_too_small_to_work_in_says_so(synthetic, tmp_path):
    shutil.copytree(synthetic / "links", tmp_path / "links")
    shutil.copytree(synthetic / "pages", tmp_path / "pages")
    with pytest.raises(IndexBuildError, match=r"out of memory under --memory-limit 8MB: give it more"):
        build(tmp_path, memory_limit="8MB", threads=1)
    assert not (tmp_path / "index.duckdb").exists() and not list((tmp_path / "facts").glob("*"))


def _kill_build_midway(data: Path, sig: int, marker) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "linkindex.cli", "build", "--data", str(data), "--full", "--threads", "1"],
        env=command_env(),
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 120
    while not marker() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    # DuckDB can miss a Ctrl-C that lands as a query finishes (it waits for the
    # next one); a user presses again, and so does the test.
    while process.poll() is None and time.monotonic() < deadline:
        process.send_signal(sig)
        try:
            process.wait(timeout=3)
        except subprocess.TimeoutExpired:
            pass
    process.stderr_text = process.communicate(timeout=120)[1].decode()
    return process


@pytest.mark.parametrize(("sig", "stage"), [(signal.SIGKILL, "facts"), (signal.SIGINT, "tables")])
def test_an_interrupted_build_leaves_the_previous_index_and_the_next_build_is_right(synthetic, tmp_path, sig, stage):
    data = tmp_path / "data"
    shutil.copytree(synthetic / "links", data / "links")
    shutil.copytree(synthetic / "pages", data / "pages")
    build(data)
    before = snapshot(data)
    if stage == "facts":
        process = _kill_build_midway(data, sig, lambda: any((data / "facts").glob(".tmp-*/fct_backlinks/*.parquet")))
    else:
        process = _kill_build_midway(data, sig, lambda: (data / "index.duckdb.tmp").exists())
    assert process.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL)
    if sig == signal.SIGINT:
        assert process.stderr_text.splitlines()[-1] == (
            f"interrupted: the index was not changed; run `linkindex build --data {data}` again"
        )
    assert snapshot(data) == before  # the old index, whole, over whatever facts are on disk
    build(data)
    assert snapshot(data) == before
    assert not list(data.glob("index.duckdb.*")) and not list((data / "facts").glob(".*"))


def test_fact_models_state_their_grain_and_match_their_header(tmp_path):
    data = write_sample(tmp_path)
    build(data)
    with open_index(data) as con:
        for name in FACTS:
            contract = model(name, "facts")
            described = [row[0] for row in con.execute(f"describe {name}").fetchall()]
            assert described == list(contract.column_names), name
            key = ", ".join(contract.key)
            duplicates = con.execute(f"select count(*) from (select {key} from {name} group by all having count(*) > 1)")
            assert duplicates.fetchall() == [(0,)], name

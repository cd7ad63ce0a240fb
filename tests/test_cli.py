"""The command line end to end: extract -> build -> query -> report, on real WARC files."""

import csv
import io
import json
import os
from pathlib import Path
import shutil
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

from linkindex.cli import main

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.warc.gz"
CC_SAMPLE = ROOT / "tests" / "data" / "warc" / "cc-main-2020-34-sample.warc.gz"

LINK_COLUMNS = [
    "src_url",
    "dst_url",
    "anchor_text",
    "rel",
    "nofollow",
    "ugc",
    "sponsored",
    "page_nofollow",
    "internal",
    "kind",
    "placement",
    "position",
]


def run(*args):
    return main([str(a) for a in args])


def read_rows(data, table):
    return pq.read_table(Path(data) / table, partitioning=None).to_pylist()


def sorted_links(data):
    return sorted(
        tuple(row[c] for c in LINK_COLUMNS) for row in read_rows(data, "links")
    )


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    data = tmp_path_factory.mktemp("demo")
    assert run("extract", SAMPLE, "--data", data, "--crawl-id", "demo", "--no-progress") == 0
    assert run("build", "--data", data) == 0
    return data


def link(rows, src, dst):
    matches = [r for r in rows if r["src_url"] == src and r["dst_url"] == dst]
    assert len(matches) == 1, (src, dst, matches)
    return matches[0]


def test_extract_writes_the_records_of_the_sample(demo):
    links = read_rows(demo, "links")
    pages = read_rows(demo, "pages")
    assert {r["crawl_id"] for r in links} == {"demo"}
    # Every response of the sample is a page; the PDF, the 404 and the 301 too.
    by_url = {p["url"]: p for p in pages}
    assert len(by_url) == len(pages) == 15
    assert by_url["https://example.org/download/v0.9"]["status"] == 404
    assert by_url["https://example.org/files/manual.pdf"]["links_out"] == 0
    assert by_url["https://example.org/old-docs"]["final_url"] == "https://example.org/docs/"
    assert by_url["https://links.example/directory/seo"]["page_nofollow"] is True
    assert by_url["https://www.example.de/artikel/linkanalyse"]["charset"] == "cp1252"
    assert sum(p["links_out"] for p in pages) == len(links)

    forum = link(links, "https://forum.example.co.uk/t/backlink-tools/42", "https://example.org/docs/")
    assert (forum["rel"], forum["nofollow"], forum["ugc"], forum["src_domain"]) == (
        "nofollow ugc",
        True,
        True,
        "example.co.uk",
    )
    comment = link(links, "https://blog.example.net/2026/09/link-graphs", "https://example.org/docs/sql")
    assert (comment["placement"], comment["ugc"], comment["nofollow"]) == ("comment", True, False)
    redirect = link(links, "https://example.org/old-docs", "https://example.org/docs/")
    assert (redirect["kind"], redirect["placement"], redirect["anchor_text"]) == ("redirect", None, "")
    legacy = link(links, "https://www.example.de/artikel/linkanalyse", "https://example.org/")
    assert legacy["anchor_text"] == "Example Project \u2013 Backlinks"
    area = link(links, "https://www.example.de/artikel/linkanalyse", "https://example.org/docs/")
    assert (area["kind"], area["anchor_text"]) == ("area", "Dokumentation")
    pages_io = [r for r in links if r["src_domain"] == "github.io"]
    assert pages_io == []  # github.io is a public suffix: alice.github.io is its own domain


def test_query_formats(demo, tmp_path, capsys):
    sql = "select referring_domain, backlinks from referring_domains where target_domain = 'example.org' order by 1"
    assert run("query", sql, "--data", demo, "--format", "csv") == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    domains = {r["referring_domain"]: int(r["backlinks"]) for r in rows}
    assert set(domains) == {"alice.github.io", "example.co.uk", "example.com", "example.de", "example.net", "links.example"}
    assert domains["example.co.uk"] == 2

    out = tmp_path / "rd.json"
    assert run("query", sql, "--data", demo, "--format", "json", "--output", out) == 0
    assert [json.loads(line)["referring_domain"] for line in out.read_text().splitlines()] == sorted(domains)

    parquet = tmp_path / "rd.parquet"
    assert run("query", sql, "--data", demo, "--format", "parquet", "--output", parquet) == 0
    assert pq.read_table(parquet).num_rows == len(domains)

    assert run("query", "select nonsense from nowhere", "--data", demo) == 2


def test_report(demo, capsys):
    assert run("report", "https://www.example.org/some/page", "--mode", "domain", "--data", demo) == 0
    out = capsys.readouterr().out
    assert "example.org" in out and "Referring domains" in out
    assert "alice.github.io" in out


def test_parallel_extract_equals_serial_and_reextract_replaces(tmp_path):
    inputs = [SAMPLE, CC_SAMPLE]
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    assert run("extract", *inputs, "--data", serial, "--workers", "1", "--no-progress") == 0
    assert run("extract", *inputs, "--data", parallel, "--workers", "2", "--no-progress") == 0
    assert sorted_links(serial) == sorted_links(parallel)
    assert len(sorted_links(serial)) > 1000

    before = sorted(p.name for p in (serial / "links").rglob("*.parquet"))
    assert run("extract", SAMPLE, "--data", serial, "--workers", "1", "--no-progress") == 0
    after = sorted(p.name for p in (serial / "links").rglob("*.parquet"))
    assert len(before) == len(after) == 2 and before != after  # the sample's part, replaced
    assert sorted_links(serial) == sorted_links(parallel)


def test_listing_file_and_bad_inputs(tmp_path, capsys):
    listing = tmp_path / "warc.paths"
    copy = tmp_path / "copy.warc.gz"
    shutil.copy(SAMPLE, copy)
    listing.write_text("copy.warc.gz\n")
    assert run("extract", listing, "--data", tmp_path / "d", "--no-progress") == 0
    assert len(read_rows(tmp_path / "d", "pages")) == 15

    assert run("extract", tmp_path / "missing.warc.gz", "--data", tmp_path / "d2", "--no-progress") == 2
    assert "missing.warc.gz" in capsys.readouterr().err

    garbage = tmp_path / "garbage.warc"
    garbage.write_bytes(b"this is not a web archive\n" * 10)
    assert run("extract", garbage, SAMPLE, "--data", tmp_path / "d3", "--no-progress") == 1
    assert "garbage.warc" in capsys.readouterr().out
    # The good file was still extracted.
    assert len(read_rows(tmp_path / "d3", "pages")) == 15


def test_build_without_records_is_a_clear_error(tmp_path, capsys):
    assert run("build", "--data", tmp_path) == 2
    assert "linkindex extract" in capsys.readouterr().err


def count(data, sql):
    import duckdb

    with duckdb.connect(str(Path(data) / "index.duckdb"), read_only=True) as db:
        return db.sql(sql).fetchall()[0][0]


def test_the_same_fetch_from_two_copies_of_a_warc_counts_once(tmp_path):
    for copy in ("a", "b"):
        (tmp_path / copy).mkdir()
        shutil.copy(SAMPLE, tmp_path / copy / "sample.warc.gz")
        assert run("extract", tmp_path / copy / "sample.warc.gz", "--data", tmp_path / "d", "--no-progress") == 0
    assert run("build", "--data", tmp_path / "d") == 0
    assert count(tmp_path / "d", "select count(*) from links_all") == 86
    assert count(tmp_path / "d", "select count(*) from links") == 43
    assert count(tmp_path / "d", "select backlinks from domain_summary where target_domain = 'example.org'") == 16


def test_a_later_revisit_does_not_hide_the_links_of_the_page(tmp_path):
    from io import BytesIO

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    path = tmp_path / "revisit.warc.gz"
    body = b'<html><body><a href="http://other.example/">other</a></body></html>'
    with open(path, "wb") as out:
        writer = WARCWriter(out, gzip=True)
        for kind, date in (("response", "2026-10-01T00:00:00Z"), ("revisit", "2026-10-02T00:00:00Z")):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
            if kind == "response":
                record = writer.create_warc_record(
                    "http://page.example/", "response", payload=BytesIO(body), http_headers=headers,
                    warc_headers_dict={"WARC-Date": date},
                )
            else:
                record = writer.create_revisit_record(
                    "http://page.example/", digest="sha1:AAAA", refers_to_uri="http://page.example/",
                    refers_to_date="2026-10-01T00:00:00Z", http_headers=headers,
                    warc_headers_dict={"WARC-Date": date},
                )
            writer.write_record(record)
    assert run("extract", path, "--data", tmp_path / "d", "--no-progress") == 0
    assert run("build", "--data", tmp_path / "d") == 0
    assert count(tmp_path / "d", "select count(*) from pages_all") == 2
    # The fetch that counts is the one that had a body: a revisit says "unchanged", so the
    # page's status and links are those of the response it refers to.
    assert count(tmp_path / "d", "select error from pages") is None
    assert count(tmp_path / "d", "select count(*) from links") == 1


def test_ctrl_c_stops_a_parallel_extract_and_leaves_only_whole_files(tmp_path):
    from collections import Counter
    import signal
    import subprocess
    import sys
    import time

    inputs = tmp_path / "in"
    inputs.mkdir()
    for i in range(200):
        shutil.copy(CC_SAMPLE, inputs / f"copy{i:03d}.warc.gz")
    data = tmp_path / "d"
    command = [sys.executable, "-m", "linkindex.cli", "extract", str(inputs), "--data", str(data), "--workers", "2", "--no-progress"]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 60
    while not list(data.rglob("part-*.parquet")) and time.monotonic() < deadline:
        time.sleep(0.05)
    started = time.monotonic()
    import os

    os.killpg(process.pid, signal.SIGINT)  # as a terminal's Ctrl-C does: the whole group
    stderr = process.communicate(timeout=30)[1]
    assert process.returncode == 130
    # The message ends the output. (Under heavy load a worker still starting its interpreter may print a
    # KeyboardInterrupt traceback of its own first, with no line break before the message.)
    assert "interrupted: the files finished are recorded" in stderr.strip().splitlines()[-1]
    assert f"run `linkindex extract {inputs} --data {data}` to extract them all" in stderr
    assert time.monotonic() - started < 15
    assert not list(data.rglob("*.tmp"))  # not even hidden temporary files
    parts = list(data.rglob("part-*.parquet"))
    if parts:  # the files finished before the interruption, each whole
        per_file = Counter(row["warc_file"] for row in read_rows(data, "pages"))
        assert len(per_file) < 200
        assert len(set(per_file.values())) == 1


def test_the_spark_engine_says_how_to_get_spark_when_pyspark_is_missing(tmp_path):
    # A pyspark that cannot be imported, first on the path: as on a machine without the extra.
    (tmp_path / "pyspark").mkdir()
    (tmp_path / "pyspark" / "__init__.py").write_text("raise ImportError('No module named pyspark')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(ROOT)])}
    for command in (
        ["build", "--engine", "spark", "--data", str(tmp_path), "--output", str(tmp_path / "out")],
        ["extract", str(SAMPLE), "--engine", "spark", "--data", str(tmp_path)],
    ):
        done = subprocess.run(
            [sys.executable, "-m", "linkindex.cli", *command], env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 2, done.stderr
        assert "pip install 'linkindex[spark]'" in " ".join(done.stderr.split())
        assert "Traceback" not in done.stderr


def test_engine_options_go_with_their_engine(tmp_path, capsys):
    assert run("build", "--data", tmp_path, "--master", "local[2]") == 2
    assert "--master go with --engine spark" in capsys.readouterr().err
    assert run("build", "--data", tmp_path, "--output", tmp_path / "out") == 2
    assert "--output goes with --engine spark" in " ".join(capsys.readouterr().err.split())
    assert run("build", "--engine", "spark", "--data", tmp_path, "--threads", 2, "--output", tmp_path / "o") == 2
    assert "--threads cannot be used with --engine spark" in " ".join(capsys.readouterr().err.split())
    assert run("build", "--engine", "spark", "--data", tmp_path) == 2
    assert "give --output DEST" in " ".join(capsys.readouterr().err.split())
    assert run("extract", SAMPLE, "--engine", "spark", "--workers", 2, "--data", tmp_path) == 2
    assert "--workers cannot be used with --engine spark" in " ".join(capsys.readouterr().err.split())

"""The command line as a person uses it, through the real ``linkindex`` process.

Exit codes, where messages go, what a pipe, a file and a terminal get from
``query``, help texts, and the small things a first hour turns up. Crawls
(logs, resuming) are in test_crawl.py, workers in test_distributed.py.
"""

import os
from pathlib import Path
import pty
import re
import subprocess
import sys

import pytest
from sites import command_env

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "sample.warc.gz"
LONG_URL = "https://www.example.org/" + "section/" * 40 + "page.html?session=" + "0123456789" * 5
LONG_TEXT = "anchor words " * 40


def env() -> dict:
    """The environment of a user who set nothing linkindex reads."""
    values = command_env()
    for name in ("REDIS_URL", "LINKINDEX_DATA", "LINKINDEX_CRAWL_ID", "COLUMNS", "LINES"):
        values.pop(name, None)
    return values


def linkindex(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "linkindex.cli", *map(str, args)],
        env=env(),
        capture_output=True,
        text=True,
        timeout=60,
        **kwargs,
    )


def in_a_terminal(*args, columns: int = 100) -> str:
    """What ``linkindex`` shows in a terminal ``columns`` wide (stdout and stderr, escapes removed)."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "linkindex.cli", *map(str, args)],
        env={**env(), "COLUMNS": str(columns), "LINES": "50", "TERM": "dumb"},
        stdin=subprocess.DEVNULL,
        stdout=secondary,
        stderr=secondary,
    )
    os.close(secondary)
    chunks = []
    while True:
        try:
            chunk = os.read(primary, 65536)
        except OSError:  # the other side closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(primary)
    assert process.wait(timeout=60) == 0
    return re.sub(r"\x1b\[[0-9;?]*[a-zA-Z]", "", b"".join(chunks).decode()).replace("\r\n", "\n")


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    """A data directory with records and an index, made by the commands a user runs."""
    data = tmp_path_factory.mktemp("index")
    assert linkindex("extract", SAMPLE, "--data", data, "--no-progress").returncode == 0
    assert linkindex("build", "--data", data).returncode == 0
    return data


def query_long_values(data, *options) -> subprocess.CompletedProcess:
    sql = f"select '{LONG_URL}' as url, '{LONG_TEXT}' as anchor, 7 as n"
    return linkindex("query", sql, "--data", data, *options)


# -- output ---------------------------------------------------------------------


def test_a_pipe_and_a_file_get_every_value_whole(index, tmp_path):
    piped = query_long_values(index)
    assert piped.returncode == 0
    assert LONG_URL in piped.stdout and LONG_TEXT.strip() in piped.stdout
    assert "shortened" not in piped.stdout + piped.stderr
    assert piped.stdout.rstrip().endswith("(1 row)")

    vertical = query_long_values(index, "--vertical")
    # Trailing blanks are no part of what a reader sees (older Rich drops them).
    lines = [line.rstrip() for line in vertical.stdout.splitlines()[1:4]]
    assert lines == [f"url    | {LONG_URL}", f"anchor | {LONG_TEXT.rstrip()}", "n      | 7"]

    out = tmp_path / "out.txt"
    written = query_long_values(index, "--output", out)
    assert written.returncode == 0 and written.stdout == ""
    assert written.stderr.strip() == f"wrote 1 row to {out}"
    assert LONG_URL in out.read_text()

    many = linkindex("query", "select * from range(120)", "--data", index)
    assert many.stdout.splitlines()[-1] == "(120 rows)"  # no row limit for a pipe


def test_a_terminal_folds_urls_shortens_other_text_and_says_so(index):
    sql = f"select '{LONG_URL}' as url, '{LONG_TEXT}' as anchor"
    shown = in_a_terminal("query", sql, "--data", index)
    rows = [line for line in shown.splitlines() if "│" in line]
    # The URL is folded over several lines of its column, every character kept.
    assert len(rows) > 3
    assert "".join(line.split("│")[0].strip() for line in rows) == LONG_URL
    anchor = " ".join(line.split("│")[1].strip() for line in rows).strip()
    assert anchor.endswith("…") and len(anchor) < len(LONG_TEXT)
    assert shown.count("values shortened; use --format csv or --vertical") == 1

    vertical = in_a_terminal("query", sql, "--data", index, "--vertical")
    assert "shortened" not in vertical
    assert re.sub(r"\s+", "", vertical).find(f"url|{LONG_URL}") >= 0


def test_several_statements_show_the_last_result_and_an_empty_query_is_an_error(index):
    done = linkindex("query", "select 1 as first; select 2 as second", "--data", index, "--format", "csv")
    assert (done.returncode, done.stdout) == (0, "second\n2\n")
    for empty in ("", "  ;  ", "-- nothing"):
        done = linkindex("query", empty, "--data", index)
        assert done.returncode == 2 and done.stderr.startswith("error: empty query")


def test_summaries_speak_words(tmp_path):
    garbage = tmp_path / "notes.warc"
    garbage.write_text("these are notes, not a web archive\n" * 5)
    log = tmp_path / "extract.log"
    done = linkindex("extract", SAMPLE, garbage, "--data", tmp_path / "d", "--no-progress", "--log-file", log)
    assert done.returncode == 1  # one file failed, the other was extracted
    assert done.stderr == ""  # quiet: the full log went to the file, a line per file
    assert f"[linkindex.extract] INFO: {SAMPLE}: 15 pages, 43 links" in log.read_text()
    assert "files extracted" in done.stdout and "HTTP errors" in done.stdout
    assert not re.search(r"\b[a-z_]+/[a-z_]+\b", done.stdout.replace(str(tmp_path), "").replace("pages/s", ""))
    # The reader names the file; it is not named twice.
    (failed,) = [line for line in done.stdout.splitlines() if line.startswith("file failed:")]
    assert failed.count("notes.warc") == 1


# -- exit codes -------------------------------------------------------------------


def test_exit_codes(index, tmp_path):
    known = linkindex("report", "example.org", "--data", index)
    assert known.returncode == 0 and "Backlink profile of example.org" in known.stdout

    unknown = linkindex("report", "not-indexed.example", "--data", index)
    assert unknown.returncode == 1
    assert "No backlinks to not-indexed.example" in unknown.stderr and unknown.stdout == ""

    # Could not start: a missing input, a bad option (shown with its command's usage), a bad value.
    assert linkindex("extract", tmp_path / "missing.warc.gz", "--data", tmp_path / "d").returncode == 2
    wrong = linkindex("report", "example.org", "--data", index, "--colour")
    assert wrong.returncode == 2
    assert wrong.stderr.startswith("usage: linkindex report") and "unrecognized arguments: --colour" in wrong.stderr
    negative = linkindex("crawl", "https://example.com/", "--max-depth", "-3", "--data", tmp_path / "d")
    assert negative.returncode == 2 and "--max-depth: -3 is negative" in negative.stderr
    assert not (tmp_path / "d").exists()


# -- help ---------------------------------------------------------------------------


def test_help_lists_commands_in_workflow_order_with_an_example():
    done = linkindex("--help")
    assert done.returncode == 0
    listed = re.findall(r"^    (\S+)\s", done.stdout, re.M)
    assert listed[:5] == ["crawl", "extract", "build", "report", "query"]
    assert "example:\n  linkindex crawl" in done.stdout


def test_every_command_and_option_has_help_and_shows_its_default():
    from crawler import defaults
    from linkindex.cli import build_parser

    parser = build_parser()
    for name, command in parser.commands.items():
        assert command.description and command.epilog.startswith("example:"), name
        for action in command._actions:
            assert action.help, f"linkindex {name} {action.option_strings or action.dest}: no help"
    crawl = linkindex("crawl", "--help").stdout
    assert f"(default: {defaults.DEFAULT_MAX_DEPTH})" in crawl
    assert f"(default: {defaults.DEFAULT_MAX_PAGES_PER_DOMAIN:,})" in crawl
    query_help = linkindex("query", "--help").stdout
    assert "docs/tables.md" in query_help and "referring_domains" in query_help and "inbound_links" in query_help
    assert "the result of the last one" in query_help
    report_help = linkindex("report", "--help").stdout
    assert "referring domains" in report_help and "anchors" in report_help


# -- the small things -------------------------------------------------------------


def test_missing_things_say_the_whole_way_at_once(tmp_path):
    nothing = linkindex("report", "example.org", "--data", tmp_path / "nothing")
    assert nothing.returncode == 2
    assert "linkindex crawl SEED_URL" in nothing.stderr and "linkindex extract" in nothing.stderr
    assert "then `linkindex build" in nothing.stderr

    seeds = linkindex("crawl", "--seeds-file", tmp_path / "seeds.txt", "--data", tmp_path / "d")
    assert seeds.returncode == 2
    missing = tmp_path / "seeds.txt"
    assert seeds.stderr.strip() == f"error: cannot read the seeds file {missing}: no such file or directory"

    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    crawl = linkindex("crawl", "https://www.example.com/", "--data", not_a_directory)
    assert crawl.returncode == 2 and "check --data" in crawl.stderr and "Traceback" not in crawl.stderr

    # A file that yields no record leaves no empty partition folders behind.
    garbage = tmp_path / "garbage.warc"
    garbage.write_bytes(b"\x00 not an archive" * 10)
    assert linkindex("extract", garbage, "--data", tmp_path / "d", "--no-progress").returncode == 1
    assert [p for p in (tmp_path / "d").rglob("*")] == []

"""`make demo`'s script: the example web crawled twice, the index built, a report, the web interface.

Runs ``python -m examples.demo`` as the Makefile does, on the real crawler and
a real server, and checks what a newcomer reads: the lost backlinks that the
report lists are the ones version 2 of the example web removed, and the URL
it prints opens the overview of the reported domain.
"""

import os
from pathlib import Path
import signal
import subprocess
import sys
import urllib.request

import pytest

from examples.demo import DOMAIN, MARKER
from examples.web import V1, V2, expected_link_changes

ROOT = Path(__file__).resolve().parents[1]


def host(url: str) -> str:
    return url.split("/")[2]


def demo(*args, **kwargs):
    env = dict(os.environ, COLUMNS="300")  # wide enough that no URL of the report wraps
    return subprocess.run(
        [sys.executable, "-m", "examples.demo", *map(str, args)], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300, **kwargs,
    )  # fmt: skip


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    data = tmp_path_factory.mktemp("demo") / "demo-data"
    done = demo(data, "--no-serve")
    assert done.returncode == 0, done.stderr[-3000:]
    return data, done.stdout


def test_the_demo_crawls_twice_builds_and_reports_the_lost_links_of_version_2(finished):
    data, out = finished
    assert "crawl v1 done" in out and "crawl v2 done" in out
    assert (data / "index.duckdb").exists() and (data / MARKER).exists()
    lost = {
        (event.src_url, event.dst_url, event.reason)
        for event in expected_link_changes(V1, V2)
        if event.event == "lost" and host(event.dst_url).endswith(DOMAIN) and not host(event.src_url).endswith(DOMAIN)
    }
    assert lost, "version 2 of the example web removes backlinks of the shop"
    listed = out[out.index("Top lost backlinks") :]
    for src_url, dst_url, reason in lost:
        row = next((line for line in listed.splitlines() if src_url in line and dst_url in line), None)
        assert row is not None and reason in row, (src_url, dst_url, reason)


def test_a_demo_directory_is_started_afresh_and_any_other_is_refused(finished, tmp_path):
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    refused = demo(mine, "--no-serve")
    assert refused.returncode != 0 and "was not made by the demo" in refused.stderr
    assert (mine / "notes.txt").read_text() == "keep me"


def test_the_printed_url_opens_the_overview_and_ctrl_c_stops_the_server(finished):
    data, _ = finished
    server = subprocess.Popen(
        [sys.executable, "-c", "import sys; from examples.demo import _serve; sys.exit(_serve(sys.argv[1], 0))", data],
        cwd=ROOT, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = ""
        while "Open the overview" not in line:  # the server's own lines may come first
            line = server.stdout.readline()
            assert line, "the demo ended without printing the overview's URL"
        opened = line.rsplit(": ", 1)[1].strip()
        assert opened.endswith(f"/domain/{DOMAIN}")
        with urllib.request.urlopen(opened, timeout=30) as answer:
            assert answer.status == 200
            assert f"Backlink profile of <span class=\"domain\">{DOMAIN}</span>" in answer.read().decode()
        server.send_signal(signal.SIGINT)
        rest = server.communicate(timeout=30)[0]
        assert server.returncode == 0
        assert f"The data stays in {data}" in rest
    finally:
        if server.poll() is None:
            server.kill()

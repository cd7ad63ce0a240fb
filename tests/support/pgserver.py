"""A real PostgreSQL server on a free loopback port, for tests and benchmarks.

Uses the system's binaries (Debian's ``postgresql`` package puts them under
``/usr/lib/postgresql/<version>/bin``; ``pg_config --bindir`` or ``PATH``
elsewhere). PostgreSQL refuses to run as root: when we are root, ``initdb``
and ``pg_ctl`` run as an unprivileged user (``postgres``, which the package
creates) through ``runuser``, in a temporary directory that user owns. The
server listens on 127.0.0.1 only, with password (SCRAM) authentication, and
its Unix socket in that directory.

    server = PostgresServer().start()
    server.url            # postgresql://linkindex:<password>@127.0.0.1:<port>/linkindex
    server.psql("select 1")
    server.stop()

``durable=False`` (the tests' default) turns fsync off: fast, and lost on a
crash of the machine, which a test does not care about. Benchmarks keep the
server's durable defaults.
"""

import os
from pathlib import Path
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time

#: The unprivileged user the server runs as when we are root.
SERVER_USER = "postgres"


class PostgresNotFound(RuntimeError):
    """No PostgreSQL server binaries (or no user to run them as)."""


def _version_key(path: Path):
    try:
        return float(path.parent.name)
    except ValueError:
        return 0.0


def postgres_bindir() -> Path | None:
    """The directory of ``initdb``, ``pg_ctl`` and ``postgres``, newest version first; None if absent."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=_version_key, reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            found = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, timeout=10)
            candidates.append(Path(found.stdout.strip()))
        except (OSError, subprocess.SubprocessError):
            pass
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(initdb).parent)
    for bindir in candidates:
        if all((bindir / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def psql_binary() -> str | None:
    bindir = postgres_bindir()
    if bindir is not None and (bindir / "psql").is_file():
        return str(bindir / "psql")
    return shutil.which("psql")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unavailable_reason() -> str | None:
    """Why a server cannot be started here, or None if it can."""
    if postgres_bindir() is None:
        return "no PostgreSQL server binaries: install them (apt-get install postgresql postgresql-client)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root, and no {SERVER_USER!r} user to run PostgreSQL as (apt's postgresql makes it)"
    return None


class PostgresServer:
    """Start and stop one PostgreSQL server with one database and one password-protected superuser."""

    def __init__(
        self, port: int | None = None, *, durable: bool = False, settings: dict | None = None, parent=None
    ):
        self.port = port or free_port()
        self.user = "linkindex"
        self.password = secrets.token_hex(12)
        self.database = "linkindex"
        self.durable = durable
        self.settings = settings or {}
        self.parent = parent  # where the server's directory goes (default: the system's temporary directory)
        self.directory: Path | None = None
        self.bindir: Path | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}"

    def url_without_password(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{self.database}"

    @property
    def data_dir(self) -> Path:
        return self.directory / "data"

    def _as_server_user(self, args: list[str]) -> list[str]:
        if os.geteuid() == 0:
            return ["runuser", "-u", SERVER_USER, "--", *args]
        return args

    def _run(self, args: list[str], timeout: float = 120) -> None:
        done = subprocess.run(self._as_server_user(args), capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            log = self.directory / "server.log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(args[:2])} failed ({done.returncode}): {done.stderr.strip()}\n{tail}")

    def start(self) -> "PostgresServer":
        reason = unavailable_reason()
        if reason:
            raise PostgresNotFound(reason)
        self.bindir = postgres_bindir()
        # Not under pytest's tmp_path: its parents are private to root, and the server user must reach it.
        self.directory = Path(tempfile.mkdtemp(prefix="linkindex-pg-", dir=self.parent))
        password_file = self.directory / "password"
        password_file.write_text(self.password + "\n")
        if os.geteuid() == 0:
            server_user = pwd.getpwnam(SERVER_USER)
            for path in (self.directory, password_file):
                os.chown(path, server_user.pw_uid, server_user.pw_gid)
        self._run(
            [
                str(self.bindir / "initdb"),
                "-D", str(self.data_dir),
                "-U", self.user,
                f"--pwfile={password_file}",
                "--auth=scram-sha-256",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ]
        )
        password_file.unlink()
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "port": self.port,
            "unix_socket_directories": f"'{self.directory}'",
            "max_connections": 20,
            **({} if self.durable else {"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"}),
            **self.settings,
        }
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            for name, value in settings.items():
                conf.write(f"{name} = {value}\n")
        self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-l", str(self.directory / "server.log"),
                   "-w", "-t", "60", "start"])
        self.psql(f"create database {self.database}", database="postgres")
        return self

    def stop(self) -> None:
        if self.directory is None:
            return
        try:
            if (self.data_dir / "postmaster.pid").exists():
                self._run([str(self.bindir / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"])
        finally:
            shutil.rmtree(self.directory, ignore_errors=True)
            self.directory = None

    def environment(self) -> dict:
        """Environment for libpq clients (psql) that reach this server with its password."""
        return {
            **os.environ,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": self.user,
            "PGPASSWORD": self.password,
            "PGDATABASE": self.database,
        }

    def psql(self, sql: str, *, database: str | None = None, timeout: float = 600) -> str:
        """Run SQL (psql meta-commands such as ``\\copy`` included) through psql; return its output."""
        psql = psql_binary()
        if psql is None:
            raise PostgresNotFound("no psql: install it (apt-get install postgresql-client)")
        env = self.environment()
        if database:
            env["PGDATABASE"] = database
        done = subprocess.run(
            [psql, "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql failed: {done.stderr.strip()}")
        return done.stdout

    def wait_until(self, sql: str, timeout: float = 30) -> str:
        """Run ``sql`` until it returns something other than nothing, 'f' or '0'; return that."""
        deadline = time.monotonic() + timeout
        while True:
            out = self.psql(sql).strip()
            if out not in ("", "f", "0"):
                return out
            if time.monotonic() > deadline:
                raise TimeoutError(f"still nothing after {timeout} s: {sql}")
            time.sleep(0.05)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

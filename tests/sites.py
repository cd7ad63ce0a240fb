"""A virtual web of many hosts, served by one HTTP server on 127.0.0.1.

The crawler reaches it as its HTTP proxy (``http_proxy=http://127.0.0.1:PORT``):
a proxied request names the whole URL (``GET http://www.example.com/a HTTP/1.1``),
so one local port answers for every host name of the site, and no name is
ever resolved. Requests sent straight to the server (``GET /a``) are routed
by their Host header instead, so a seed ``http://127.0.0.1:PORT/`` works too.

A site is ``{host: {path: Resource}}``. Hosts in ``Site.traps`` also answer
the generated trap paths:

``/calendar/<year>/<month>``
    an endless calendar: every month links to the next one.
``/s/<session>/page``
    a session-id loop: every page links to itself under a longer session id.

Every request is logged (host, path, arrival time), so a test can assert
exactly what was fetched, how often, and when. ``command_env(proxy)`` is the
environment to run the project's commands with, pointed at the site.
"""

from collections import Counter
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import os
from pathlib import Path
import re
import threading
import time
from urllib.parse import urlsplit

import pytest

HTML = "text/html; charset=utf-8"
#: The project root: commands run with it on PYTHONPATH, installed or not.
ROOT = Path(__file__).absolute().parents[1]
PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")


def command_env(proxy: str | None = None, no_proxy: str | None = None) -> dict:
    """This process's environment with ``proxy`` (or none) as its only proxy settings."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}
    if proxy:
        env["http_proxy"] = proxy
    if no_proxy:
        env["no_proxy"] = no_proxy
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


@dataclass(frozen=True)
class Resource:
    """One response: status, headers (name, value pairs), body; ``delay`` seconds before it is sent."""

    body: bytes = b""
    status: int = 200
    headers: tuple[tuple[str, str], ...] = ()
    delay: float = 0.0


def page(body: str, content_type: str = HTML, status: int = 200, headers=(), delay: float = 0.0) -> Resource:
    """An HTML page (UTF-8 unless ``content_type`` says otherwise)."""
    return Resource(body.encode("utf-8"), status, (("Content-Type", content_type), *headers), delay)


def html(title: str, *links: str, head: str = "", headers=(), delay: float = 0.0) -> Resource:
    """A small UTF-8 page titled ``title`` whose body is ``links`` (HTML snippets) in order."""
    return page(
        f"<!doctype html><html><head><title>{title}</title>{head}</head>"
        f"<body>{''.join(links)}</body></html>",
        headers=headers,
        delay=delay,
    )


def redirect(location: str, status: int = 301) -> Resource:
    return Resource(b"", status, (("Location", location),))


def robots(text: str) -> Resource:
    return Resource(text.encode(), 200, (("Content-Type", "text/plain"),))


NOT_FOUND = page("<html><title>Not found</title></html>", status=404)
#: Answers with bytes that are not HTTP, and hangs up.
BROKEN = Resource(b"this is not HTTP\r\n\r\n", 0)


@dataclass(frozen=True)
class Hit:
    """One request the server received."""

    host: str
    path: str
    at: float  # time.monotonic() of arrival
    proxied: bool
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    @property
    def url(self) -> str:
        """The URL asked for, without the port of a direct request."""
        return f"http://{self.host}{self.path}"


_CALENDAR = re.compile(r"^/calendar/(\d+)/(\d+)$")
_SESSION = re.compile(r"^/s/([0-9a-z]+)/page$")


@dataclass
class Site:
    hosts: dict[str, dict[str, Resource]]
    #: Hosts that also serve the generated trap paths.
    traps: frozenset[str] = frozenset()
    hits: list[Hit] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def resolve(self, host: str, path: str) -> Resource:
        resource = self.hosts.get(host, {}).get(path)
        if resource is not None:
            return resource
        if host in self.traps:
            return self._trap(path) or NOT_FOUND
        return NOT_FOUND

    def _trap(self, path: str) -> Resource | None:
        if match := _CALENDAR.match(path):
            year, month = int(match[1]), int(match[2])
            following = (year + month // 12, month % 12 + 1)
            return html(
                f"Calendar {year}-{month:02d}",
                f'<a href="/calendar/{following[0]}/{following[1]}">next month</a>',
            )
        if match := _SESSION.match(path):
            # A new session id on every page: the URL grows by 8 characters a hop.
            return html(f"Session {match[1]}", f'<a href="/s/{match[1]}x1234567/page">again</a>')
        return None

    def log(self, hit: Hit) -> None:
        with self._lock:
            self.hits.append(hit)

    # -- what a test asserts on ------------------------------------------

    def fetched(self, include_robots: bool = False) -> Counter:
        """URLs requested, with how often."""
        with self._lock:
            hits = list(self.hits)
        return Counter(h.url for h in hits if include_robots or h.path != "/robots.txt")

    def hits_of(self, host: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.host == host]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "linkindex-test-site"

    def do_GET(self):
        site: Site = self.server.site
        if "://" in self.path:  # proxy form: the whole URL
            parts = urlsplit(self.path)
            host, path, proxied = (parts.hostname or ""), (parts.path or "/"), True
            if parts.query:
                path += f"?{parts.query}"
        else:
            host, path, proxied = (self.headers.get("Host") or "").rsplit(":", 1)[0], self.path, False
        site.log(Hit(host, path, time.monotonic(), proxied, tuple(self.headers.items())))
        resource = site.resolve(host, path)
        if resource.delay:
            time.sleep(resource.delay)
        if resource is BROKEN:
            self.wfile.write(resource.body)
            self.close_connection = True
            return
        self.send_response(resource.status)
        for name, value in resource.headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(resource.body)))
        self.end_headers()
        try:
            self.wfile.write(resource.body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the crawler cut the download off (size limit), as it may

    def log_message(self, format, *args):
        pass  # the hit log says it all


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up is not the test's business


@contextmanager
def serve(site: Site):
    """Serve ``site`` on 127.0.0.1, a free port; yield the base URL ``http://127.0.0.1:PORT``."""
    server = _Server(("127.0.0.1", 0), _Handler)
    server.site = site
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def site_server():
    """``start(site) -> base URL``: serve sites until the test ends."""
    with ExitStack() as stack:
        yield lambda site: stack.enter_context(serve(site))


def generated_site(hosts: list[str], pages_per_host: int, delay: float = 0.0, external: str = "elsewhere.example") -> Site:
    """A site of ``pages_per_host`` pages on each host: page i links to pages
    2i+1 and 2i+2 (a tree, so every page is reachable), back to the home
    page, to the same page on the next host, and out to ``external``."""
    site = {}
    for number, host in enumerate(hosts):
        following = hosts[(number + 1) % len(hosts)]
        pages = {"/robots.txt": robots("User-agent: *\nDisallow:\n")}
        for i in range(pages_per_host):
            links = [f'<a href="/p/{child}">page {child}</a>' for child in (2 * i + 1, 2 * i + 2) if child < pages_per_host]
            links.append('<a href="/p/0">home</a>')
            links.append(f'<a href="http://{following}/p/{i}">{following} {i}</a>')
            links.append(f'<a href="http://{external}/from/{host}/{i}" rel="nofollow">out</a>')
            pages[f"/p/{i}"] = html(f"{host} page {i}", *links, delay=delay)
        site[host] = pages
    return Site(site)

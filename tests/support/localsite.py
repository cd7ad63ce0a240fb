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

Every request is logged (host, path, arrival time), so a caller can see
exactly what was fetched, how often, and when. ``proxy_env(proxy)`` is the
environment to run a crawler process with, pointed at the site.

The tests crawl hand-written sites and small ``generated_site`` ones; the
benchmarks (``python -m bench crawl``, ``bench distributed``) crawl large
``generated_site`` ones with pages the size of real pages.
"""

from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
import os
import random
import re
import threading
import time
from urllib.parse import urlsplit

HTML = "text/html; charset=utf-8"
PROXY_VARIABLES = ("http_proxy", "https_proxy", "no_proxy", "all_proxy")


def proxy_env(proxy: str | None = None, no_proxy: str | None = None) -> dict:
    """This process's environment with ``proxy`` (or none) as its only proxy settings."""
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}
    if proxy:
        env["http_proxy"] = proxy
    if no_proxy:
        env["no_proxy"] = no_proxy
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

    # -- what a caller looks at ------------------------------------------

    def fetched(self, include_robots: bool = False) -> Counter:
        """URLs requested, with how often."""
        with self._lock:
            hits = list(self.hits)
        return Counter(h.url for h in hits if include_robots or h.path != "/robots.txt")

    def hits_of(self, host: str) -> list[Hit]:
        with self._lock:
            return [h for h in self.hits if h.host == host]

    def clear(self) -> None:
        """Forget the requests received so far."""
        with self._lock:
            self.hits.clear()

    def page_hits(self) -> list[Hit]:
        """Requests for anything but robots.txt, in order of arrival."""
        with self._lock:
            return [h for h in self.hits if h.path != "/robots.txt"]

    def page_count(self) -> int:
        """Resources the site holds, robots.txt files aside."""
        return sum(1 for pages in self.hosts.values() for path in pages if path != "/robots.txt")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "linkindex-local-site"
    # Headers and body go out in two writes: with Nagle's algorithm the body
    # would wait for the client's delayed ACK of the headers (40 ms).
    disable_nagle_algorithm = True

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
    """One thread per connection; crawlers keep their connections open."""

    daemon_threads = True
    # Dozens of crawler connections open at once: the default backlog of 5
    # would drop some and make them retry a second later.
    request_queue_size = 256

    def handle_error(self, request, client_address):
        pass  # a client that hangs up is not the server's business


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


def generated_site(
    hosts: list[str],
    pages_per_host: int,
    delay: float = 0.0,
    external: str = "elsewhere.example",
    *,
    links: int = 0,
    page_bytes: int = 0,
    seed: int = 0,
) -> Site:
    """A site of ``pages_per_host`` pages on each host: page i links to pages
    2i+1 and 2i+2 (a tree, so every page is reachable), back to the home
    page, to the same page on the next host, and out to ``external``.

    With ``links``, each page also links, from within its text, to that many
    pages picked at random (``seed``): seven in ten on its own host, one on
    another host, two on other sites. With ``page_bytes``, pages are padded
    to about that size with markup such as real pages carry (a fifth of it
    script and style in the head, the rest nested blocks of text).
    """
    rng = random.Random(seed)
    padded = links or page_bytes
    site = {}
    for number, host in enumerate(hosts):
        following = hosts[(number + 1) % len(hosts)]
        pages = {"/robots.txt": robots("User-agent: *\nDisallow:\n")}
        for i in range(pages_per_host):
            tree = [f'<a href="/p/{child}">page {child}</a>' for child in (2 * i + 1, 2 * i + 2) if child < pages_per_host]
            tree.append('<a href="/p/0">home</a>')
            tree.append(f'<a href="http://{following}/p/{i}">{following} {i}</a>')
            tree.append(f'<a href="http://{external}/from/{host}/{i}" rel="nofollow">out</a>')
            if not padded:
                pages[f"/p/{i}"] = html(f"{host} page {i}", *tree, delay=delay)
                continue
            title = f"{host} page {i}"
            body = _padded_page(title, tree, _random_links(rng, hosts, pages_per_host, links), page_bytes, rng)
            pages[f"/p/{i}"] = Resource(body, 200, (("Content-Type", HTML),), delay)
        site[host] = pages
    return Site(site)


_WORDS = (
    "the of and to in is that for it as was with be by on not this are or from at which but have an they "
    "you were their one all we can her has there been if more when will would who so no out up into do any "
    "your what time about than other its only over some could new these may also after most first used such "
    "web page link index crawl search report data site domain anchor archive record table query server"
).split()
_TAGS = ("p", "li", "td", "span", "div")
#: Style and script text, as real pages carry in their head.
_CSS = ".c{margin:0 auto;max-width:72rem}.n a{color:#135;text-decoration:none}.b{padding:.5em 0}"
_JS = (
    "window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}"
    'gtag("js",new Date());gtag("config","G-0000000");var cfg={"lazy":true,"ads":[1,2,3]};'
)


def _random_links(rng: random.Random, hosts: list[str], pages_per_host: int, count: int) -> list[str]:
    links = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.7:
            links.append(f'<a href="/p/{rng.randrange(pages_per_host)}">{rng.choice(_WORDS)} {rng.choice(_WORDS)}</a>')
        elif roll < 0.8:
            other = rng.choice(hosts)
            links.append(f'<a href="http://{other}/p/{rng.randrange(pages_per_host)}">{rng.choice(_WORDS)}</a>')
        else:
            site = f"www.site{rng.randrange(10_000)}.example"
            links.append(f'<a href="https://{site}/{rng.choice(_WORDS)}/{rng.randrange(10**6)}.html">{site}</a>')
    return links


def _paragraphs(count: int) -> list[str]:
    rng = random.Random(1)
    return [" ".join(rng.choice(_WORDS) for _ in range(rng.randrange(20, 90))) for _ in range(count)]


_PARAGRAPHS = _paragraphs(64)


def _padded_page(title: str, nav: list[str], links: list[str], page_bytes: int, rng: random.Random) -> bytes:
    repeat = round(page_bytes / 5 / (len(_CSS) + len(_JS)))
    head = f"<style>{_CSS * repeat}</style><script>{_JS * repeat}</script>" if repeat else ""
    parts = [
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title>{head}</head>'
        f'<body><header class="c"><nav class="n">{" ".join(nav)}</nav></header><main class="c"><article>'
    ]
    size = len(parts[0])
    pending = list(links)
    while pending or size < page_bytes - 200:
        tag = rng.choice(_TAGS)
        text = rng.choice(_PARAGRAPHS)
        if pending:
            cut = rng.randrange(len(text))
            text = f"{text[:cut]} {pending.pop()} {text[cut:]}"
        block = f'<div class="b b{rng.randrange(9)}"><{tag} class="t">{text}</{tag}></div>'
        parts.append(block)
        size += len(block)
    parts.append('</article></main><footer class="c"><p>&copy; linkindex local site</p></footer></body></html>')
    return "".join(parts).encode("utf-8")

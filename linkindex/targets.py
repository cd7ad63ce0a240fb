"""What a user means by a target: one URL, a URL prefix, a host and its subdomains, or a registered domain.

As every backlink tool offers, a target is not always a whole domain::

    exact       https://example.com/pricing      that URL only
    prefix      https://example.com/blog/        every URL that starts so (a section of a site)
    subdomains  blog.example.com                 that host and its subdomains (a.blog.example.com ...)
    domain      example.com                      the registered domain, every host of it

``parse_target`` reads what a user typed the way ``report`` always has
(lowercased, punycoded, default port dropped, as links are recorded): a URL
(with a scheme or a path) means ``exact`` unless a mode is given, a bare
host means ``domain``. An exact URL or prefix typed without a scheme
matches http and https alike. ``Target.predicate()`` is the condition over
``dst_url``, ``dst_host`` and ``dst_domain`` (the columns of ``links``),
with the user's values as bound parameters; ``Target.domain_predicate()``
the same over tables that have no ``dst_host`` (``inbound_links``).
``Target.as_struct()`` is the target as the SQL macro ``target_matches``
reads it (queries/macros/), for the index's table macros.

``shadow_tables`` makes the index's tables answer for a target narrower
than a domain: in a read-only connection it creates temporary tables of
the same names, computed by the same models (facts, then tables) over the
target's link records only, so the queries that read them (``report``)
need no change.
"""

from dataclasses import dataclass, field

# Light to import (the command line's parser names the modes): what parses URLs is imported when used.
MODES = ("exact", "prefix", "subdomains", "domain")
#: What ``--mode`` help says of each, with an example.
MODE_HELP = {
    "exact": "one URL (https://example.com/pricing)",
    "prefix": "every URL starting with a prefix, a section of a site (https://example.com/blog/)",
    "subdomains": "a host and its subdomains (blog.example.com)",
    "domain": "the registered domain, every host of it (example.com)",
}


class TargetError(ValueError):
    """What the user typed is not a target of the mode asked for; the message says what would be."""


@dataclass(frozen=True)
class Target:
    mode: str
    #: exact: the URLs (http and https, if typed without a scheme); prefix: the prefixes; else empty.
    urls: tuple[str, ...]
    #: The host typed (for subdomains, the target itself).
    host: str
    #: The registered domain that holds the target.
    domain: str
    #: What the user typed.
    typed: str = field(default="", compare=False)

    def describe(self) -> str:
        """The target in words, for a report's title."""
        if self.mode == "exact":
            return " or ".join(self.urls)
        if self.mode == "prefix":
            return " or ".join(f"{url}*" for url in self.urls)
        if self.mode == "subdomains":
            return f"{self.host} and its subdomains"
        return self.domain

    def as_struct(self) -> dict:
        """The target as the SQL macros ``target_matches`` and ``target_intersect`` read it (a bound parameter)."""
        return {
            "name": self.describe(),
            "mode": self.mode,
            "domain": self.domain,
            "host": self.host,
            "urls": list(self.urls),
        }

    @property
    def canonical(self) -> str:
        """The shortest text that ``parse_target`` reads back as this target, in this mode (for addresses)."""
        if self.mode in ("exact", "prefix"):
            # Typed without a scheme: both URLs, and the text without one.
            return self.urls[0] if len(self.urls) == 1 else self.urls[0].split("://", 1)[1]
        return self.host if self.mode == "subdomains" else self.domain

    def predicate(self, prefix: str = "target") -> tuple[str, dict]:
        """The SQL condition over ``dst_url``, ``dst_host``, ``dst_domain``, and its parameters (named ``prefix_*``)."""
        params = {f"{prefix}_domain": self.domain}
        condition = f"dst_domain = ${prefix}_domain"
        if self.mode == "subdomains":
            params[f"{prefix}_host"] = self.host
            params[f"{prefix}_dot_host"] = f".{self.host}"
            condition += f" and (dst_host = ${prefix}_host or ends_with(dst_host, ${prefix}_dot_host))"
        elif self.mode in ("exact", "prefix"):
            condition += " and " + self._url_condition(prefix, params)
        return condition, params

    def domain_predicate(self, prefix: str = "target") -> tuple[str, dict]:
        """The same condition over ``dst_url`` and ``dst_domain`` only (a table without ``dst_host``)."""
        if self.mode != "subdomains":
            return self.predicate(prefix)
        params = {f"{prefix}_domain": self.domain}
        # In a serialized URL the host follows the scheme (and any user:password@) and ends at '/',
        # ':' (a port), '?' or '#'; an IPv6 address is bracketed.
        host = r"regexp_extract(dst_url, '^[a-z][a-z0-9+.-]*://(?:[^/?#@]*@)?(\[[^]]*\]|[^/:?#]*)', 1)"
        params[f"{prefix}_host"] = self.host
        params[f"{prefix}_dot_host"] = f".{self.host}"
        condition = (
            f"dst_domain = ${prefix}_domain and ({host} = ${prefix}_host or ends_with({host}, ${prefix}_dot_host))"
        )
        return condition, params

    def _url_condition(self, prefix: str, params: dict) -> str:
        terms = []
        for number, url in enumerate(self.urls):
            name = f"{prefix}_url_{number}"
            params[name] = url
            terms.append(f"dst_url = ${name}" if self.mode == "exact" else f"starts_with(dst_url, ${name})")
        return "(" + " or ".join(terms) + ")"


def parse_target(typed: str, mode: str | None = None, strict: bool = False) -> Target:
    """The target a user typed: ``mode`` as given, else ``exact`` for a URL and ``domain`` for a bare host.

    ``strict``: refuse a URL with a path in mode ``subdomains`` rather than
    keep its host only (the web interface, where a mode is picked from a
    list, says so rather than silently show another target).
    """
    from crawler.urls import host_domain, parse_web_url

    if mode is not None and mode not in MODES:
        raise TargetError(f"unknown mode {mode!r}: one of {', '.join(MODES)}")
    text = typed.strip()
    has_scheme = "://" in text
    parsed = parse_web_url(text if has_scheme else f"http://{text}")
    if not text or parsed is None or not parsed[1].rstrip("."):
        raise TargetError(f"not a domain name or http(s) URL: {typed!r} (try e.g. example.com)")
    url, host = parsed
    host = host.rstrip(".")
    rest = url.split("://", 1)[1]
    if "@" in rest.split("/", 1)[0]:
        # "mailto:a@example.com" read as a URL has a user and a password: not what anyone means.
        raise TargetError(f"not a domain name or http(s) URL: {typed!r} (try e.g. example.com)")
    has_path = "/" in rest and rest[rest.index("/") :] not in ("/", "")
    if mode is None:
        mode = "exact" if has_scheme or has_path else "domain"
    if strict and mode == "subdomains" and has_path:
        raise TargetError(
            f"{typed.strip()!r} has a path: mode subdomains takes a host (blog.example.com); "
            "for the URLs that start with it, choose mode prefix"
        )
    urls: tuple[str, ...] = ()
    if mode in ("exact", "prefix"):
        if has_scheme:
            urls = (url,)
        else:
            # Typed without a scheme: the page under either.
            urls = (url, "https://" + url.split("://", 1)[1])
    return Target(mode, urls, host, host_domain(host), typed)


def shadow_tables(con, target: Target, tables: list[str] | tuple[str, ...]) -> None:
    """Make ``tables`` answer for ``target`` only, in this connection.

    Temporary tables come first in DuckDB's search path, so the models are
    run again, unchanged, over the target's links: ``stg_links`` holds the
    target's link records, the per-link facts are computed from them by
    their own models, and each of ``tables`` (in build order) from those.
    Every number keeps its definition in one place; everything else still
    reads the index as built.
    """
    from linkindex.build import PART_FACTS, TABLES
    from linkindex.models import model

    database = con.execute("select current_database()").fetchall()[0][0]
    condition, params = target.predicate()
    source = '"' + database.replace('"', '""') + '".main.stg_links'
    con.execute(f"create or replace temp table stg_links as select * from {source} where {condition}", params)
    for name in PART_FACTS:
        con.execute(f"create or replace temp table {name} as\n{model(name, 'facts').sql}")
    for name in TABLES:
        if name in tables:
            con.execute(f"create or replace temp table {name} as\n{model(name).sql}")

"""The web application of ``linkindex serve``: Starlette routes over the index tables.

Routes (stable: users bookmark and script them)::

    /                                   search; ?q=TARGET&mode=MODE goes to its overview
    /domain/{domain}                    overview of a registered domain
    /domain/{domain}/{view}             a table page: backlinks, referring-domains, anchors, broken, lost
    /domain/{domain}/{view}.csv         the same rows, all of them, as CSV (the format of `query --format csv`)
    /domain/{domain}/{view}.json        the page's rows as JSON
    /target?target=T&mode=M             the same pages for one URL (exact), a URL prefix (prefix) or a host
    /target/{view}[.csv|.json]?target=T&mode=M    and its subdomains (subdomains): see linkindex.targets
    /sql?q=SQL                          a read-only query, with a row limit and a time limit
    /sql.csv?q=SQL                      its rows as CSV
    /static/...                         styles, scripts, the charting library

Every page is a view of queries over the tables; filters live in the query
string so every URL can be shared. Page handlers are plain functions, run by
Starlette in its thread pool, each query on its own cursor.
"""

from dataclasses import dataclass
from http import HTTPStatus
import ipaddress
import itertools
import re
import secrets
import time
from urllib.parse import quote, urlencode

import duckdb
import pyarrow as pa
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from linkindex.index import IndexBuildError, _plain, csv_chunks
from linkindex.report import normalize_domain
from linkindex.targets import MODE_HELP, MODES, Target, TargetError, parse_target
from linkindex.web import overview as overview_data
from linkindex.web.db import QueryError, QueryTimeout, TargetIndex, WebIndex
from linkindex.web.render import ASSETS, environment
from linkindex.web.views import VIEWS, BadRequest, Selection, view_for

#: No inline script or style, nothing from another origin.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
TOKEN_COOKIE = "linkindex_token"
#: The pages of a domain, in the order of its tabs.
TABS = (
    ("overview", "Overview"),
    ("backlinks", "Backlinks"),
    ("referring-domains", "Referring domains"),
    ("anchors", "Anchors"),
    ("broken", "Broken"),
    ("lost", "Lost"),
)
#: Pages about several domains: (path, label, what the index must have).
GLOBAL_PAGES = (
    ("/intersect", "Competitor gap", frozenset({"target_intersect()"})),
    ("/disavow", "Disavow", frozenset({"referring_domain_risk", "referring_domain_flags"})),
    ("/sql", "SQL", frozenset()),
)
#: Columns of the competitor gap (the target_intersect macro's).
INTERSECT_SQL = """
select referring_domain, matching, matching_targets, backlinks, authority
from target_intersect($targets, excluded := $excluded, min_matching := $min_matching, dofollow := $dofollow)
"""
#: Statement types the SQL page runs.
SQL_STATEMENTS = (duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN)


@dataclass(frozen=True)
class Settings:
    data_dir: str
    token: str | None = None
    #: Host header values accepted (DNS rebinding); empty: any.
    allowed_hosts: frozenset[str] = frozenset()
    time_limit: float = 10.0  # seconds, every query
    max_rows: int = 1000  # rows of an ad-hoc query on the SQL page
    export_time_limit: float = 300.0  # seconds, a CSV download of a table page


def loopback(host: str) -> bool:
    """Whether ``host`` (a name or address to bind to) only reaches this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def local_hosts(port: int) -> frozenset[str]:
    """Host header values a browser on this machine sends to the server on ``port``."""
    names = ("127.0.0.1", "localhost", "[::1]")
    return frozenset([*names, *(f"{name}:{port}" for name in names)])


# -- security: token, Host header, response headers -----------------------------


class Guard:
    """ASGI middleware: checks the Host header and the token on every request; adds the security headers.

    The token is accepted as ``Authorization: Bearer TOKEN``, or as the
    cookie that ``?token=TOKEN`` sets (the browser is then sent to the same
    URL without it, so the token stays out of history and logs).
    """

    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if h[0] not in dict(SECURITY_HEADERS)]
                message["headers"] = headers + SECURITY_HEADERS
            await send(message)

        request = Request(scope)
        response = self._refusal(request)
        if response is not None:
            return await response(scope, receive, send_with_headers)
        await self.app(scope, receive, send_with_headers)

    def _refusal(self, request: Request) -> Response | None:
        settings = self.settings
        if settings.allowed_hosts and request.headers.get("host", "") not in settings.allowed_hosts:
            return PlainTextResponse(
                "This server answers requests for 127.0.0.1 and localhost only.\n", status_code=400
            )
        if not settings.token:
            return None
        given = request.query_params.get("token")
        if given is not None and secrets.compare_digest(given.encode(), settings.token.encode()):
            url = request.url.remove_query_params("token")
            path = "/" + url.path.lstrip("/")  # never "//host": a redirect stays on this server
            response = RedirectResponse(path + (f"?{url.query}" if url.query else ""), status_code=303)
            response.set_cookie(TOKEN_COOKIE, settings.token, httponly=True, samesite="strict")
            return response
        header = request.headers.get("authorization", "")
        candidates = [header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None]
        candidates.append(request.cookies.get(TOKEN_COOKIE))
        if any(c and secrets.compare_digest(c.encode(), settings.token.encode()) for c in candidates):
            return None
        return PlainTextResponse(
            "A token is needed: open the address `linkindex serve` printed (it ends in ?token=...), "
            "or send `Authorization: Bearer TOKEN`.\n",
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="linkindex"'},
        )


# -- the application ---------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """The target a page is about, the index its tables are read from, and the addresses of its pages.

    A registered domain's pages are ``/domain/{domain}/...``; a narrower
    target's are ``/target/...?target=T&mode=M``, read from its own tables
    (``WebIndex.narrowed``).
    """

    target: Target
    index: WebIndex | TargetIndex

    @property
    def domain(self) -> str:
        return self.target.domain

    @property
    def narrow(self) -> bool:
        return self.target.mode != "domain"

    @property
    def about(self) -> dict:
        return overview_data.describe(self.target)

    @property
    def fixed(self) -> dict[str, str]:
        """The query-string parameters that name the target (none for a registered domain)."""
        return {"target": self.target.canonical, "mode": self.target.mode} if self.narrow else {}

    def path(self, view: str | None = None) -> str:
        """The path of the overview or of a page (``view``, with ``.csv`` or ``.json`` for a download)."""
        if self.narrow:
            return "/target" + (f"/{view}" if view else "")
        return domain_path(self.domain, view)

    def href(self, view: str | None = None, query: str = "") -> str:
        """The address of a page of this target, with more of a query string."""
        combined = "&".join(part for part in (urlencode(self.fixed), query) if part)
        return self.path(view) + (f"?{combined}" if combined else "")

    def filename(self, slug: str) -> str:
        if self.narrow:
            return f"{self.target.canonical.split('://', 1)[-1]}-{self.target.mode}-{slug}.csv"
        return f"{self.domain}-{slug}.csv"


class Pages:
    """The route handlers, over one index."""

    def __init__(self, index: WebIndex, settings: Settings):
        self.index = index
        self.settings = settings
        self.templates = Jinja2Templates(env=environment())

    def render(self, request: Request, template: str, status_code: int = 200, **context) -> Response:
        context.setdefault("subject", None)
        context.setdefault("active", None)
        context.setdefault("q", "")
        context.setdefault("q_mode", "")
        names = self.index.current_names()
        context.update(
            standalone=False,
            index_path=str(self.index.path),
            tabs=[(slug, label) for slug, label in TABS if slug == "overview" or view_for(slug, names)],
            global_pages=[(path, label) for path, label, needs in GLOBAL_PAGES if needs <= names],
        )
        return self.templates.TemplateResponse(request, template, context, status_code=status_code)

    def error(self, request: Request, status: int, message: str, **context) -> Response:
        return self.render(
            request, "error.html", status_code=status, status=status, reason=HTTPStatus(status).phrase,
            message=message, **context,
        )  # fmt: skip

    # -- search ------------------------------------------------------------

    def home(self, request: Request) -> Response:
        typed = request.query_params.get("q", "").strip()
        mode = request.query_params.get("mode") or None
        if typed:
            try:
                target = parse_target(typed, mode, strict=True)
            except TargetError as exc:
                return self.error(request, 400, str(exc), q=typed, q_mode=mode or "")
            return RedirectResponse(Subject(target, self.index).href(), status_code=303)
        return self.render(
            request, "home.html", domains=overview_data.top_domains(self.index), crawls=overview_data.crawls(self.index)
        )

    # -- a target: a registered domain, or a URL, a prefix, a host and its subdomains ------------

    def _domain(self, request: Request) -> tuple[Subject | None, Response | None]:
        """The registered domain of the path; or a redirect to its canonical path, or an error page.

        A host or URL (``www.example.com``, ``Example.COM``) is sent to the
        registered domain's page, as ``report`` reports on the registered domain;
        with ``?mode=`` another than domain, to that target's page.
        """
        typed = request.path_params["domain"]
        view = request.path_params.get("view")
        mode = request.query_params.get("mode")
        if mode and mode != "domain":
            query = urlencode([("target", typed), *request.query_params.multi_items()])
            return None, RedirectResponse(f"/target{'/' + view if view else ''}?{query}", status_code=301)
        try:
            target = parse_target(typed, "domain")
        except TargetError as exc:
            return None, self.error(request, 400, str(exc), q=typed)
        if target.domain != typed:
            query = f"?{request.url.query}" if request.url.query else ""
            return None, RedirectResponse(domain_path(target.domain, view) + query, status_code=301)
        return Subject(target, self.index), None

    def _target(self, request: Request) -> tuple[Subject | None, Response | None]:
        """The target of ``?target=T&mode=M``; or a redirect to its canonical address, or an error page (400)."""
        params = request.query_params
        typed, mode = params.get("target", "").strip(), params.get("mode") or None
        view = request.path_params.get("view")
        if not typed:
            return None, self.error(
                request, 400,
                "Give the target as ?target=URL_OR_HOST&mode=MODE, MODE one of " + ", ".join(MODES) + ".",
            )  # fmt: skip
        try:
            target = parse_target(typed, mode, strict=True)
        except TargetError as exc:
            return None, self.error(request, 400, str(exc), q=typed, q_mode=mode or "")
        subject = Subject(target, self.index)
        rest = [(name, value) for name, value in params.multi_items() if name not in ("target", "mode")]
        if target.mode == "domain":
            query = f"?{urlencode(rest)}" if rest else ""
            return None, RedirectResponse(domain_path(target.domain, view) + query, status_code=301)
        canonical = (target.canonical, target.mode)
        if (typed, mode) != canonical and parse_target(*canonical) == target:
            return None, RedirectResponse(subject.href(view, urlencode(rest)), status_code=301)
        return Subject(target, self.index.narrowed(target)), None

    def domain_overview(self, request: Request) -> Response:
        subject, response = self._domain(request)
        return response or self._overview(request, subject)

    def target_overview(self, request: Request) -> Response:
        subject, response = self._target(request)
        return response or self._overview(request, subject)

    def domain_table(self, request: Request) -> Response:
        subject, response = self._domain(request)
        return response or self._table(request, subject)

    def target_table(self, request: Request) -> Response:
        subject, response = self._target(request)
        return response or self._table(request, subject)

    def _context(self, subject: Subject, active: str) -> dict:
        return {"subject": subject, "target": subject.about, "q": subject.target.canonical,
                "q_mode": subject.target.mode, "active": active}  # fmt: skip

    def _overview(self, request: Request, subject: Subject) -> Response:
        domain = subject.domain
        data = overview_data.overview(subject.index, domain, target=subject.target)
        if data is None:
            indexed = self.index.record("select count(*) as domains from domain_summary")["domains"]
            return self.error(
                request, 404,
                f"No backlinks to {subject.target.describe()}{' (mode ' + subject.target.mode + ')' if subject.narrow else ''} "
                "in this index "
                f"({indexed:,} domains have backlinks). Check the spelling, or crawl or extract pages that link to it.",
                q=subject.target.canonical, q_mode=subject.target.mode,
            )  # fmt: skip
        return self.render(request, "overview.html", data=data, **self._context(subject, "overview"))

    def _table(self, request: Request, subject: Subject) -> Response:
        domain = subject.domain
        slug, _, fmt = request.path_params["view"].partition(".")
        if slug not in VIEWS or fmt not in ("", "csv", "json"):
            raise HTTPException(404)
        index = subject.index
        view = view_for(slug, self.index.current_names())
        context = {**self._context(subject, slug), "view": view, "unverified": None}
        if view is None:
            needed = ", ".join(VIEWS[slug][-1].requires)
            return self.error(
                request, 404, f"This index has no {needed}: build it again with this linkindex.", **context
            )
        options = {
            flt.name: index.rows(flt.options_sql, {"domain": domain} if "$domain" in flt.options_sql else None)[1]
            for flt in view.filters
            if flt.options_sql is not None
        }
        try:
            selection = Selection.parse(view, request.query_params, options, fixed=subject.fixed)
        except BadRequest as exc:
            return self.error(request, 400, str(exc), **context)
        if fmt == "csv":
            return self._csv(index, selection, domain, subject.filename(slug))
        sql, params = selection.rows_sql(domain)
        count_sql, count_params = selection.count_sql(domain)
        started = time.perf_counter()
        columns, rows, _ = index.rows(sql, params)
        rows = [dict(zip(columns, row)) for row in rows]
        total = index.record(count_sql, count_params)["rows"]
        elapsed = time.perf_counter() - started
        if fmt == "json":
            return JSONResponse(
                {
                    "domain": domain,
                    "target": subject.target.canonical,
                    "mode": subject.target.mode,
                    "view": slug,
                    "total": total,
                    "page": selection.page,
                    "per_page": selection.per_page,
                    "rows": [{name: _plain(value) for name, value in row.items()} for row in rows],
                }
            )
        pages = max(1, -(-total // selection.per_page))
        if slug == "lost":
            context["unverified"] = overview_data.unverified(index, subject.target)
        return self.render(
            request, "table.html",
            selection=selection, rows=rows, total=total, pages=pages, elapsed=elapsed, **context,
        )  # fmt: skip

    def _csv(self, index, selection: Selection, domain: str, filename: str) -> Response:
        sql, params = selection.rows_sql(domain, paged=False)
        return self._stream_csv(sql, params, filename, self.settings.export_time_limit, index=index)

    def _stream_csv(self, sql: str, params, filename: str, time_limit: float, max_rows: int | None = None, index=None):
        chunks = _csv_text(index or self.index, sql, params, time_limit, max_rows)
        # The header is taken before answering: a query that fails to start
        # gets an error page, not a cut-off file. From here the generator is
        # inside its `with`, so even a client that hangs up before reading
        # releases the cursor (when the generator is collected).
        header = next(chunks)
        return StreamingResponse(
            itertools.chain([header], chunks),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{_safe_filename(filename)}"'},
        )

    # -- competitor gap ------------------------------------------------------

    def _intersect_query(self, request: Request) -> dict:
        """The competitor-gap question of the query string (the form's fields and the SQL's parameters).

        Raises BadRequest.
        """
        params = request.query_params

        def targets(name: str, mode_name: str) -> tuple[list[Target], str | None]:
            mode = params.get(mode_name) or None
            found = {}
            for typed in re.split(r"[\s,]+", params.get(name, "")):
                if typed:
                    try:
                        target = parse_target(typed, mode)
                    except TargetError as exc:
                        raise BadRequest(f"{name}: {exc}") from None
                    found.setdefault(target.describe(), target)
            return list(found.values()), mode

        given, mode = targets("domains", "mode")
        excluded, exclude_mode = targets("exclude", "exclude_mode")
        overlap = {target.describe() for target in given} & {target.describe() for target in excluded}
        if overlap:
            raise BadRequest(f"{', '.join(sorted(overlap))} is both given and excluded")
        minimum = params.get("min", "").strip()
        if minimum and (not minimum.isdigit() or not 1 <= int(minimum) <= max(len(given), 1)):
            raise BadRequest(f"min={minimum!r}: a number from 1 to the number of targets ({len(given)})")
        return {
            "given": given,
            "excluded": excluded,
            "mode": mode,
            "exclude_mode": exclude_mode,
            "typed": params.get("domains", ""),
            "typed_excluded": params.get("exclude", ""),
            "min_matching": int(minimum) if minimum else None,
            "dofollow": params.get("dofollow") in ("1", "on", "true", "yes"),
        }

    @staticmethod
    def _intersect_params(question: dict) -> dict:
        return {
            "targets": [target.as_struct() for target in question["given"]],
            "excluded": [target.as_struct() for target in question["excluded"]] or None,
            "min_matching": question["min_matching"],
            "dofollow": question["dofollow"],
        }

    def intersect(self, request: Request) -> Response:
        if "target_intersect()" not in self.index.current_names():
            return self.error(request, 404, "This index has no target_intersect: build it again with this linkindex.")
        csv = request.url.path.endswith(".csv")
        try:
            question = self._intersect_query(request)
        except BadRequest as exc:
            return self.error(request, 400, str(exc), active="intersect")
        if csv:
            if not question["given"]:
                return PlainTextResponse("Give the domains as ?domains=a.com,b.com\n", status_code=400)
            return self._stream_csv(
                INTERSECT_SQL, self._intersect_params(question), "link-intersect.csv", self.settings.export_time_limit
            )
        rows, elapsed = [], None
        if question["given"]:
            started = time.perf_counter()
            rows = self.index.records(INTERSECT_SQL, self._intersect_params(question))
            elapsed = time.perf_counter() - started
        query = request.url.query
        return self.render(
            request, "intersect.html", active="intersect", question=question, rows=rows, elapsed=elapsed, query=query,
            modes=MODE_HELP,
        )  # fmt: skip

    # -- disavow ------------------------------------------------------------

    def _disavow_choice(self, request: Request) -> dict:
        """The disavow file the query string asks for: target, rules, rows, and the file. Raises BadRequest.

        The referring domains chosen are those the rules select (risk at or
        above a level, or any of some flags; with neither, risk high, as
        `linkindex disavow export` does) and those ticked by hand.
        """
        from linkindex.disavow import DisavowError, export_text, limit_problems, read_stored, select_domains
        from linkindex.disavow import Selection as Chosen
        from linkindex.quality import RISK_LEVELS

        params = request.query_params
        try:
            target = normalize_domain(params.get("target", ""))[1]
        except IndexBuildError as exc:
            raise BadRequest(f"target: {exc}") from None
        flags = params.getlist("flag")
        known_flags = [name for (name,) in self.index.rows(
            "select distinct flag from referring_domain_flags order by flag")[1]]  # fmt: skip
        for flag in flags:
            if flag not in known_flags:
                raise BadRequest(f"flag={flag!r}: use one of {', '.join(known_flags)}")
        ticked = []
        for typed in params.getlist("domain"):
            try:
                ticked.append(normalize_domain(typed)[1])
            except IndexBuildError as exc:
                raise BadRequest(f"domain: {exc}") from None
        risk = params.get("risk")
        if risk is None and not flags and not ticked:
            risk = "high"
        if risk in ("", "none"):
            risk = None
        if risk is not None and risk not in RISK_LEVELS:
            raise BadRequest(f"risk={risk!r}: use one of {', '.join(RISK_LEVELS)} or none")
        with self.index.cursor() as cursor:
            candidates = select_domains(cursor, target, "low", [])  # every flagged referring domain
            by_rule = select_domains(cursor, target, risk, flags) if risk or flags else []
            linking = {
                name for (name,) in cursor.execute(
                    "select referring_domain from referring_domains where target_domain = $target", {"target": target}
                ).fetchall()
            }  # fmt: skip
        reasons = {choice.domain: choice.reason for choice in candidates}
        for domain in ticked:
            if domain not in linking:
                raise BadRequest(f"domain={domain!r} does not link to {target} in this index")
        ruled = {choice.domain for choice in by_rule}
        chosen = by_rule + [Chosen(d, reasons.get(d, "chosen by hand")) for d in dict.fromkeys(ticked) if d not in ruled]
        criteria = " or ".join(
            ([f"at risk {risk} or above"] if risk else [])
            + ([f"flagged {', '.join(flags)}"] if flags else [])
            + (["chosen by hand"] if set(ticked) - ruled else [])
        ) or "chosen by hand"
        try:
            stored = read_stored(self.settings.data_dir, target)
        except DisavowError as exc:
            raise BadRequest(str(exc)) from None
        text, added = export_text(stored, target, chosen, criteria)
        return {
            "target": target, "risk": risk, "flags": flags, "known_flags": known_flags, "levels": RISK_LEVELS,
            "candidates": candidates, "ruled": ruled, "ticked": set(ticked), "chosen": chosen, "text": text,
            "added": added, "problems": limit_problems(text), "imported": len(stored.entries),
        }  # fmt: skip

    def disavow(self, request: Request) -> Response:
        names = self.index.current_names()
        if not {"referring_domain_risk", "referring_domain_flags"} <= names:
            return self.error(request, 404, "This index has no link-quality tables: build it again with this linkindex.")
        download = request.url.path.endswith(".txt")
        if not request.query_params.get("target"):
            if download:
                return PlainTextResponse("Give the target domain as ?target=example.com\n", status_code=400)
            return self.render(request, "disavow.html", active="disavow", choice=None, query="")
        try:
            choice = self._disavow_choice(request)
        except BadRequest as exc:
            if download:
                return PlainTextResponse(f"{exc}\n", status_code=400)
            return self.error(request, 400, str(exc), active="disavow")
        if download:
            if choice["problems"]:
                return PlainTextResponse(
                    "Past Google's limits, not written: " + "; ".join(choice["problems"]) + "\n", status_code=400
                )
            filename = _safe_filename(f"disavow-{choice['target']}.txt")
            return Response(
                choice["text"].encode("utf-8"),
                media_type="text/plain; charset=utf-8",
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        return self.render(
            request, "disavow.html", active="disavow", choice=choice, query=request.url.query, q=choice["target"]
        )

    # -- SQL ---------------------------------------------------------------

    def _check_sql(self, sql: str) -> str | None:
        """Why the SQL page will not run ``sql``, or None."""
        try:
            statements = duckdb.extract_statements(sql)
        except duckdb.Error as exc:
            return str(exc)
        if len(statements) != 1:
            return "Run one statement at a time."
        if statements[0].type not in SQL_STATEMENTS:
            return (
                f"The SQL page runs SELECT (and EXPLAIN) statements only, not {statements[0].type.name}: "
                "the index is read-only here."
            )
        return None

    def sql(self, request: Request) -> Response:
        sql = request.query_params.get("q", "").strip()
        context = {"sql": sql, "columns": [], "rows": [], "truncated": False, "sql_error": None, "elapsed": None}
        context["tables"] = self._schema()
        if sql:
            problem = self._check_sql(sql)
            if problem:
                context["sql_error"] = problem
            else:
                started = time.perf_counter()
                try:
                    columns, rows, truncated = self.index.rows(sql, max_rows=self.settings.max_rows)
                except QueryError as exc:
                    context["sql_error"] = str(exc)
                else:
                    context.update(columns=columns, rows=rows, truncated=truncated)
                context["elapsed"] = time.perf_counter() - started
        status = 400 if context["sql_error"] else 200
        return self.render(
            request, "sql.html", status_code=status, active="sql", max_rows=self.settings.max_rows,
            time_limit=self.settings.time_limit, **context,
        )  # fmt: skip

    def sql_csv(self, request: Request) -> Response:
        sql = request.query_params.get("q", "").strip()
        problem = self._check_sql(sql) if sql else "Give the query as ?q=SQL."
        if problem:
            return PlainTextResponse(problem + "\n", status_code=400)
        try:
            return self._stream_csv(sql, None, "query.csv", self.settings.time_limit, self.settings.max_rows)
        except QueryError as exc:
            return PlainTextResponse(f"{exc}\n", status_code=400)

    def _schema(self) -> list[tuple[str, list[str]]]:
        rows = self.index.records(
            """
            select table_name, list(column_name order by ordinal_position) as columns
            from information_schema.columns
            where table_schema = 'main' and table_name in (
                select table_name from information_schema.tables where table_type = 'BASE TABLE'
            )
            group by table_name
            order by table_name
            """
        )
        return [(row["table_name"], row["columns"]) for row in rows]


def _csv_text(index: WebIndex, sql: str, params, time_limit: float, max_rows: int | None):
    """The CSV text of a query's rows (at most ``max_rows``), in chunks; a failure mid-way raises."""
    with index.reader(sql, params, time_limit) as reader:
        if max_rows is not None:
            reader = _limited(reader, max_rows)
        for text, _ in csv_chunks(reader):
            yield text


def domain_path(domain: str, view: str | None = None) -> str:
    path = f"/domain/{quote(domain, safe='')}"
    return f"{path}/{view}" if view else path


def _limited(reader, max_rows: int):
    """A RecordBatchReader of the first ``max_rows`` rows of ``reader``."""

    def batches():
        left = max_rows
        for batch in reader:
            if left <= 0:
                break
            batch = batch.slice(0, left)
            left -= batch.num_rows
            yield batch

    return pa.RecordBatchReader.from_batches(reader.schema, batches())


def _safe_filename(name: str) -> str:
    return "".join(c if c.isalnum() or c in "._-" else "_" for c in name)


def create_app(settings: Settings, index: WebIndex | None = None) -> Starlette:
    """The application over ``settings.data_dir``; raises IndexBuildError when there is no index."""
    index = index or WebIndex(settings.data_dir, time_limit=settings.time_limit)
    pages = Pages(index, settings)

    def http_error(request, exc):
        message = "There is no page at this address." if exc.status_code == 404 else (exc.detail or "")
        return pages.error(request, exc.status_code, message)

    def query_failed(request, exc):
        return pages.error(request, 503 if isinstance(exc, QueryTimeout) else 500, str(exc))

    routes = [
        Route("/", pages.home),
        Route("/sql", pages.sql),
        Route("/intersect", pages.intersect),
        Route("/intersect.csv", pages.intersect),
        Route("/disavow", pages.disavow),
        Route("/disavow.txt", pages.disavow),
        Route("/sql.csv", pages.sql_csv),
        Route("/domain/{domain}", pages.domain_overview),
        Route("/domain/{domain}/{view}", pages.domain_table),
        Route("/target", pages.target_overview),
        Route("/target/{view}", pages.target_table),
        Mount("/static", app=StaticFiles(directory=str(ASSETS)), name="static"),
    ]
    app = Starlette(
        routes=routes,
        exception_handlers={HTTPException: http_error, QueryError: query_failed},
    )
    app.add_middleware(Guard, settings=settings)
    app.state.index = index
    return app


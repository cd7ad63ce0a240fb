"""Table pages: one query each, with filters, sorting and pages taken from the query string.

A ``TableView`` is a query over one target domain's rows (``$domain`` bound)
and what a user may do with it: the columns it shows and may sort on, and
the filters it accepts. ``Selection.parse`` checks a query string against
the view; ``Selection.sql`` writes the statement, with every value from the
user as a bound parameter. Column names and conditions come from the view
definitions only. The HTML page, its CSV twin and its JSON twin all run the
same statement, so a download holds exactly the rows the filters select.
"""

from dataclasses import dataclass, field, replace
from urllib.parse import urlencode

from linkindex.index import IndexBuildError
from linkindex.report import normalize_domain
from linkindex.schema import LINK_KINDS, PLACEMENTS

PER_PAGE = (25, 50, 100, 500)
DEFAULT_PER_PAGE = 50


class BadRequest(ValueError):
    """A query string a view cannot answer; the message says which parameter and why."""


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    #: How a cell is shown: text, url, domain, anchor, number, share, time, flag, status;
    #: ``tags``: the names of the ``sources`` columns that are true (not sortable);
    #: ``page``: a URL under the title in the ``sources`` column;
    #: ``labels``: a list of names, each with its reason from the ``sources`` column (a list of {name, reason}).
    kind: str = "text"
    sortable: bool = True
    sources: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # tables or "table.column" names it needs


@dataclass(frozen=True)
class Filter:
    """One query-string parameter that narrows the rows.

    Either ``cases`` (each allowed value -> a condition without parameters)
    or ``condition`` (SQL with ``$<name>`` bound to the value, which must be
    one of ``choices`` when they are given, or of the (value, label) rows
    of ``options_sql`` for the target domain).
    """

    name: str
    label: str
    cases: dict[str, str] | None = None
    condition: str | None = None
    choices: tuple[str, ...] | None = None
    options_sql: str | None = None
    #: Turns the value as typed into the value bound (may raise BadRequest), or into a dict of parameters.
    clean: object = None
    placeholder: str = ""
    requires: tuple[str, ...] = ()

    @property
    def options(self) -> tuple[str, ...] | None:
        return tuple(self.cases) if self.cases is not None else self.choices


@dataclass(frozen=True)
class Join:
    """A join that adds columns to the rows once they are selected, sorted and paged (``view_rows``)."""

    sql: str
    select: str
    requires: tuple[str, ...] = ()


@dataclass(frozen=True)
class TableView:
    slug: str  # the page's path under /domain/{domain}/
    title: str
    description: str
    source: str  # SELECT of the view's rows, with $domain: what filters and sorting apply to
    columns: tuple[Column, ...]
    key: tuple[str, ...]  # unique per row: the order after the user's sort
    default_sort: str  # a column name, '-' before it for descending
    filters: tuple[Filter, ...] = ()
    requires: tuple[str, ...] = ()  # tables (or "table.column") the source reads
    #: The columns of the HTML page, when it shows them otherwise than the downloads do.
    display: tuple[Column, ...] = ()
    #: Columns added to the rows shown (such as a page's title): joined after paging, as a join
    #: over every row of a large domain would cost more than the page.
    joins: tuple[Join, ...] = ()

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def page_columns(self) -> tuple[Column, ...]:
        return self.display or self.columns

    def usable(self, names: frozenset[str]) -> "TableView":
        """This view without the columns, filters and joins that need what the index lacks."""

        def keep(items):
            return tuple(item for item in items if set(item.requires) <= names)

        return replace(
            self, columns=keep(self.columns), display=keep(self.display), filters=keep(self.filters),
            joins=keep(self.joins),
        )  # fmt: skip


def _clean_domain(value: str) -> str:
    try:
        return normalize_domain(value)[1]
    except IndexBuildError as exc:
        raise BadRequest(str(exc)) from None


def _yes_no(condition: str) -> dict[str, str]:
    return {"yes": condition, "no": f"not {condition}"}


def _event_in_crawl(value: str) -> dict:
    event, _, crawl = value.partition(":")
    return {"change_event": event, "change_crawl": crawl}


#: Link events of link_changes, and the reasons of lost links (docs/tables.md).
EVENTS = ("new", "lost", "changed")
LOST_REASONS = ("removed_from_page", "page_not_found", "page_redirected", "page_error", "page_noindex")
RISKS = ("high", "medium", "low")
ANCHOR_CLASSES = ("branded", "naked_url", "generic", "image", "empty", "keyword")
#: Crawls after the first (the first is the baseline: it has no events), latest first.
LATER_CRAWLS_SQL = "select crawl_id as value, crawl_id as label from crawls where crawl_seq > 1 order by crawl_seq desc"

FOLLOW = Filter("follow", "Follow", cases={"dofollow": "not nofollow", "nofollow": "nofollow"})
KIND = Filter("kind", "Kind", condition="kind = $kind", choices=LINK_KINDS)
PLACEMENT = Filter(
    "placement",
    "Placement",
    cases={**{p: f"placement = '{p}'" for p in PLACEMENTS}, "none": "placement is null"},
)
STATUS = Filter(
    "status",
    "Target status",
    cases={
        "ok": "dst_status between 200 and 299",
        "redirect": "dst_status between 300 and 399",
        "broken": "dst_status >= 400",
        "unknown": "dst_status is null",
    },
)
REFERRING_DOMAIN = Filter(
    "referring_domain",
    "Referring domain",
    condition="src_domain = $referring_domain",
    clean=_clean_domain,
    placeholder="news.org",
)
ANCHOR_CONTAINS = Filter(
    "anchor", "Anchor contains", condition="contains(lower(anchor_text), lower($anchor))", placeholder="text"
)
URL_CONTAINS = Filter("url", "Target URL contains", condition="contains(dst_url, $url)", placeholder="/path")
CHANGE = Filter(
    "change",
    "New, lost, changed",
    condition="""exists (
        select 1 from link_changes as change
        where change.dst_domain = $domain and change.crawl_id = $change_crawl and change.event = $change_event
            and change.src_url = view_rows.src_url
            and change.dst_url = view_rows.dst_url and change.anchor_text = view_rows.anchor_text
            and change.kind = view_rows.kind
    )""",
    options_sql=f"""
        select event || ':' || crawl_id as value, event || ' in ' || crawl_id as label
        from crawls, (values {", ".join(f"('{e}', {n})" for n, e in enumerate(EVENTS))}) as events(event, n)
        where crawl_seq > 1
        order by crawl_seq desc, n
    """,
    clean=_event_in_crawl,
    requires=("link_changes", "crawls"),
)
FLAG = Filter(
    "flag",
    "Referring domain flag",
    condition="""exists (
        select 1 from referring_domain_flags as flagged
        where flagged.target_domain = $domain and flagged.referring_domain = view_rows.src_domain
            and flagged.flag = $flag
    )""",
    options_sql="select distinct flag as value, flag as label from referring_domain_flags order by flag",
    requires=("referring_domain_flags",),
)
RISK = Filter(
    "risk",
    "Referring domain risk",
    condition="""exists (
        select 1 from referring_domain_risk as risky
        where risky.target_domain = $domain and risky.referring_domain = view_rows.src_domain and risky.risk = $risk
    )""",
    choices=RISKS,
    requires=("referring_domain_risk",),
)
DISAVOWED = Filter("disavowed", "Disavowed", cases=_yes_no("disavowed"), requires=("inbound_links.disavowed",))
SOURCE_TITLE = Join(
    "left join page_status as src_page on src_page.url = view_rows.src_url", "src_page.title as src_title",
)  # fmt: skip

BACKLINKS = TableView(
    slug="backlinks",
    title="Backlinks",
    description="Every distinct link from another site to a page of the target (inbound_links).",
    source="""
        select src_url, src_domain, anchor_text, dst_url, kind, placement, nofollow, ugc, sponsored, page_nofollow,
            occurrences, first_seen, last_seen, dst_status, disavowed
        from inbound_links
        where dst_domain = $domain
    """,
    joins=(
        SOURCE_TITLE,
        Join(
            "left join domain_authority as referring on referring.domain = view_rows.src_domain",
            "referring.authority as referring_domain_authority",
            requires=("domain_authority",),
        ),
    ),
    columns=(
        Column("src_url", "Referring page", "url"),
        Column("src_title", "Referring page title", sortable=False),
        Column("src_domain", "Referring domain", "domain"),
        Column("referring_domain_authority", "Referring domain authority", "number", sortable=False,
               requires=("domain_authority",)),  # fmt: skip
        Column("anchor_text", "Anchor text", "anchor"),
        Column("dst_url", "Target page", "url"),
        Column("kind", "Kind"),
        Column("placement", "Placement"),
        Column("nofollow", "Nofollow", "flag"),
        Column("ugc", "UGC", "flag"),
        Column("sponsored", "Sponsored", "flag"),
        Column("page_nofollow", "Page nofollow", "flag"),
        Column("occurrences", "Seen", "number"),
        Column("first_seen", "First seen", "time"),
        Column("last_seen", "Last seen", "time"),
        Column("dst_status", "Target status", "status"),
        Column("disavowed", "Disavowed", "flag"),
    ),
    display=(
        Column("src_url", "Referring page", "page", sources=("src_title",)),
        Column("referring_domain_authority", "Authority", "number", sortable=False, requires=("domain_authority",)),
        Column("anchor_text", "Anchor text", "anchor"),
        Column("dst_url", "Target page", "url"),
        Column("kind", "Kind"),
        Column("placement", "Placement"),
        Column("rel", "Rel", "tags", sortable=False,
               sources=("nofollow", "ugc", "sponsored", "page_nofollow", "disavowed")),  # fmt: skip
        Column("first_seen", "First seen", "time"),
        Column("last_seen", "Last seen", "time"),
        Column("dst_status", "Status", "status"),
    ),
    key=("dst_url", "src_url", "anchor_text", "kind"),
    default_sort="-last_seen",
    filters=(
        FOLLOW,
        Filter("ugc", "UGC", cases=_yes_no("ugc")),
        Filter("sponsored", "Sponsored", cases=_yes_no("sponsored")),
        KIND,
        PLACEMENT,
        STATUS,
        CHANGE,
        FLAG,
        RISK,
        DISAVOWED,
        REFERRING_DOMAIN,
        ANCHOR_CONTAINS,
        URL_CONTAINS,
    ),
    requires=("inbound_links", "page_status", "inbound_links.disavowed"),
)

#: The backlinks of an index built before disavow files: no disavowed column.
BACKLINKS_WITHOUT_DISAVOW = replace(
    BACKLINKS,
    source=BACKLINKS.source.replace(", disavowed\n", "\n"),
    columns=tuple(c for c in BACKLINKS.columns if c.name != "disavowed"),
    requires=("inbound_links", "page_status"),
)

REFERRING_DOMAINS = TableView(
    slug="referring-domains",
    title="Referring domains",
    description=(
        "The domains that link to the target, how strong they are (domain_authority) and what their links look "
        "like (referring_domain_flags, referring_domain_risk: heuristics, each with a reason to check)."
    ),
    source="""
        select linking.referring_domain, authority.authority, authority.rank, linking.backlinks,
            linking.dofollow_backlinks, linking.linked_pages, risk.risk, coalesce(risk.flags, []) as flags,
            linking.first_seen, linking.last_seen, linking.disavowed
        from referring_domains as linking
        left join domain_authority as authority on authority.domain = linking.referring_domain
        left join referring_domain_risk as risk
            on risk.target_domain = linking.target_domain and risk.referring_domain = linking.referring_domain
        where linking.target_domain = $domain
    """,
    joins=(
        Join(
            """left join (
                select referring_domain, list({'name': flag, 'reason': reason} order by flag) as flag_reasons
                from referring_domain_flags
                where target_domain = $domain
                group by referring_domain
            ) as reasons on reasons.referring_domain = view_rows.referring_domain""",
            "reasons.flag_reasons",
        ),
    ),
    columns=(
        Column("referring_domain", "Referring domain", "domain"),
        Column("authority", "Authority", "number"),
        Column("rank", "Rank", "number"),
        Column("backlinks", "Backlinks", "number"),
        Column("dofollow_backlinks", "Dofollow", "number"),
        Column("linked_pages", "Linked pages", "number"),
        Column("risk", "Risk", "risk"),
        Column("flags", "Flags", "labels", sortable=False, sources=("flag_reasons",)),
        Column("first_seen", "First seen", "time"),
        Column("last_seen", "Last seen", "time"),
        Column("disavowed", "Disavowed", "flag"),
    ),
    key=("referring_domain",),
    default_sort="-backlinks",
    filters=(
        Filter(
            "follow",
            "Follow",
            cases={"dofollow": "dofollow_backlinks > 0", "nofollow": "dofollow_backlinks = 0"},
        ),
        Filter("risk", "Risk", condition="risk = $risk", choices=RISKS),
        Filter(
            "flag", "Flag", condition="list_contains(flags, $flag)",
            options_sql="select distinct flag as value, flag as label from referring_domain_flags order by flag",
        ),  # fmt: skip
        Filter("disavowed", "Disavowed", cases=_yes_no("disavowed")),
        Filter(
            "domain_contains",
            "Domain contains",
            condition="contains(referring_domain, lower($domain_contains))",
            placeholder="blog",
        ),
    ),
    requires=("referring_domains", "domain_authority", "referring_domain_risk", "referring_domain_flags",
              "referring_domains.disavowed"),  # fmt: skip
)

#: The referring domains of an index built before the link-intelligence tables.
REFERRING_DOMAINS_PLAIN = TableView(
    slug="referring-domains",
    title="Referring domains",
    description="The domains that link to the target, and how much (referring_domains).",
    source="""
        select referring_domain, backlinks, dofollow_backlinks, linked_pages, first_seen, last_seen
        from referring_domains
        where target_domain = $domain
    """,
    columns=(
        Column("referring_domain", "Referring domain", "domain"),
        Column("backlinks", "Backlinks", "number"),
        Column("dofollow_backlinks", "Dofollow", "number"),
        Column("linked_pages", "Linked pages", "number"),
        Column("first_seen", "First seen", "time"),
        Column("last_seen", "Last seen", "time"),
    ),
    key=("referring_domain",),
    default_sort="-backlinks",
    filters=(REFERRING_DOMAINS.filters[0], REFERRING_DOMAINS.filters[-1]),
    requires=("referring_domains",),
)

ANCHORS = TableView(
    slug="anchors",
    title="Anchors",
    description=(
        "The texts other sites link with (anchor_distribution: anchor, image and area links), and their class: "
        "branded, naked_url, generic, image, empty or keyword."
    ),
    source="""
        select anchor_text, anchor_class, backlinks, referring_domains, dofollow_backlinks, share
        from anchor_distribution
        where target_domain = $domain
    """,
    columns=(
        Column("anchor_text", "Anchor text", "anchor"),
        Column("anchor_class", "Class"),
        Column("backlinks", "Backlinks", "number"),
        Column("referring_domains", "Referring domains", "number"),
        Column("dofollow_backlinks", "Dofollow", "number"),
        Column("share", "Share", "share"),
    ),
    key=("anchor_text",),
    default_sort="-backlinks",
    filters=(Filter("class", "Class", condition="anchor_class = $class", choices=ANCHOR_CLASSES), ANCHOR_CONTAINS),
    requires=("anchor_distribution.anchor_class",),
)

ANCHORS_PLAIN = replace(
    ANCHORS,
    description="The texts other sites link with (anchor_distribution: anchor, image and area links).",
    source=ANCHORS.source.replace("anchor_text, anchor_class,", "anchor_text,"),
    columns=tuple(c for c in ANCHORS.columns if c.name != "anchor_class"),
    filters=(ANCHOR_CONTAINS,),
    requires=("anchor_distribution",),
)

BROKEN = TableView(
    slug="broken",
    title="Broken backlinks",
    description=(
        "Backlinks to pages of the target whose latest fetch answered 4xx or 5xx, or redirected to one that did "
        "(broken_backlinks), strongest referring domain first: redirect the dead URL to reclaim them. Pages "
        "never fetched are not listed (their status is unknown)."
    ),
    source="""
        select dst_url, broken_status, broken_url, redirects, src_url, referring_domain, referring_domain_authority,
            anchor_text, kind, nofollow, seen_at
        from broken_backlinks
        where target_domain = $domain
    """,
    columns=(
        Column("dst_url", "Dead page", "url"),
        Column("broken_status", "Status", "status"),
        Column("broken_url", "Answered by", "url"),
        Column("redirects", "Redirects", "number"),
        Column("src_url", "Referring page", "url"),
        Column("referring_domain", "Referring domain", "domain"),
        Column("referring_domain_authority", "Authority", "number"),
        Column("anchor_text", "Anchor text", "anchor"),
        Column("kind", "Kind"),
        Column("nofollow", "Nofollow", "flag"),
        Column("seen_at", "Seen", "time"),
    ),
    key=("dst_url", "src_url", "anchor_text", "kind"),
    default_sort="-referring_domain_authority",
    filters=(
        FOLLOW,
        replace(REFERRING_DOMAIN, condition="referring_domain = $referring_domain"),
    ),
    requires=("broken_backlinks",),
)

#: Broken backlinks from inbound_links, for an index built before broken_backlinks.
BROKEN_PLAIN = TableView(
    slug="broken",
    title="Broken backlinks",
    description=(
        "Links to pages of the target whose latest fetch answered 4xx or 5xx: redirect the dead URL "
        "to reclaim them. Pages never fetched are not listed (their status is unknown)."
    ),
    source="""
        select dst_url, dst_status, src_url, src_domain, anchor_text, kind, nofollow, last_seen
        from inbound_links
        where dst_domain = $domain and dst_status >= 400
    """,
    columns=(
        Column("dst_url", "Dead page", "url"),
        Column("dst_status", "Status", "status"),
        Column("src_url", "Referring page", "url"),
        Column("src_domain", "Referring domain", "domain"),
        Column("anchor_text", "Anchor text", "anchor"),
        Column("kind", "Kind"),
        Column("nofollow", "Nofollow", "flag"),
        Column("last_seen", "Last seen", "time"),
    ),
    key=("dst_url", "src_url", "anchor_text", "kind"),
    default_sort="dst_url",
    filters=(FOLLOW, REFERRING_DOMAIN),
    requires=("inbound_links",),
)

LOST = TableView(
    slug="lost",
    title="Lost links",
    description=(
        "Backlinks that a crawl found gone from a page it fetched again, and why (link_changes). A page that a "
        "later crawl did not fetch keeps its links: they are unverified, not lost."
    ),
    source="""
        select crawl_id, previous_crawl_id, reason, src_url, src_domain, anchor_text, dst_url, kind, nofollow_before,
            rel_before, seen_at
        from link_changes
        where dst_domain = $domain and not internal and event = 'lost'
    """,
    joins=(SOURCE_TITLE,),
    columns=(
        Column("crawl_id", "Crawl"),
        Column("previous_crawl_id", "Previous crawl"),
        Column("reason", "Reason", "reason"),
        Column("src_url", "Referring page", "url"),
        Column("src_title", "Referring page title", sortable=False),
        Column("src_domain", "Referring domain", "domain"),
        Column("anchor_text", "Anchor text", "anchor"),
        Column("dst_url", "Target page", "url"),
        Column("kind", "Kind"),
        Column("nofollow_before", "Was nofollow", "flag"),
        Column("rel_before", "Rel before"),
        Column("seen_at", "Seen gone", "time"),
    ),
    display=(
        Column("crawl_id", "Crawl"),
        Column("reason", "Reason", "reason"),
        Column("src_url", "Referring page", "page", sources=("src_title",)),
        Column("anchor_text", "Anchor text", "anchor"),
        Column("dst_url", "Target page", "url"),
        Column("kind", "Kind"),
        Column("rel_before", "Rel before"),
        Column("seen_at", "Seen gone", "time"),
    ),
    key=("crawl_id", "src_url", "dst_url", "anchor_text", "kind"),
    default_sort="-seen_at",
    filters=(
        Filter("crawl", "Crawl", condition="crawl_id = $crawl", options_sql=LATER_CRAWLS_SQL),
        Filter("reason", "Reason", condition="reason = $reason", choices=LOST_REASONS),
        REFERRING_DOMAIN,
        ANCHOR_CONTAINS,
    ),
    requires=("link_changes", "crawls"),
)

#: Page slug -> its views, best first: the first whose tables the index has is served.
VIEWS = {
    "backlinks": (BACKLINKS, BACKLINKS_WITHOUT_DISAVOW),
    "referring-domains": (REFERRING_DOMAINS, REFERRING_DOMAINS_PLAIN),
    "anchors": (ANCHORS, ANCHORS_PLAIN),
    "broken": (BROKEN, BROKEN_PLAIN),
    "lost": (LOST,),
}


def view_for(slug: str, names: frozenset[str]) -> TableView | None:
    """The view of the page ``slug`` for an index with these tables and columns; None: no such page."""
    for view in VIEWS.get(slug, ()):
        if set(view.requires) <= names:
            return view.usable(names)
    return None


@dataclass
class Selection:
    """What a query string asks of a view: filter values, sort, page."""

    view: TableView
    values: dict[str, str] = field(default_factory=dict)  # filter name -> value (normalised)
    bound: dict[str, object] = field(default_factory=dict)  # filter name -> value or parameters bound
    #: filter name -> its (value, label) options, for the filters that have a list
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    sort: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE
    #: Parameters every link of the page keeps: those that name a target narrower than a domain.
    fixed: dict[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, view: TableView, query: dict, options: dict | None = None, fixed: dict | None = None) -> "Selection":
        """Check a query string against ``view``; raise BadRequest naming what is wrong.

        ``options``: the (value, label) options of the filters with an
        ``options_sql``, as the index gives them for the target domain.
        ``fixed``: parameters kept in every link (``query``), not filters.
        """
        selection = cls(view, sort=view.default_sort, fixed=dict(fixed or {}))
        for flt in view.filters:
            if flt.options_sql is not None:
                selection.options[flt.name] = list((options or {}).get(flt.name, []))
            elif flt.options is not None:
                selection.options[flt.name] = [(option, option) for option in flt.options]
        for flt in view.filters:
            value = (query.get(flt.name) or "").strip()
            if not value:
                continue
            allowed = selection.options.get(flt.name)
            if allowed is not None and value not in [option for option, _ in allowed]:
                listed = ", ".join(option for option, _ in allowed) or "(none in this index)"
                raise BadRequest(f"{flt.name}={value!r}: use one of {listed}")
            cleaned = flt.clean(value) if flt.clean else value
            selection.values[flt.name] = cleaned if isinstance(cleaned, str) else value
            selection.bound[flt.name] = cleaned
        sort = query.get("sort") or view.default_sort
        column = view.column(sort.removeprefix("-"))
        if column is None or not column.sortable:
            names = ", ".join(c.name for c in view.columns if c.sortable)
            raise BadRequest(f"sort={sort!r}: sort by one of {names} ('-' before it for descending)")
        selection.sort = sort
        selection.page = _positive(query, "page", 1)
        selection.per_page = _positive(query, "per_page", DEFAULT_PER_PAGE)
        if selection.per_page not in PER_PAGE:
            raise BadRequest(f"per_page={selection.per_page}: use one of {', '.join(map(str, PER_PAGE))}")
        return selection

    # -- SQL -----------------------------------------------------------------

    def _where(self, domain: str) -> tuple[str, dict]:
        conditions, params = [], {"domain": domain}
        for flt in self.view.filters:
            value = self.values.get(flt.name)
            if value is None:
                continue
            if flt.cases is not None:
                conditions.append(flt.cases[value])
            else:
                bound = self.bound[flt.name]
                params.update(bound if isinstance(bound, dict) else {flt.name: bound})
                conditions.append(flt.condition)
        where = " and ".join(f"({c})" for c in conditions) or "true"
        return where, params

    def _order(self) -> str:
        name = self.sort.removeprefix("-")
        direction = "desc" if self.sort.startswith("-") else "asc"
        tail = [k for k in self.view.key if k != name]
        return ", ".join([f'"{name}" {direction} nulls last', *(f'"{k}"' for k in tail)])

    def rows_sql(self, domain: str, paged: bool = True) -> tuple[str, dict]:
        """The statement of the selected rows (one page of them, or all) and its parameters."""
        where, params = self._where(domain)
        view = self.view
        names = [c.name for c in view.columns]
        if paged:  # a page also shows what its display columns are drawn from
            names += [s for c in view.page_columns if c.kind != "tags" for s in c.sources if s not in names]
        columns = ", ".join(f'"{name}"' for name in names)
        order = self._order()
        sql = f"select * from ({view.source}) as view_rows where {where} order by {order}"
        if paged:
            sql += " limit $limit offset $offset"
            params.update(limit=self.per_page, offset=(self.page - 1) * self.per_page)
        if view.joins:
            # Only the rows shown are joined: a join over every row of a large domain costs more than the page.
            added = ", ".join(join.select for join in view.joins)
            joins = "\n".join(join.sql for join in view.joins)
            sql = f"select view_rows.*, {added} from ({sql}) as view_rows {joins}"
        return f"select {columns} from ({sql}) as view_rows order by {order}", params

    def count_sql(self, domain: str) -> tuple[str, dict]:
        where, params = self._where(domain)
        return f"select count(*) as rows from ({self.view.source}) as view_rows where {where}", params

    # -- links ---------------------------------------------------------------

    def query(self, **changes) -> str:
        """This selection's query string, with ``changes`` (None removes a parameter)."""
        params = {**self.fixed, **self.values}
        if self.sort != self.view.default_sort:
            params["sort"] = self.sort
        if self.page != 1:
            params["page"] = str(self.page)
        if self.per_page != DEFAULT_PER_PAGE:
            params["per_page"] = str(self.per_page)
        for name, value in changes.items():
            if value is None:
                params.pop(name, None)
            else:
                params[name] = str(value)
        return urlencode(params)

    def sort_query(self, column: str) -> str:
        """The query string that sorts by ``column`` (descending first; again to flip), from page 1."""
        if self.sort == f"-{column}":
            sort = column
        else:
            sort = f"-{column}"
        return self.query(sort=None if sort == self.view.default_sort else sort, page=None)


def _positive(query: dict, name: str, default: int) -> int:
    value = query.get(name)
    if value in (None, ""):
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise BadRequest(f"{name}={value!r}: a whole number from 1")
    return number

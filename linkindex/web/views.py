"""Table pages: one query each, with filters, sorting and pages taken from the query string.

A ``TableView`` is a query over one target domain's rows (``$domain`` bound)
and what a user may do with it: the columns it shows and may sort on, and
the filters it accepts. ``Selection.parse`` checks a query string against
the view; ``Selection.sql`` writes the statement, with every value from the
user as a bound parameter. Column names and conditions come from the view
definitions only. The HTML page, its CSV twin and its JSON twin all run the
same statement, so a download holds exactly the rows the filters select.
"""

from dataclasses import dataclass, field
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
    #: ``page``: a URL under the title in the ``sources`` column.
    kind: str = "text"
    sortable: bool = True
    sources: tuple[str, ...] = ()


@dataclass(frozen=True)
class Filter:
    """One query-string parameter that narrows the rows.

    Either ``cases`` (each allowed value -> a condition without parameters)
    or ``condition`` (SQL with ``$<name>`` bound to the value, which must be
    one of ``choices`` when they are given).
    """

    name: str
    label: str
    cases: dict[str, str] | None = None
    condition: str | None = None
    choices: tuple[str, ...] | None = None
    #: Turns the value as typed into the value bound (may raise BadRequest).
    clean: object = None
    placeholder: str = ""

    @property
    def options(self) -> tuple[str, ...] | None:
        return tuple(self.cases) if self.cases is not None else self.choices


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
    requires: tuple[str, ...] = ()  # tables the source reads
    #: The columns of the HTML page, when it shows them otherwise than the downloads do.
    display: tuple[Column, ...] = ()
    #: Joins that add columns to the rows once they are selected, sorted and paged (such as a
    #: page's title): ``view_rows`` are the rows, ``added`` the columns these joins give.
    joins: str = ""
    added: str = ""

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)

    @property
    def page_columns(self) -> tuple[Column, ...]:
        return self.display or self.columns


def _clean_domain(value: str) -> str:
    try:
        return normalize_domain(value)[1]
    except IndexBuildError as exc:
        raise BadRequest(str(exc)) from None


def _yes_no(condition: str) -> dict[str, str]:
    return {"yes": condition, "no": f"not {condition}"}


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

BACKLINKS = TableView(
    slug="backlinks",
    title="Backlinks",
    description="Every distinct link from another site to a page of this domain (inbound_links).",
    source="""
        select src_url, src_domain, anchor_text, dst_url, kind, placement, nofollow, ugc, sponsored, page_nofollow,
            occurrences, first_seen, last_seen, dst_status
        from inbound_links
        where dst_domain = $domain
    """,
    joins="left join page_status as src_page on src_page.url = view_rows.src_url",
    added="src_page.title as src_title",
    columns=(
        Column("src_url", "Referring page", "url"),
        Column("src_title", "Referring page title", sortable=False),
        Column("src_domain", "Referring domain", "domain"),
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
    ),
    display=(
        Column("src_url", "Referring page", "page", sources=("src_title",)),
        Column("anchor_text", "Anchor text", "anchor"),
        Column("dst_url", "Target page", "url"),
        Column("kind", "Kind"),
        Column("placement", "Placement"),
        Column("rel", "Rel", "tags", sortable=False, sources=("nofollow", "ugc", "sponsored", "page_nofollow")),
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
        REFERRING_DOMAIN,
        ANCHOR_CONTAINS,
        URL_CONTAINS,
    ),
    requires=("inbound_links", "page_status"),
)

REFERRING_DOMAINS = TableView(
    slug="referring-domains",
    title="Referring domains",
    description="The domains that link to this one, and how much (referring_domains).",
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
    filters=(
        Filter(
            "follow",
            "Follow",
            cases={"dofollow": "dofollow_backlinks > 0", "nofollow": "dofollow_backlinks = 0"},
        ),
        Filter(
            "domain_contains",
            "Domain contains",
            condition="contains(referring_domain, lower($domain_contains))",
            placeholder="blog",
        ),
    ),
    requires=("referring_domains",),
)

ANCHORS = TableView(
    slug="anchors",
    title="Anchors",
    description="The texts other sites link with (anchor_distribution: anchor, image and area links).",
    source="""
        select anchor_text, backlinks, referring_domains, dofollow_backlinks, share
        from anchor_distribution
        where target_domain = $domain
    """,
    columns=(
        Column("anchor_text", "Anchor text", "anchor"),
        Column("backlinks", "Backlinks", "number"),
        Column("referring_domains", "Referring domains", "number"),
        Column("dofollow_backlinks", "Dofollow", "number"),
        Column("share", "Share", "share"),
    ),
    key=("anchor_text",),
    default_sort="-backlinks",
    filters=(ANCHOR_CONTAINS,),
    requires=("anchor_distribution",),
)

BROKEN = TableView(
    slug="broken",
    title="Broken backlinks",
    description=(
        "Links to pages of this domain whose latest fetch answered 4xx or 5xx: redirect the dead URL "
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

VIEWS = {view.slug: view for view in (BACKLINKS, REFERRING_DOMAINS, ANCHORS, BROKEN)}


@dataclass
class Selection:
    """What a query string asks of a view: filter values, sort, page."""

    view: TableView
    values: dict[str, str] = field(default_factory=dict)  # filter name -> value as given
    sort: str = ""
    page: int = 1
    per_page: int = DEFAULT_PER_PAGE

    @classmethod
    def parse(cls, view: TableView, query: dict) -> "Selection":
        """Check a query string against ``view``; raise BadRequest naming what is wrong."""
        selection = cls(view, sort=view.default_sort)
        for flt in view.filters:
            value = (query.get(flt.name) or "").strip()
            if not value:
                continue
            options = flt.options
            if options is not None and value not in options:
                raise BadRequest(f"{flt.name}={value!r}: use one of {', '.join(options)}")
            selection.values[flt.name] = flt.clean(value) if flt.clean else value
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
                params[flt.name] = value
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
        columns = ", ".join(f'"{c.name}"' for c in view.columns)
        order = self._order()
        sql = f"select * from ({view.source}) as view_rows where {where} order by {order}"
        if paged:
            sql += " limit $limit offset $offset"
            params.update(limit=self.per_page, offset=(self.page - 1) * self.per_page)
        if view.joins:
            # Only the rows shown are joined: a join over every row of a large domain costs more than the page.
            sql = f"select view_rows.*, {view.added} from ({sql}) as view_rows {view.joins}"
        return f"select {columns} from ({sql}) as view_rows order by {order}", params

    def count_sql(self, domain: str) -> tuple[str, dict]:
        where, params = self._where(domain)
        return f"select count(*) as rows from ({self.view.source}) as view_rows where {where}", params

    # -- links ---------------------------------------------------------------

    def query(self, **changes) -> str:
        """This selection's query string, with ``changes`` (None removes a parameter)."""
        params = dict(self.values)
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

"""The backlink profile of one target, printed from the index tables.

Everything shown comes from the tables built by ``linkindex.index.build``
(``domain_summary``, ``referring_domains``, ``anchor_distribution``,
``target_pages``, ``link_breakdown``; ``domain_authority``, ``page_authority``,
``link_changes``, ``referring_domain_changes``, ``domain_history``,
``referring_domain_risk``, ``referring_domain_flags``, ``domain_flags``,
``broken_backlinks``, ``inbound_links``); the target reaches SQL only as
bound parameters. A target narrower than a registered domain (one URL, a URL
prefix, a host and its subdomains: ``linkindex.targets``) gets those tables
computed for it alone, by the same models, where they are computed from the
facts (``REPORT_TABLES``); authority, flags and risk stay those of its
registered domain. Each section of the report is one query (``*_SQL``), one
function that runs it and one that prints it; ``--format json`` prints the
returned dict instead.
"""

import io
from pathlib import Path

from rich.columns import Columns
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from linkindex.display import shorten
from linkindex.index import IndexBuildError, open_index
from linkindex.targets import Target, TargetError, parse_target, shadow_tables

#: Said once under a report that shortened a value (anchors and titles; URLs never are).
SHORTENED_NOTE = "values shortened; `linkindex query` shows them whole (--format csv or --vertical)"

SUMMARY_SQL = "select * exclude (target_domain) from domain_summary where target_domain = $domain"

REFERRING_DOMAINS_SQL = """
select referring_domain, backlinks, dofollow_backlinks, linked_pages, first_seen, last_seen
from referring_domains
where target_domain = $domain
order by backlinks desc, referring_domain
limit $top
"""

ANCHORS_SQL = """
select anchor_text, backlinks, referring_domains, dofollow_backlinks, share
from anchor_distribution
where target_domain = $domain
order by backlinks desc, anchor_text
limit $top
"""

PAGES_SQL = """
select dst_url, referring_domains, backlinks, dofollow_backlinks, dst_status
from target_pages
where target_domain = $domain
order by referring_domains desc, backlinks desc, dst_url
limit $top
"""

BREAKDOWN_SQL = """
select dimension, value, backlinks
from link_breakdown
where target_domain = $domain
order by dimension, backlinks desc, value
"""

COUNT_DOMAINS_SQL = "select count(*) from domain_summary"

AUTHORITY_SQL = """
select authority, rank, (select count(*) from domain_authority) as domains, pagerank, referring_domains, linked_domains
from domain_authority
where domain = $domain
"""

LATEST_CRAWLS_SQL = "select crawl_id, started from crawls order by crawl_seq desc limit 2"

HISTORY_SQL = """
select backlinks, dofollow_backlinks, referring_domains, new_backlinks, lost_backlinks, new_referring_domains,
    lost_referring_domains
from domain_history
where target_domain = $domain and crawl_id = $crawl
"""

REASONS_SQL = """
select event, reason, count(*) as backlinks
from link_changes
where crawl_id = $crawl and {target}
group by event, reason
order by event, backlinks desc, reason
"""

TOP_LOST_SQL = """
select link_changes.src_url, link_changes.dst_url, link_changes.anchor_text, link_changes.reason,
    domain_authority.authority
from link_changes
left join domain_authority on domain_authority.domain = link_changes.src_domain
where link_changes.crawl_id = $crawl and link_changes.event = 'lost' and {target}
order by domain_authority.authority desc nulls last, link_changes.src_url, link_changes.dst_url,
    link_changes.anchor_text
limit $top
"""

DOMAIN_CHANGES_SQL = """
select referring_domain, event, backlinks_before, backlinks_after, lost_reasons
from referring_domain_changes
where target_domain = $domain and crawl_id = $crawl
order by event desc, referring_domain
limit $top
"""

UNVERIFIED_SQL = """
select
    count(distinct (src_url, dst_url, anchor_text, kind)) as backlinks,
    count(distinct src_url) as pages,
    count(distinct src_domain) as referring_domains
from current_backlinks
where crawl_id <> $crawl and {target}
"""

RISK_SQL = """
select risk, count(*) as referring_domains
from referring_domain_risk
where target_domain = $domain
group by risk
"""

TOP_RISK_SQL = """
select risk.referring_domain, risk.risk, risk.flags, risk.backlinks, risk.why,
    list(flags.flag || ': ' || flags.reason order by flags.flag) as reasons
from referring_domain_risk as risk
join referring_domain_flags as flags using (target_domain, referring_domain)
where risk.target_domain = $domain
group by risk.referring_domain, risk.risk, risk.flags, risk.backlinks, risk.why
order by list_position(['low', 'medium', 'high'], risk.risk) desc, risk.backlinks desc, risk.referring_domain
limit $top
"""

FLAG_COUNTS_SQL = """
select flag, count(*) as referring_domains
from referring_domain_flags
where target_domain = $domain
group by flag
order by referring_domains desc, flag
"""

DOMAIN_FLAGS_SQL = "select flag, reason from domain_flags where target_domain = $domain order by flag"

ANCHOR_CLASSES_SQL = """
select anchor_class, sum(backlinks)::bigint as backlinks, count(*) as anchors
from anchor_distribution
where target_domain = $domain
group by anchor_class
order by backlinks desc, anchor_class
"""

BROKEN_SQL = """
select dst_url, src_url, anchor_text, broken_url, broken_status, redirects, referring_domain_authority
from (select *, target_domain as dst_domain from broken_backlinks)
where {target}
order by referring_domain_authority desc nulls last, dst_url, src_url, anchor_text
limit $top
"""

BROKEN_COUNT_SQL = """
select count(*) as backlinks, count(distinct dst_url) as pages, count(distinct referring_domain) as referring_domains
from (select *, target_domain as dst_domain from broken_backlinks)
where {target}
"""

DISAVOWED_SQL = """
select
    count(*) filter (where disavowed) as backlinks,
    count(*) as of_backlinks,
    count(distinct src_domain) filter (where disavowed) as referring_domains
from inbound_links
where {target}
"""


PAGE_AUTHORITY_SQL = """
select url, authority, rank, (select count(*) from page_authority) as pages, linking_pages
from page_authority
where list_contains($urls, url)
order by authority desc, url
"""


#: The tables the report reads: for a target narrower than a domain, computed for it alone (see linkindex.targets).
REPORT_TABLES = (
    "referring_domains",
    "anchor_distribution",
    "target_pages",
    "link_breakdown",
    "domain_summary",
    "link_changes",
    "referring_domain_changes",
    "domain_history",
)


def normalize_domain(value: str) -> tuple[str, str]:
    """(host, registered domain) of a domain name or URL as a user types it.

    Lowercased and punycoded as a browser would (``Bücher.DE`` ->
    ``xn--bcher-kva.de``); a scheme, port and path are dropped.
    """
    target = _parse_target(value, "domain")
    return target.host, target.domain


def _parse_target(typed: str, mode: str | None) -> Target:
    try:
        return parse_target(typed, mode)
    except TargetError as exc:
        raise IndexBuildError(str(exc)) from exc


def _rows(con, sql: str, params: dict) -> list[dict]:
    # Through Arrow: DuckDB needs pytz to hand timestamps with time zone to Python.
    return con.sql(sql, params=params).to_arrow_table().to_pylist()


def report(
    data_dir: str | Path,
    domain: str,
    top: int = 10,
    console: Console | None = None,
    errors: Console | None = None,
    mode: str | None = None,
    show: bool = True,
) -> dict:
    """Print the backlink profile of ``domain``, a target in ``mode`` (see linkindex.targets); return the numbers shown.

    The returned dict has ``mode`` and ``target`` (the target in words),
    ``domain`` (the registered domain that holds it),
    ``host`` (what the user asked for, normalised), ``totals`` (the
    domain_summary row; only ``backlinks``: 0 when the domain has none),
    ``referring_domains``, ``anchors`` and ``pages`` (lists of row dicts,
    best first), and ``rel``, ``kind`` and ``placement`` (backlinks by value);
    then ``authority`` (the registered domain's domain_authority row, or
    None; and ``page_authority`` for an exact target), ``changes`` (since the
    previous crawl), ``unverified``, ``quality`` (risk and flags of the
    registered domain), ``anchor_classes``, ``broken`` and ``disavowed``.
    That the index holds no backlink to the domain is said on ``errors``
    (default: ``console``). With ``show`` false nothing is printed.
    """
    if top < 1:
        raise IndexBuildError(f"--top must be at least 1, not {top}")
    console = console or Console()
    if not show:
        console = errors = Console(file=io.StringIO())
    wanted = _parse_target(domain, mode)
    host, target = wanted.host, wanted.domain
    result = {
        "mode": wanted.mode,
        "target": wanted.describe(),
        "domain": target,
        "host": host,
        "totals": {"backlinks": 0},
        "referring_domains": [],
        "anchors": [],
        "pages": [],
        "rel": {},
        "kind": {},
        "placement": {},
        "authority": None,
        "page_authority": [],
        "changes": None,
        "unverified": None,
        "quality": None,
        "anchor_classes": [],
        "broken": None,
        "disavowed": None,
    }
    con = open_index(data_dir)
    try:
        indexed = con.execute(COUNT_DOMAINS_SQL).fetchall()[0][0]
        if wanted.mode != "domain":
            shadow_tables(con, wanted, REPORT_TABLES)
        params = {"domain": target}
        summary = _rows(con, SUMMARY_SQL, params)
        if wanted.mode == "domain" and host != target:
            console.print(
                f"[yellow]{escape(host)}[/] is a host of [bold]{escape(target)}[/]: "
                "reporting on the whole registered domain (--mode subdomains: that host alone)."
            )
        if not summary:
            (errors or console).print(
                f"No backlinks to [bold]{escape(result['target'])}[/] (mode {wanted.mode}) in the index at "
                f"{escape(str(data_dir))} ({indexed:,} domains have backlinks). Check the spelling, or extract "
                "or crawl pages that link to it."
            )
            return result
        params["top"] = top
        result["totals"] = totals = summary[0]
        result["crawls"] = _crawl_count(con)
        result["referring_domains"] = _rows(con, REFERRING_DOMAINS_SQL, params)
        result["anchors"] = _rows(con, ANCHORS_SQL, params)
        result["pages"] = _rows(con, PAGES_SQL, params)
        for row in _rows(con, BREAKDOWN_SQL, {"domain": target}):
            result[row["dimension"]][row["value"]] = row["backlinks"]
        result["authority"], result["page_authority"] = _authority(con, wanted)
        result["changes"], result["unverified"] = _changes(con, wanted, top)
        result["quality"] = _quality(con, target, top)
        result["anchor_classes"] = _rows(con, ANCHOR_CLASSES_SQL, {"domain": target})
        result["broken"] = _broken(con, wanted, top)
        result["disavowed"] = _disavowed(con, wanted)
    finally:
        con.close()
    result["rel"] = {
        "dofollow": totals["dofollow_backlinks"],
        "nofollow": totals["nofollow_backlinks"],
        "ugc": totals["ugc_backlinks"],
        "sponsored": totals["sponsored_backlinks"],
    }
    _print(console, result)
    return result


def target_sql(wanted: Target, sql: str) -> tuple[str, dict]:
    """``sql`` with its ``{target}`` condition: the target's links, over ``dst_url`` and ``dst_domain``."""
    condition, params = wanted.domain_predicate()
    return sql.replace("{target}", condition), params


def _authority(con, wanted: Target) -> tuple[dict | None, list[dict]]:
    rows = _rows(con, AUTHORITY_SQL, {"domain": wanted.domain})
    pages = _rows(con, PAGE_AUTHORITY_SQL, {"urls": list(wanted.urls)}) if wanted.mode == "exact" else []
    return (rows[0] if rows else None), pages


def _crawl_count(con) -> int:
    """How many crawls the totals add up: each counts every occurrence it saw."""
    return con.sql("select count(*) from crawls").fetchall()[0][0]


def _changes(con, wanted: Target, top: int) -> tuple[dict, dict]:
    """(what changed in the latest crawl, backlinks it did not re-check)."""
    crawls = _rows(con, LATEST_CRAWLS_SQL, {})
    latest = crawls[0]["crawl_id"] if crawls else None
    changes = {
        "crawl_id": latest,
        "previous_crawl_id": crawls[1]["crawl_id"] if len(crawls) > 1 else None,
        "history": None,
        "reasons": [],
        "top_lost": [],
        "referring_domains": [],
    }
    if latest is None:
        return changes, {"crawl_id": None, "backlinks": 0, "pages": 0, "referring_domains": 0}
    at_latest = {"domain": wanted.domain, "crawl": latest, "top": top}
    history = _rows(con, HISTORY_SQL, {"domain": wanted.domain, "crawl": latest})
    changes["history"] = history[0] if history else None
    if changes["previous_crawl_id"] is not None:
        sql, params = target_sql(wanted, REASONS_SQL)
        changes["reasons"] = _rows(con, sql, {**params, "crawl": latest})
        sql, params = target_sql(wanted, TOP_LOST_SQL)
        changes["top_lost"] = _rows(con, sql, {**params, "crawl": latest, "top": top})
        changes["referring_domains"] = _rows(con, DOMAIN_CHANGES_SQL, at_latest)
    sql, params = target_sql(wanted, UNVERIFIED_SQL)
    unverified = {"crawl_id": latest, **_rows(con, sql, {**params, "crawl": latest})[0]}
    return changes, unverified


def _quality(con, domain: str, top: int) -> dict:
    at_domain = {"domain": domain}
    risk = {row["risk"]: row["referring_domains"] for row in _rows(con, RISK_SQL, at_domain)}
    return {
        "risk": {level: risk.get(level, 0) for level in ("high", "medium", "low")},
        "top_risk": _rows(con, TOP_RISK_SQL, {**at_domain, "top": top}),
        "flags": {row["flag"]: row["referring_domains"] for row in _rows(con, FLAG_COUNTS_SQL, at_domain)},
        "domain_flags": _rows(con, DOMAIN_FLAGS_SQL, at_domain),
    }


def _broken(con, wanted: Target, top: int) -> dict:
    sql, params = target_sql(wanted, BROKEN_COUNT_SQL)
    counts = _rows(con, sql, params)[0]
    sql, params = target_sql(wanted, BROKEN_SQL)
    return {**counts, "top": _rows(con, sql, {**params, "top": top})}


def _disavowed(con, wanted: Target) -> dict:
    sql, params = target_sql(wanted, DISAVOWED_SQL)
    return _rows(con, sql, params)[0]


def _count(number: int, word: str) -> str:
    """``1 page``, ``2 pages``."""
    return f"{number:,} {word}" if number == 1 else f"{number:,} {word}s"


def _when(value) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else ""


def _table(title: str, label: str, *numbers: str) -> Table:
    """A table of one label column and right-aligned number columns."""
    table = Table(title=title, title_justify="left", title_style="bold", show_edge=False)
    table.add_column(label, overflow="fold")
    for column in numbers:
        table.add_column(column, justify="right")
    return table


def _text_table(title: str, *columns: str, numbers: tuple[str, ...] = ()) -> Table:
    """A table of text columns, and number columns (right-aligned) among them."""
    table = Table(title=title, title_justify="left", title_style="bold", show_edge=False)
    for column in columns:
        table.add_column(column, justify="right" if column in numbers else "left", overflow="fold")
    return table


def _label(value: str, shortened: list) -> Text:
    """A value as ``query`` shows it in a terminal (see linkindex.display); ``shortened`` notes a cut."""
    text, cut = shorten(value)
    if cut:
        shortened.append(value)
    return Text(text)


def _breakdown(title: str, counts: dict, total: int, shortened: list) -> Table:
    table = _table(title, "", "backlinks", "share")
    for value, count in counts.items():
        table.add_row(_label(value, shortened), f"{count:,}", f"{count / total:.0%}")
    return table


def _print(console: Console, result: dict) -> None:
    totals = result["totals"]
    shortened = []
    console.rule(f"Backlink profile of {escape(result['target'])} (mode {result['mode']})")
    overview = _table("", "", "")
    overview.show_header = False
    overview.add_row("Backlinks", f"{totals['backlinks']:,}")
    overview.add_row("Referring domains", f"{totals['referring_domains']:,}")
    overview.add_row("Referring pages", f"{totals['referring_pages']:,}")
    overview.add_row("Linked pages", f"{totals['linked_pages']:,}")
    overview.add_row("Dofollow share", f"{totals['dofollow_share']:.1%}")
    overview.add_row("Seen", f"{_when(totals['first_seen'])} to {_when(totals['last_seen'])}")
    console.print(overview)
    if result.get("crawls", 1) > 1:
        console.print(
            f"[dim]All {result['crawls']} crawls together: a link that every crawl saw counts once per crawl. "
            "The latest crawl's live backlinks are under 'Since the previous crawl'.[/]"
        )

    table = _table("Top referring domains", "domain", "backlinks", "dofollow", "linked pages", "last seen")
    for row in result["referring_domains"]:
        table.add_row(
            _label(row["referring_domain"], shortened),
            f"{row['backlinks']:,}",
            f"{row['dofollow_backlinks']:,}",
            f"{row['linked_pages']:,}",
            _when(row["last_seen"]),
        )
    console.print(table)

    table = _table("Top anchors", "anchor text", "backlinks", "domains", "dofollow", "share")
    for row in result["anchors"]:
        anchor = _label(row["anchor_text"], shortened) if row["anchor_text"] else Text("(empty)", style="dim")
        table.add_row(
            anchor,
            f"{row['backlinks']:,}",
            f"{row['referring_domains']:,}",
            f"{row['dofollow_backlinks']:,}",
            f"{row['share']:.1%}",
        )
    console.print(table)

    table = _table("Most-linked pages", "page", "domains", "backlinks", "dofollow", "status")
    for row in result["pages"]:
        status = row["dst_status"]
        table.add_row(
            _label(row["dst_url"], shortened),
            f"{row['referring_domains']:,}",
            f"{row['backlinks']:,}",
            f"{row['dofollow_backlinks']:,}",
            Text("not fetched", style="dim")
            if status is None
            else Text(str(status), style="red" if status >= 400 else ""),
        )
    console.print(table)

    total = totals["backlinks"]
    console.print(
        Columns(
            [
                _breakdown("By rel", result["rel"], total, shortened),
                _breakdown("By placement", result["placement"], total, shortened),
                _breakdown("By kind", result["kind"], total, shortened),
            ],
            padding=(0, 4),
        )
    )
    console.print("[dim]A link with nofollow and ugc counts under both; dofollow is every link without nofollow.[/]")
    _print_authority(console, result)
    _print_changes(console, result, shortened)
    _print_quality(console, result, shortened)
    _print_anchor_classes(console, result, shortened)
    _print_broken(console, result, shortened)
    _print_disavowed(console, result)
    if shortened:
        console.print(SHORTENED_NOTE, style="dim", highlight=False)


def _print_authority(console: Console, result: dict) -> None:
    authority = result["authority"]
    if authority is not None:
        console.print(
            f"[bold]Authority[/] of {escape(result['domain'])}: {authority['authority']:.1f} of 100, rank "
            f"{authority['rank']:,} of {authority['domains']:,} domains; {authority['referring_domains']:,} "
            "referring domains link to it with followed links",
            soft_wrap=True,
        )
    for page in result["page_authority"]:
        console.print(
            f"[bold]Page authority[/] of {escape(page['url'])}: {page['authority']:.1f} of 100, rank "
            f"{page['rank']:,} of {page['pages']:,} URLs; {page['linking_pages']:,} pages link to it with "
            "followed links",
            soft_wrap=True,
        )


def _print_changes(console: Console, result: dict, shortened: list) -> None:
    changes, unverified = result["changes"], result["unverified"]
    history = changes["history"]
    if changes["previous_crawl_id"] is None:
        console.print("[bold]Changes[/]: one crawl in the index, nothing to compare it with yet.")
    elif history is not None:
        console.print(
            f"[bold]Since the previous crawl[/] ({escape(changes['previous_crawl_id'])} → "
            f"{escape(changes['crawl_id'])}): backlinks +{history['new_backlinks']:,} −{history['lost_backlinks']:,} "
            f"(now {history['backlinks']:,}), referring domains +{history['new_referring_domains']:,} "
            f"−{history['lost_referring_domains']:,} (now {history['referring_domains']:,})",
            soft_wrap=True,
        )
        if changes["reasons"]:
            console.print(
                "  " + ", ".join(f"{row['event']} {row['reason']}: {row['backlinks']:,}" for row in changes["reasons"]),
                soft_wrap=True,
                highlight=False,
            )
    if changes["top_lost"]:
        table = _text_table("Top lost backlinks", "from", "to", "anchor", "reason")
        for row in changes["top_lost"]:
            table.add_row(
                _label(row["src_url"], shortened),
                _label(row["dst_url"], shortened),
                _label(row["anchor_text"], shortened),
                row["reason"],
            )
        console.print(table)
    if changes["referring_domains"]:
        table = _text_table(
            "New and lost referring domains",
            "domain",
            "event",
            "backlinks before",
            "after",
            numbers=("backlinks before", "after"),
        )
        for row in changes["referring_domains"]:
            event = row["event"] + (f" ({', '.join(row['lost_reasons'])})" if row["lost_reasons"] else "")
            table.add_row(
                _label(row["referring_domain"], shortened),
                event,
                f"{row['backlinks_before']:,}",
                f"{row['backlinks_after']:,}",
            )
        console.print(table)
    if unverified["backlinks"]:
        console.print(
            f"[yellow]{_count(unverified['backlinks'], 'backlink')}[/] from {_count(unverified['pages'], 'page')} of "
            f"{_count(unverified['referring_domains'], 'domain')}: not re-checked by the latest crawl "
            f"({escape(unverified['crawl_id'])}), kept as last seen, unverified, not lost.",
            soft_wrap=True,
        )


def _print_quality(console: Console, result: dict, shortened: list) -> None:
    quality = result["quality"]
    risk = quality["risk"]
    console.print(
        f"[bold]Link quality[/] of {escape(result['domain'])} (heuristics): referring domains at risk "
        f"high {risk['high']:,}, medium {risk['medium']:,}, low {risk['low']:,}"
        + (
            "; flags: " + ", ".join(f"{flag} {count:,}" for flag, count in quality["flags"].items())
            if quality["flags"]
            else ""
        ),
        soft_wrap=True,
    )
    for row in quality["domain_flags"]:
        console.print(f"  [yellow]{row['flag']}[/]: {escape(row['reason'])}", soft_wrap=True)
    if quality["top_risk"]:
        table = _text_table(
            "Riskiest referring domains", "domain", "risk", "backlinks", "flags and reasons", numbers=("backlinks",)
        )
        for row in quality["top_risk"]:
            table.add_row(
                _label(row["referring_domain"], shortened),
                Text(row["risk"], style="red" if row["risk"] == "high" else ""),
                f"{row['backlinks']:,}",
                _label("; ".join(row["reasons"]), shortened),
            )
        console.print(table)


def _print_anchor_classes(console: Console, result: dict, shortened: list) -> None:
    rows = result["anchor_classes"]
    if rows:
        total = sum(row["backlinks"] for row in rows)
        classes = {row["anchor_class"]: row["backlinks"] for row in rows}
        console.print(_breakdown("Anchor classes", classes, total, shortened))


def _print_broken(console: Console, result: dict, shortened: list) -> None:
    broken = result["broken"]
    if not broken["backlinks"]:
        return
    table = _text_table(
        f"Broken backlinks: {broken['backlinks']:,} to {_count(broken['pages'], 'page')}, from "
        f"{_count(broken['referring_domains'], 'domain')} (redirect the page to reclaim them)",
        "page linked to",
        "from",
        "status",
        "authority",
        numbers=("authority",),
    )
    for row in broken["top"]:
        via = f" via {row['redirects']} redirect{'s' if row['redirects'] > 1 else ''}" if row["redirects"] else ""
        table.add_row(
            _label(row["dst_url"], shortened),
            _label(row["src_url"], shortened),
            f"{row['broken_status']}{via}",
            "" if row["referring_domain_authority"] is None else f"{row['referring_domain_authority']:.1f}",
        )
    console.print(table)


def _print_disavowed(console: Console, result: dict) -> None:
    disavowed = result["disavowed"]
    if disavowed["backlinks"]:
        console.print(
            f"[bold]Disavowed[/]: {disavowed['backlinks']:,} of {disavowed['of_backlinks']:,} backlinks "
            f"({disavowed['backlinks'] / disavowed['of_backlinks']:.0%}), from {disavowed['referring_domains']:,} "
            "referring domains",
            soft_wrap=True,
        )

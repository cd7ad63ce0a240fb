"""The backlink profile of one target, printed from the index tables.

Everything shown comes from the tables built by ``linkindex.index.build``
(``domain_summary``, ``referring_domains``, ``anchor_distribution``,
``target_pages``, ``link_breakdown``); the target reaches SQL only as bound
parameters. A target narrower than a registered domain (one URL, a URL
prefix, a host and its subdomains: ``linkindex.targets``) gets those tables
computed for it alone, by the same models.
"""

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


#: The tables the report reads: for a target narrower than a domain, computed for it alone (see linkindex.targets).
REPORT_TABLES = ("referring_domains", "anchor_distribution", "target_pages", "link_breakdown", "domain_summary")


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
) -> dict:
    """Print the backlink profile of ``domain``, a target in ``mode`` (see linkindex.targets); return the numbers shown.

    The returned dict has ``mode`` and ``target`` (the target in words),
    ``domain`` (the registered domain that holds it),
    ``host`` (what the user asked for, normalised), ``totals`` (the
    domain_summary row; only ``backlinks``: 0 when the domain has none),
    ``referring_domains``, ``anchors`` and ``pages`` (lists of row dicts,
    best first), and ``rel``, ``kind`` and ``placement`` (backlinks by value).
    That the index holds no backlink to the domain is said on ``errors``
    (default: ``console``).
    """
    if top < 1:
        raise IndexBuildError(f"--top must be at least 1, not {top}")
    console = console or Console()
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
        result["referring_domains"] = _rows(con, REFERRING_DOMAINS_SQL, params)
        result["anchors"] = _rows(con, ANCHORS_SQL, params)
        result["pages"] = _rows(con, PAGES_SQL, params)
        for row in _rows(con, BREAKDOWN_SQL, {"domain": target}):
            result[row["dimension"]][row["value"]] = row["backlinks"]
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


def _when(value) -> str:
    return value.strftime("%Y-%m-%d") if value is not None else ""


def _table(title: str, label: str, *numbers: str) -> Table:
    """A table of one label column and right-aligned number columns."""
    table = Table(title=title, title_justify="left", title_style="bold", show_edge=False)
    table.add_column(label, overflow="fold")
    for column in numbers:
        table.add_column(column, justify="right")
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
    console.print(
        "[dim]A link with nofollow and ugc counts under both; dofollow is every link without nofollow.[/]"
    )
    if shortened:
        console.print(SHORTENED_NOTE, style="dim", highlight=False)

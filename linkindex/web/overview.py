"""The overview of one target: the numbers, rankings and chart series the overview page shows.

The same dict feeds the page served by ``linkindex serve`` and the one-file
report of ``linkindex report TARGET --html FILE``. Every figure is read from
the index tables with the registered domain bound as a parameter; for a
target narrower than a domain, from the tables computed for it alone
(``WebIndex.narrowed``), so the same queries give its numbers. Authority,
risk and flags stay those of the registered domain, as in ``linkindex report``.
"""

# The overview's headline and rankings are the terminal report's queries.
from linkindex.report import ANCHORS_SQL as TOP_ANCHORS_SQL
from linkindex.report import BREAKDOWN_SQL, PAGE_AUTHORITY_SQL, SUMMARY_SQL, UNVERIFIED_SQL, target_sql
from linkindex.report import PAGES_SQL as TOP_PAGES_SQL
from linkindex.report import REFERRING_DOMAINS_SQL as TOP_REFERRING_DOMAINS_SQL
from linkindex.targets import Target
from linkindex.web.db import WebIndex

#: Rows in each "top" ranking of the overview.
TOP = 10

BROKEN_COUNT_SQL = """
select count(*) as backlinks, count(distinct dst_url) as pages
from inbound_links
where dst_domain = $domain and dst_status >= 400
"""

TOP_DOMAINS_SQL = """
select target_domain, referring_domains, backlinks, dofollow_share
from domain_summary
order by referring_domains desc, backlinks desc, target_domain
limit $top
"""


# -- link intelligence (each part shown when the index has its tables) -----------

AUTHORITY_SQL = """
select authority, rank, (select count(*) from domain_authority) as domains, referring_domains, linked_domains
from domain_authority
where domain = $domain
"""

HISTORY_SQL = """
select crawl_id, crawl_seq, started, backlinks, dofollow_backlinks, referring_domains, new_backlinks, lost_backlinks,
    new_referring_domains, lost_referring_domains
from domain_history
where target_domain = $domain
order by crawl_seq
"""

TOP_LOST_SQL = """
with lost as (
    select reason, src_url, src_domain, anchor_text, dst_url
    from link_changes
    where crawl_id = $crawl and dst_domain = $domain and not internal and event = 'lost'
)
select lost.reason, lost.src_url, lost.anchor_text, lost.dst_url, authority.authority
from lost
left join domain_authority as authority on authority.domain = lost.src_domain
order by authority.authority desc nulls last, lost.src_url, lost.dst_url, lost.anchor_text
limit $top
"""

LOST_REASONS_SQL = """
select reason, count(*) as backlinks
from link_changes
where crawl_id = $crawl and dst_domain = $domain and not internal and event = 'lost'
group by reason
order by backlinks desc, reason
"""

ANCHOR_CLASSES_SQL = """
select anchor_class, sum(backlinks)::bigint as backlinks
from anchor_distribution
where target_domain = $domain
group by anchor_class
order by backlinks desc, anchor_class
"""

RISK_SQL = """
select risk, count(*) as referring_domains, sum(backlinks)::bigint as backlinks
from referring_domain_risk
where target_domain = $domain
group by risk
"""

FLAG_COUNTS_SQL = """
select flag, count(*) as referring_domains
from referring_domain_flags
where target_domain = $domain
group by flag
order by referring_domains desc, flag
"""

DOMAIN_FLAGS_SQL = "select flag, reason from domain_flags where target_domain = $domain order by flag"

BROKEN_BACKLINKS_COUNT_SQL = """
select count(*) as backlinks, count(distinct dst_url) as pages
from broken_backlinks
where target_domain = $domain
"""

DISAVOWED_SQL = """
select count(*) filter (where disavowed) as backlinks, count(distinct src_domain) filter (where disavowed) as referring_domains
from inbound_links
where dst_domain = $domain
"""


def _intelligence(index: WebIndex, result: dict, top: int) -> None:
    """Authority, history, lost links, anchor classes, risk and flags, disavowed: what the index has of them."""
    params = {"domain": result["domain"]}
    names = index.current_names()
    if "domain_authority" in names:
        result["authority"] = index.record(AUTHORITY_SQL, params)
    if "broken_backlinks" in names:
        result["broken"] = index.record(BROKEN_BACKLINKS_COUNT_SQL, params)
    if "domain_history" in names:
        history = index.records(HISTORY_SQL, params)
        result["history"] = history
        if history:
            latest = history[-1]
            result["latest"] = latest
            crawl = {**params, "crawl": latest["crawl_id"]}
            if "link_changes" in names and latest["crawl_seq"] > 1:
                result["lost_reasons"] = index.records(LOST_REASONS_SQL, crawl)
                result["top_lost"] = index.records(TOP_LOST_SQL, {**crawl, "top": top})
            labels = [row["crawl_id"] for row in history]
            result["charts"]["history"] = chart(
                "line", "Backlinks and referring domains after each crawl", labels,
                {"backlinks": [r["backlinks"] for r in history], "referring domains": [r["referring_domains"] for r in history]},
            )  # fmt: skip
            result["charts"]["changes"] = chart(
                "bar", "New and lost backlinks in each crawl", labels,
                {"new": [r["new_backlinks"] or 0 for r in history], "lost": [-(r["lost_backlinks"] or 0) for r in history]},
                stacked=True,
            )  # fmt: skip
    if "anchor_distribution.anchor_class" in names:
        classes = {row["anchor_class"]: row["backlinks"] for row in index.records(ANCHOR_CLASSES_SQL, params)}
        result["anchor_classes"] = classes
        result["charts"]["anchor_classes"] = chart(
            "doughnut", "Anchor backlinks by class", list(classes), {"backlinks": list(classes.values())}
        )
    if "referring_domain_risk" in names:
        risk = {row["risk"]: row for row in index.records(RISK_SQL, params)}
        result["risk"] = {level: risk.get(level, {"referring_domains": 0, "backlinks": 0}) for level in RISK_LEVELS}
        result["flags"] = index.records(FLAG_COUNTS_SQL, params)
    if "domain_flags" in names:
        result["domain_flags"] = index.records(DOMAIN_FLAGS_SQL, params)
    if "inbound_links.disavowed" in names:
        result["disavowed"] = index.record(DISAVOWED_SQL, params)


RISK_LEVELS = ("high", "medium", "low")


def unverified(index: WebIndex, target: Target) -> dict | None:
    """The backlinks of ``target`` that the latest crawl did not re-check: unverified, not lost (the report's count).

    Read from the current link graph (a view over the per-crawl facts), so
    it costs a scan of them: the Lost links page shows it, not the overview.
    """
    if not index.has("current_backlinks", "crawls"):
        return None
    latest = index.records("select crawl_id from crawls order by crawl_seq desc limit 1")
    if not latest:
        return None
    crawl = latest[0]["crawl_id"]
    sql, params = target_sql(target, UNVERIFIED_SQL)
    return {"crawl_id": crawl, **index.record(sql, {**params, "crawl": crawl})}


def describe(target: Target) -> dict:
    """What the pages say of a target: its mode, the target in words, its registered domain, its address text."""
    return {
        "mode": target.mode,
        "text": target.describe(),
        "domain": target.domain,
        "canonical": target.canonical,
        "urls": list(target.urls),
    }


def overview(index: WebIndex, domain: str, top: int = TOP, target: Target | None = None) -> dict | None:
    """The overview of ``target`` (default: the registered domain ``domain``), or None when it has no backlinks.

    ``index`` is the one to read the target's tables from: for a target
    narrower than a domain, ``WebIndex.narrowed(target)``.

    Keys: ``domain``; ``target`` (``describe``); ``totals`` (the domain_summary row); ``referring_domains``,
    ``anchors``, ``pages`` (top rows); ``rel``, ``kind``, ``placement``
    (backlinks by value); ``broken`` (broken backlinks and pages); ``charts``
    (chart name -> {type, labels, series}).
    """
    params = {"domain": domain}
    totals = index.record(SUMMARY_SQL, params)
    if totals is None:
        return None
    ranked = {**params, "top": top}
    target = target or Target("domain", (), domain, domain, domain)
    result = {
        "domain": domain,
        "target": describe(target),
        "totals": totals,
        "referring_domains": index.records(TOP_REFERRING_DOMAINS_SQL, ranked),
        "anchors": index.records(TOP_ANCHORS_SQL, ranked),
        "pages": index.records(TOP_PAGES_SQL, ranked),
        "kind": {},
        "placement": {},
        "broken": index.record(BROKEN_COUNT_SQL, params),
        "crawls": len(crawls(index)),
    }
    for row in index.records(BREAKDOWN_SQL, params):
        result[row["dimension"]][row["value"]] = row["backlinks"]
    result["rel"] = {
        "dofollow": totals["dofollow_backlinks"],
        "nofollow": totals["nofollow_backlinks"],
        "ugc": totals["ugc_backlinks"],
        "sponsored": totals["sponsored_backlinks"],
    }
    result.update(
        authority=None, page_authority=[], history=[], latest=None, lost_reasons=[], top_lost=[], anchor_classes={},
        risk=None, flags=[], domain_flags=[], disavowed=None,
    )  # fmt: skip
    if target.mode == "exact" and index.has("page_authority"):
        result["page_authority"] = index.records(PAGE_AUTHORITY_SQL, {"urls": list(target.urls)})
    result["charts"] = {
        "follow": chart(
            "doughnut",
            "Backlinks by follow status",
            ["dofollow", "nofollow"],
            {"backlinks": [totals["dofollow_backlinks"], totals["nofollow_backlinks"]]},
        ),
        "placement": chart(
            "bar", "Backlinks by placement", list(result["placement"]), {"backlinks": list(result["placement"].values())}
        ),
        "kind": chart("bar", "Backlinks by kind", list(result["kind"]), {"backlinks": list(result["kind"].values())}),
        "referring_domains": chart(
            "bar",
            "Backlinks of the top referring domains",
            [row["referring_domain"] for row in result["referring_domains"]],
            {"backlinks": [row["backlinks"] for row in result["referring_domains"]]},
            horizontal=True,
        ),
    }
    _intelligence(index, result, top)
    return result


def chart(chart_type: str, title: str, labels: list, series: dict[str, list], **options) -> dict:
    """A chart as app.js draws it: a Chart.js type, labels, and one dataset per series."""
    datasets = [{"label": name, "values": values} for name, values in series.items()]
    return {"type": chart_type, "title": title, "labels": labels, "datasets": datasets, **options}


CRAWLS_SQL = "select crawl_seq, crawl_id, started, finished, pages, links, domains from crawls order by crawl_seq"


def crawls(index: WebIndex) -> list[dict]:
    """The crawls of the index, in the order they started (none for an index without the crawls table)."""
    return index.records(CRAWLS_SQL) if index.has("crawls") else []


def top_domains(index: WebIndex, top: int = 20) -> list[dict]:
    """The most linked-to domains of the index, for the start page."""
    return index.records(TOP_DOMAINS_SQL, {"top": top})

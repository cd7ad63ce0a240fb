"""The overview of one target domain: the numbers, rankings and chart series the overview page shows.

The same dict feeds the page served by ``linkindex serve`` and the one-file
report of ``linkindex report DOMAIN --html FILE``. Every figure is read from
the index tables with the domain bound as a parameter.
"""

from linkindex.web.db import WebIndex

#: Rows in each "top" ranking of the overview.
TOP = 10

SUMMARY_SQL = "select * exclude (target_domain) from domain_summary where target_domain = $domain"

TOP_REFERRING_DOMAINS_SQL = """
select referring_domain, backlinks, dofollow_backlinks, linked_pages, last_seen
from referring_domains
where target_domain = $domain
order by backlinks desc, referring_domain
limit $top
"""

TOP_ANCHORS_SQL = """
select anchor_text, backlinks, referring_domains, share
from anchor_distribution
where target_domain = $domain
order by backlinks desc, anchor_text
limit $top
"""

TOP_PAGES_SQL = """
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


def overview(index: WebIndex, domain: str, top: int = TOP) -> dict | None:
    """The overview of the registered domain ``domain``, or None when it has no backlinks in the index.

    Keys: ``domain``; ``totals`` (the domain_summary row); ``referring_domains``,
    ``anchors``, ``pages`` (top rows); ``rel``, ``kind``, ``placement``
    (backlinks by value); ``broken`` (broken backlinks and pages); ``charts``
    (chart name -> {type, labels, series}).
    """
    params = {"domain": domain}
    totals = index.record(SUMMARY_SQL, params)
    if totals is None:
        return None
    ranked = {**params, "top": top}
    result = {
        "domain": domain,
        "totals": totals,
        "referring_domains": index.records(TOP_REFERRING_DOMAINS_SQL, ranked),
        "anchors": index.records(TOP_ANCHORS_SQL, ranked),
        "pages": index.records(TOP_PAGES_SQL, ranked),
        "kind": {},
        "placement": {},
        "broken": index.record(BROKEN_COUNT_SQL, params),
    }
    for row in index.records(BREAKDOWN_SQL, params):
        result[row["dimension"]][row["value"]] = row["backlinks"]
    result["rel"] = {
        "dofollow": totals["dofollow_backlinks"],
        "nofollow": totals["nofollow_backlinks"],
        "ugc": totals["ugc_backlinks"],
        "sponsored": totals["sponsored_backlinks"],
    }
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

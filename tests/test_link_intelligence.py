"""Link intelligence end to end: the example web crawled twice, weeks apart, into one data directory.

``examples/web.py`` defines the two versions; the real crawler fetches each
from a loopback server, ``linkindex build`` indexes both crawls, and every
check compares the index with what follows from the two definitions alone
(``expected_link_changes``, ``live_links``, ``current_links``), or with an
independent computation (networkx for PageRank, the risk rule evaluated
in Python).
"""

from collections import Counter
import json
import math
from pathlib import Path
import shutil

from helpers import link, page, ts, write_parquet
import networkx as nx
import pytest

from examples import web
from examples.web import RIVAL, SEEDS, V1, V2, Event
from linkindex.cli import main
from linkindex.index import build, open_index
from linkindex.quality import RISK_RULES

SHOP = "example-shop.co.uk"
SHOP_URL = f"http://{web.SHOP}"


@pytest.fixture(scope="module")
def data(example_web):
    """The example web's two crawls and their index (conftest.py; shared with the Spark tests)."""
    return example_web


@pytest.fixture(scope="module")
def con(data):
    con = open_index(data)
    yield con
    con.close()


def rows(con, sql, params=None) -> list[dict]:
    return con.sql(sql, params=params).to_arrow_table().to_pylist()


def run(*args) -> int:
    return main([str(arg) for arg in args])


def domain(url: str) -> str:
    from crawler.urls import host_domain

    return host_domain(url.split("://", 1)[1].split("/", 1)[0])


# -- crawls as snapshots -------------------------------------------------------


def test_crawls_are_listed_in_the_order_they_started(data, con, capsys):
    crawls = rows(con, "select crawl_id, crawl_seq, pages from crawls order by crawl_seq")
    assert crawls == [
        {"crawl_id": "v1", "crawl_seq": 1, "pages": len(web.expected_crawl(V1))},
        {"crawl_id": "v2", "crawl_seq": 2, "pages": len(web.expected_crawl(V2))},
    ]
    assert run("crawls", "--data", data, "--format", "csv") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "seq,crawl_id,started,finished,pages,links,domains"
    assert [line.split(",")[:2] for line in lines[1:]] == [["1", "v1"], ["2", "v2"]]


# -- new and lost links --------------------------------------------------------


def test_every_link_event_and_reason_is_exact(con):
    got = rows(
        con,
        "select event, reason, src_url, dst_url, anchor_text, kind, nofollow_before, nofollow_after, crawl_id, "
        "previous_crawl_id from link_changes",
    )
    assert {(r["crawl_id"], r["previous_crawl_id"] or "") for r in got} <= {("v2", "v1"), ("v2", "")}
    events = [Event(*list(r.values())[:8]) for r in got]
    assert len(events) == len(set(events))
    assert set(events) == web.expected_link_changes(V1, V2)
    # new_page events, and only they, have no previous crawl
    assert all((r["previous_crawl_id"] is None) == (r["reason"] == "new_page") for r in got)


def test_the_named_changes_of_the_second_version(con):
    sql = """
        select event, reason, src_url, anchor_text, nofollow_before, nofollow_after, rel_before, rel_after
        from link_changes where dst_domain = $shop and not internal order by reason, src_url
    """
    news, magazine = f"http://{web.NEWS}", f"http://{web.MAGAZINE}"
    assert [tuple(r.values()) for r in rows(con, sql, {"shop": SHOP})] == [
        ("new", "added_to_page", f"http://{web.BLOGGER}/2024/03/post-5.html", "heirloom tomato seeds", None, False,
         None, ""),
        ("new", "added_to_page", f"http://{RIVAL}/liens", "Example Shop", None, False, None, ""),
        ("changed", "became_dofollow", f"http://{web.FORUM}/t/2", "this trowel", True, False, "nofollow ugc", "ugc"),
        ("changed", "became_nofollow", f"http://{web.CLUB}/links", "Example Shop", False, True, "", "nofollow"),
        ("new", "new_page", f"{news}/articles/41", "Example Shop spring sale", None, False, None, ""),
        ("lost", "page_error", f"{magazine}/archive/11", "garden kneeler", False, None, "", None),
        ("lost", "page_noindex", f"{magazine}/archive/9", "best seed trays", False, None, "", None),
        ("lost", "page_not_found", f"{magazine}/archive/7", "Example Shop review", False, None, "", None),
        ("lost", "page_redirected", f"{news}/articles/5", "seed starter kits", False, None, "", None),
        ("changed", "rel_changed", f"http://{web.DEALS}/deal/2", "Garden deal 2", False, False, "sponsored",
         "sponsored ugc"),
        ("lost", "removed_from_page", f"{news}/articles/3", "a great range of trowels", False, None, "", None),
    ]  # fmt: skip
    # Links within a site are not events: the redirected article's new redirect record, for one.
    assert rows(con, "select * from link_changes where dst_domain = src_domain or internal") == []


def test_pages_left_out_of_the_second_crawl_lose_nothing(con):
    left_out = [f"http://{web.BLOGGER}/2024/03/post-8.html", f"http://{web.PARTNER}/tools/20"]
    assert not set(left_out) & set(web.expected_crawl(V2)) and set(left_out) <= set(web.expected_crawl(V1))
    assert rows(con, "select * from link_changes where list_contains($urls, src_url)", {"urls": left_out}) == []
    # Their backlinks to the shop are still in the current graph, from the first crawl: unverified.
    unverified = rows(
        con,
        "select src_url, crawl_id from current_backlinks where dst_domain = $shop and crawl_id = 'v1'",
        {"shop": SHOP},
    )
    assert sorted(r["src_url"] for r in unverified) == sorted(left_out)


def test_referring_domains_new_and_lost(con):
    got = rows(
        con,
        "select target_domain, referring_domain, crawl_id, event, backlinks_before, backlinks_after, lost_reasons "
        "from referring_domain_changes order by referring_domain",
    )
    assert got == [
        {
            "target_domain": SHOP,
            "referring_domain": "old-magazine.com",
            "crawl_id": "v2",
            "event": "lost",
            "backlinks_before": 3,
            "backlinks_after": 0,
            "lost_reasons": ["page_error", "page_noindex", "page_not_found"],
        },
        {
            "target_domain": SHOP,
            "referring_domain": "rival-garden.fr",
            "crawl_id": "v2",
            "event": "new",
            "backlinks_before": 0,
            "backlinks_after": 1,
            "lost_reasons": [],
        },
    ]


def profile(links: set, target: str) -> tuple[int, int, int]:
    """(backlinks, dofollow backlinks, referring domains) of ``target`` among ``links``."""
    backlinks = [row for row in links if domain(row[1]) == target and domain(row[0]) != target]
    return len(backlinks), sum(not row[4] for row in backlinks), len({domain(row[0]) for row in backlinks})


def test_domain_history_counts_live_backlinks_after_each_crawl(con):
    history = rows(
        con,
        "select crawl_id, backlinks, dofollow_backlinks, referring_domains, new_backlinks, lost_backlinks, "
        "new_referring_domains, lost_referring_domains from domain_history where target_domain = $shop "
        "order by crawl_seq",
        {"shop": SHOP},
    )
    changes = Counter(e.event for e in web.expected_link_changes(V1, V2) if domain(e.dst_url) == SHOP
                      and domain(e.src_url) != SHOP)  # fmt: skip
    assert [tuple(row.values()) for row in history] == [
        ("v1", *profile(web.live_links(V1), SHOP), None, None, None, None),
        ("v2", *profile(web.live_links(V1, V2), SHOP), changes["new"], changes["lost"], 1, 1),
    ]
    # Every target with backlinks has a row for each crawl.
    per_crawl = rows(con, "select crawl_id, count(*) as targets from domain_history group by crawl_id order by 1")
    assert per_crawl[0]["targets"] == per_crawl[1]["targets"] > 100


# -- authority -----------------------------------------------------------------


def networkx_pagerank(edges: set, nodes: set) -> dict:
    graph = nx.DiGraph()
    graph.add_nodes_from(nodes)
    graph.add_edges_from(edges)
    return nx.pagerank(graph, alpha=0.85, tol=1e-15, max_iter=10_000)


def test_domain_authority_is_pagerank_of_the_domain_graph(con):
    # The graph as docs/tables.md defines it, from the example web's definitions.
    links = web.current_links(V1, V2)
    nodes = {domain(url) for row in links for url in row[:2]}
    edges = {(domain(row[0]), domain(row[1])) for row in links if not row[4] and domain(row[0]) != domain(row[1])}
    expected = networkx_pagerank(edges, nodes)
    got = {r["domain"]: r for r in rows(con, "select * from domain_authority")}
    assert set(got) == nodes
    assert max(abs(got[d]["pagerank"] - expected[d]) for d in nodes) < 1e-9
    floor, top = min(expected.values()), max(expected.values())
    for name, row in got.items():
        scaled = 100 * math.log(expected[name] / floor) / math.log(top / floor)
        assert abs(row["authority"] - scaled) <= 0.05 + 1e-9, name  # rounded to one decimal
    assert got[SHOP]["rank"] == 1 and got[SHOP]["authority"] == 100.0
    assert got["herb-society.org.nz"]["authority"] == 0.0  # nothing links to it
    assert got[SHOP]["referring_domains"] == len({u for u, v in edges if v == SHOP})
    assert got["plant-directory.net"]["linked_domains"] == len({v for u, v in edges if u == "plant-directory.net"})


def test_page_authority_is_pagerank_of_the_page_graph(con):
    links = web.current_links(V1, V2)
    nodes = {url for row in links for url in row[:2]}
    edges = {(row[0], row[1]) for row in links if not row[4] and row[0] != row[1]}
    expected = networkx_pagerank(edges, nodes)
    got = {r["url"]: r["pagerank"] for r in rows(con, "select url, pagerank from page_authority")}
    assert set(got) == nodes
    assert max(abs(got[url] - expected[url]) for url in nodes) < 1e-9


# -- link quality --------------------------------------------------------------


def flags_of(con, target=SHOP) -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for row in rows(con, "select * from referring_domain_flags where target_domain = $t", {"t": target}):
        found.setdefault(row["referring_domain"], {})[row["flag"]] = row["reason"]
    return found


@pytest.mark.parametrize(
    "flag, raised, not_raised, reason",
    [
        ("sitewide", "partner-tools.com", "gardening-news.com.au",
         "links from 21 of its 21 HTML pages that answered 2xx (100 %), all in the footer"),
        ("boilerplate_only", "partner-tools.com", "gardening-news.com.au",
         "all 21 backlinks in the footer, none in the main content or text"),
        ("reciprocal", "partner-tools.com", "deals-weekly.co.uk",  # the shop links to deals-weekly nofollow
         f"{SHOP} links back to partner-tools.com with 44 followed links (one on {SHOP_URL}/)"),
        ("paid_or_ugc_only", "deals-weekly.co.uk", "gardening-news.com.au", "all 10 backlinks are sponsored"),
        ("outbound_heavy", "plant-directory.net", "gardening-news.com.au",
         "its 4 linking pages link to 123 external domains on average"),
        ("low_authority", "plant-directory.net", "gardening-news.com.au", None),
    ],
)  # fmt: skip
def test_each_flag_raised_and_not(con, flag, raised, not_raised, reason):
    flags = flags_of(con)
    assert flag in flags[raised]
    if reason is not None:
        assert flags[raised][flag] == reason
    assert flag not in flags.get(not_raised, {})


def test_low_authority_says_the_authority_and_rank(con):
    (directory,) = rows(con, "select authority, rank from domain_authority where domain = 'plant-directory.net'")
    (news,) = rows(con, "select authority from domain_authority where domain = 'gardening-news.com.au'")
    total = con.execute("select count(*) from domain_authority").fetchall()[0][0]
    assert directory["authority"] < 5 <= news["authority"]
    assert flags_of(con)["plant-directory.net"]["low_authority"] == (
        f"authority {directory['authority']:.1f} (rank {directory['rank']} of {total} domains)"
    )


def test_a_crawl_through_a_local_proxy_raises_no_network_flag(con):
    # Every page came through the loopback proxy: one address, which says nothing about hosting.
    assert con.execute("select count(distinct ip_address) from fct_pages").fetchall() == [(1,)]
    assert con.execute("select count(*) from referring_domain_flags where flag = 'same_network'").fetchall() == [(0,)]


def test_risk_follows_the_rule_over_the_flags(con):
    got = {r["referring_domain"]: r for r in rows(con, "select * from referring_domain_risk where target_domain = $t",
                                                  {"t": SHOP})}  # fmt: skip
    flags = flags_of(con)
    assert set(got) == set(flags)
    for name, row in got.items():
        raised = set(flags[name])
        rule = next(r for r in RISK_RULES if set(r.flags) <= raised and len(raised) >= r.min_flags)
        assert (row["risk"], row["why"], row["flags"]) == (rule.risk, rule.why, sorted(raised)), name
    assert {name: row["risk"] for name, row in got.items() if row["risk"] != "low"} == {
        "plant-directory.net": "high",
        "partner-tools.com": "medium",
    }
    assert got["deals-weekly.co.uk"]["risk"] == "low"  # sponsored links pass no rank, however many flags


def test_anchor_over_optimised_raised_and_not(con):
    flags = {(r["target_domain"], r["flag"]): r["reason"] for r in rows(con, "select * from domain_flags")}
    # The shop's followed anchors, each referring domain and text once, from the definitions.
    pairs = rows(
        con,
        "select distinct src_domain, anchor_text from current_backlinks "
        "where dst_domain = $t and kind in ('anchor', 'image', 'area') and nofollow_occurrences < occurrences",
        {"t": SHOP},
    )
    # Each text's class, as anchor_distribution has it.
    sql = "select anchor_text, anchor_class from anchor_distribution where target_domain = $t"
    class_of = {r["anchor_text"]: r["anchor_class"] for r in rows(con, sql, {"t": SHOP})}
    classes = [class_of[p["anchor_text"]] for p in pairs]
    anchors = {"keyword": classes.count("keyword"), "anchors": len(classes)}
    assert anchors["keyword"] > 0.3 * anchors["anchors"]
    assert flags[(SHOP, "anchor_over_optimised")] == (
        f"keyword anchors are {100 * anchors['keyword'] / anchors['anchors']:.0f} % of its followed anchors "
        f"({anchors['keyword']} of {anchors['anchors']}, each referring domain and text once), over 30 %"
    )
    assert ("seed-supplies.de", "anchor_over_optimised") not in flags  # mostly its name, "Seed Supplies"


def test_anchor_classes_of_the_shop(con):
    sql = "select anchor_text, anchor_class from anchor_distribution where target_domain = $t"
    got = {r["anchor_text"]: r["anchor_class"] for r in rows(con, sql, {"t": SHOP})}
    assert {
        text: got[text]
        for text in (
            "Example Shop",
            "click here",
            "https://www.example-shop.co.uk/",
            "Example Shop logo",
            "organic vegetable seeds",
        )
    } == {  # fmt: skip
        "Example Shop": "branded",
        "click here": "generic",
        "https://www.example-shop.co.uk/": "naked_url",
        "Example Shop logo": "image",
        "organic vegetable seeds": "keyword",
    }


def test_broken_backlinks(con):
    got = rows(
        con,
        "select dst_url, src_url, dst_status, broken_url, broken_status, redirects, referring_domain_authority "
        "from broken_backlinks order by dst_url",
    )
    (authority,) = con.execute(
        "select authority from domain_authority where domain = 'gardening-news.com.au'"
    ).fetchall()[0]
    assert got == [
        {
            "dst_url": f"{SHOP_URL}/products/discontinued",
            "src_url": f"http://{web.NEWS}/articles/7",
            "dst_status": 404,
            "broken_url": f"{SHOP_URL}/products/discontinued",
            "broken_status": 404,
            "redirects": 0,
            "referring_domain_authority": authority,
        },
        {
            "dst_url": f"{SHOP_URL}/sale",  # a redirect to a page that is gone
            "src_url": f"http://{web.NEWS}/articles/41",
            "dst_status": 301,
            "broken_url": f"{SHOP_URL}/sale-2023",
            "broken_status": 404,
            "redirects": 1,
            "referring_domain_authority": authority,
        },
    ]
    # The old catalogue redirects to a live page: not broken.
    assert not any(r["dst_url"].endswith("/old-catalogue") for r in got)


# -- competitor gap ------------------------------------------------------------


def referring(target: str, dofollow: bool = False) -> set[str]:
    return {
        domain(row[0])
        for row in web.current_links(V1, V2)
        if domain(row[1]) == target and domain(row[0]) != target and not (dofollow and row[4])
    }


def intersect(con, domains, excluded=(), k=None, dofollow=False) -> list[tuple]:
    sql = "select referring_domain, matching, matching_domains, backlinks from link_intersect($d, $e, $k, $f)"
    params = {"d": list(domains), "e": list(excluded), "k": k, "f": dofollow}
    return [tuple(row.values()) for row in rows(con, sql, params)]


def test_intersect_finds_who_links_to_the_competitors_and_not_to_you(con):
    seeds, rival = "seed-supplies.de", "rival-garden.fr"
    assert intersect(con, [seeds, rival], [SHOP]) == [("herb-society.org.nz", 2, [rival, seeds], 2)]
    # With followed links only: the herb society's link to the rival is nofollow, and the garden club
    # gives the shop a nofollow link only, so it becomes a gap too.
    assert intersect(con, [seeds, rival], [SHOP], dofollow=True) == [("garden-club.org.uk", 2, [rival, seeds], 2)]
    assert intersect(con, [seeds, rival], [SHOP], k=1, dofollow=True) == [
        ("garden-club.org.uk", 2, [rival, seeds], 2),
        ("herb-society.org.nz", 1, [seeds], 1),
    ]
    assert "garden-club.org.uk" in referring(SHOP) and "garden-club.org.uk" not in referring(SHOP, dofollow=True)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_intersect_k_of_n(con, k):
    targets = ["seed-supplies.de", "rival-garden.fr", SHOP]
    sets = {target: referring(target) for target in targets}
    expected = {
        name: sorted(t for t in targets if name in sets[t])
        for name in set().union(*sets.values()) - set(targets)
        if sum(name in sets[t] for t in targets) >= k
    }
    got = intersect(con, targets, k=k)
    assert {name: matching for name, _, matching, _ in got} == expected
    assert all(count == len(matching) for _, count, matching, _ in got)
    counts = [count for _, count, _, _ in got]
    assert counts == sorted(counts, reverse=True)


def test_intersect_command(data, capsys):
    assert run("intersect", "www.seed-supplies.de", "rival-garden.fr", "--exclude", SHOP, "--data", data,
               "--format", "csv") == 0  # fmt: skip
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "referring_domain,matching,matching_targets,backlinks,authority",
        'herb-society.org.nz,2,"[""rival-garden.fr"", ""seed-supplies.de""]",2,0.0',
    ]
    assert "targets: seed-supplies.de (domain), rival-garden.fr (domain); excluded: example-shop.co.uk (domain)" in err
    assert run("intersect", SEEDS, RIVAL, "--min-matching", "3", "--data", data) == 2
    assert "--min-matching must be between 1 and 2" in capsys.readouterr().err
    assert run("intersect", SEEDS, "--mode", "exact", "--data", data) == 0  # a host as an exact URL: its home page
    assert run("intersect", "mailto:a@b.com", "--data", data) == 2
    assert "not a domain name or http(s) URL" in capsys.readouterr().err


def matching_targets(typed: list[str], mode: str | None) -> dict[str, list[str]]:
    """Referring domain -> the targets it links to, from the example web's definitions: what intersect must say."""
    from linkindex.targets import parse_target

    targets = [parse_target(text, mode) for text in typed]
    names = {target.describe() for target in targets}
    target_domains = {target.domain for target in targets}
    found: dict[str, set[str]] = {}
    for src_url, dst_url, *_ in web.current_links(V1, V2):
        host = dst_url.split("://", 1)[1].split("/", 1)[0]
        for target in targets:
            inside = domain(dst_url) == target.domain and (
                target.mode == "domain"
                or (target.mode == "subdomains" and (host == target.host or host.endswith("." + target.host)))
                or (target.mode == "exact" and dst_url in target.urls)
                or (target.mode == "prefix" and any(dst_url.startswith(url) for url in target.urls))
            )
            if inside and domain(src_url) != domain(dst_url) and domain(src_url) not in target_domains:
                found.setdefault(domain(src_url), set()).add(target.describe())
    assert len(names) == len(targets)
    return {name: sorted(matched) for name, matched in found.items()}


@pytest.mark.parametrize(
    "typed, mode",
    [
        ([f"{SHOP_URL}/products/", f"http://{web.SHOP_BLOG}/"], "prefix"),
        ([web.SHOP_BLOG, web.SEEDS], "subdomains"),
        ([f"{SHOP_URL}/", f"http://{web.SEEDS}/"], None),  # URLs without --mode: exact
        ([f"{SHOP_URL}/products/", SEEDS], None),  # a URL and a bare host: exact and domain
    ],
)
def test_intersect_in_every_mode_matches_the_site_definitions(data, capsys, typed, mode):
    expected = matching_targets(typed, mode)
    assert expected, "each case must have referring domains to find"
    args = ["intersect", *typed, "--min-matching", "1", "--data", data, "--format", "json"]
    assert run(*args, *(["--mode", mode] if mode else [])) == 0
    got = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {row["referring_domain"]: row["matching_targets"] for row in got} == expected
    assert all(row["matching"] == len(row["matching_targets"]) for row in got)


def test_intersect_excludes_by_the_excluded_targets_mode(data, capsys):
    """Excluding the shop's product section leaves out fewer referring domains than excluding the whole shop."""
    section = f"{SHOP_URL}/products/"
    to_seeds = set(matching_targets([SEEDS], None))

    def gaps(*exclude) -> set[str]:
        assert run("intersect", SEEDS, *exclude, "--data", data, "--format", "json") == 0
        return {json.loads(line)["referring_domain"] for line in capsys.readouterr().out.splitlines()}

    by_section = gaps("--exclude", section, "--exclude-mode", "prefix")
    by_domain = gaps("--exclude", SHOP)
    assert by_section == to_seeds - set(matching_targets([section], "prefix"))
    assert by_domain == to_seeds - set(matching_targets([SHOP], None))
    assert by_domain < by_section < to_seeds


@pytest.mark.parametrize(
    "typed, mode",
    [
        (SHOP, None),
        (web.SEEDS, "subdomains"),
        (f"{SHOP_URL}/products/", "prefix"),
        (f"{web.SHOP}/", "exact"),  # without a scheme: http and https
    ],
)
def test_target_matches_selects_what_the_report_selects(con, typed, mode):
    """The SQL macro of the table macros and the report's pushed-down predicate are one rule."""
    from linkindex.targets import parse_target

    target = parse_target(typed, mode)
    condition, params = target.predicate()
    by_predicate = con.execute(f"select distinct dst_url from current_backlinks where {condition}", params).fetchall()
    by_macro = con.execute(
        "select distinct dst_url from current_backlinks where target_matches($t, dst_url, dst_host, dst_domain)",
        {"t": target.as_struct()},
    ).fetchall()
    assert by_predicate and sorted(by_predicate) == sorted(by_macro)


# -- report --------------------------------------------------------------------


def test_report_json_is_the_whole_report(data, capsys):
    assert run("report", SHOP, "--data", data, "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["domain"] == SHOP and report["authority"]["rank"] == 1
    history = report["changes"]["history"]
    assert (report["changes"]["crawl_id"], report["changes"]["previous_crawl_id"]) == ("v2", "v1")
    assert (history["new_backlinks"], history["lost_backlinks"]) == (3, 5)
    assert [(r["event"], r["referring_domain"]) for r in report["changes"]["referring_domains"]] == [
        ("new", "rival-garden.fr"),
        ("lost", "old-magazine.com"),
    ]
    assert {r["reason"] for r in report["changes"]["top_lost"]} == {
        "removed_from_page", "page_redirected", "page_error", "page_not_found", "page_noindex",
    }  # fmt: skip
    assert report["unverified"] == {"crawl_id": "v2", "backlinks": 2, "pages": 2, "referring_domains": 2}
    assert report["quality"]["risk"] == {"high": 1, "medium": 1, "low": 5}
    assert report["quality"]["domain_flags"][0]["flag"] == "anchor_over_optimised"
    assert {r["anchor_class"] for r in report["anchor_classes"]} == {"keyword", "branded", "generic", "image",
                                                                     "naked_url"}  # fmt: skip
    assert report["broken"]["backlinks"] == 2
    assert report["disavowed"]["backlinks"] == 0


def test_report_text_shows_every_section(data, capsys):
    assert run("report", SHOP, "--data", data) == 0
    out = capsys.readouterr().out
    for shown in (
        f"Authority of {SHOP}: 100.0 of 100, rank 1",
        "Since the previous crawl (v1 → v2): backlinks +3 −5",
        "Top lost backlinks",
        "page_noindex",
        "2 backlinks from 2 pages of 2 domains: not re-checked by the latest crawl (v2)",
        "referring domains at risk high 1, medium 1, low 5",
        "anchor_over_optimised",
        "Anchor classes",
        "Broken backlinks: 2 to 2 pages",
    ):
        assert shown in out, shown


# -- disavow files -------------------------------------------------------------


def test_disavow_export_import_build_and_round_trip(data, tmp_path, capsys):
    copy = tmp_path / "data"
    for folder in ("links", "pages"):
        shutil.copytree(data / folder, copy / folder)
    shutil.copy(data / "index.duckdb", copy / "index.duckdb")
    exported = tmp_path / "disavow.txt"

    assert run("disavow", "export", SHOP, "--data", copy, "--output", exported) == 0
    text = exported.read_text()
    assert text.splitlines() == [
        f"# linkindex: referring domains of {SHOP} at risk high or above",
        "# risk high (a weak site linking out to very many domains: the shape of a link farm or low-quality "
        "directory): low_authority: "
        + flags_of_text(data, "plant-directory.net", "low_authority")
        + "; outbound_heavy: its 4 linking pages link to 123 external domains on average",
        "domain:plant-directory.net",
    ]
    capsys.readouterr()
    assert run("disavow", "export", SHOP, "--data", copy, "--flag", "sitewide") == 0
    by_flag = capsys.readouterr().out
    assert [line for line in by_flag.splitlines() if not line.startswith("#")] == [
        "domain:partner-tools.com",
        "domain:deals-weekly.co.uk",
    ]

    assert run("disavow", "import", exported, "--target", SHOP, "--data", copy) == 0
    build(copy)
    with open_index(copy) as index:
        disavowed = index.execute(
            "select src_domain, count(*) from inbound_links where dst_domain = $t and disavowed group by all",
            {"t": SHOP},
        ).fetchall()
        domains = index.execute(
            "select referring_domain from referring_domains where target_domain = $t and disavowed", {"t": SHOP}
        ).fetchall()
    assert disavowed == [("plant-directory.net", 4)] and domains == [("plant-directory.net",)]
    capsys.readouterr()
    assert run("report", SHOP, "--data", copy) == 0
    assert "Disavowed: 4 of" in capsys.readouterr().out

    # Exported again after the import: the same file, nothing added twice.
    again = tmp_path / "again.txt"
    assert run("disavow", "export", SHOP, "--data", copy, "--output", again) == 0
    assert again.read_text() == text


def flags_of_text(data: Path, referring_domain: str, flag: str) -> str:
    with open_index(data) as index:
        return index.execute(
            "select reason from referring_domain_flags where target_domain = $t and referring_domain = $r "
            "and flag = $f",
            {"t": SHOP, "r": referring_domain, "f": flag},
        ).fetchall()[0][0]


# -- same_network, which a crawl through a proxy cannot show -------------------


def test_same_network_raised_and_not(tmp_path):
    """Records as a crawl without a proxy (or WARC files with WARC-IP-Address) write them."""
    target = "https://www.target.com/"
    sites = {
        "https://www.neighbour.com/": "93.184.216.20",  # the target's /24
        "https://a.com/": "5.6.7.1",  # four sites in one /24: each shares with 3 others
        "https://b.com/": "5.6.7.2",
        "https://c.com/": "5.6.7.3",
        "https://d.com/": "5.6.7.4",
        "https://e.com/": "5.6.8.5",  # the next /24: alone
        "https://six.com/": "2a00:1450:4001:ffff::2",  # the target's IPv6 /48
        "https://seven.com/": "2a00:1450:4002::7",  # another /48
        "https://local.com/": "127.0.0.1",  # a proxy's loopback address: never counted
    }
    links = []
    pages = [
        page("c1", ts(1), target, ip_address="93.184.216.10"),
        page("c1", ts(1, 1), "https://www.target.com/v6", ip_address="2a00:1450:4001:81a::200e"),
    ]
    for number, (url, address) in enumerate(sites.items()):
        links.append(link("c1", ts(2, number), url, target, "Target"))
        pages.append(page("c1", ts(2, number), url, links_out=1, ip_address=address))
    write_parquet(tmp_path, "links", links)
    write_parquet(tmp_path, "pages", pages)
    build(tmp_path)
    with open_index(tmp_path) as index:
        got = dict(
            index.execute(
                "select referring_domain, reason from referring_domain_flags where flag = 'same_network'"
            ).fetchall()
        )
    assert got == {  # not e.com, seven.com nor local.com
        "neighbour.com": "server network 93.184.216.0/24 shared with the target",
        "a.com": "server network 5.6.7.0/24 shared with 3 other referring domains (b.com, c.com, d.com)",
        "b.com": "server network 5.6.7.0/24 shared with 3 other referring domains (a.com, c.com, d.com)",
        "c.com": "server network 5.6.7.0/24 shared with 3 other referring domains (a.com, b.com, d.com)",
        "d.com": "server network 5.6.7.0/24 shared with 3 other referring domains (a.com, b.com, c.com)",
        "six.com": "server network 2a00:1450:4001::/48 shared with the target",
    }


def test_report_on_a_section_counts_its_changes_only(data, capsys):
    assert run("report", f"{SHOP_URL}/products/", "--mode", "prefix", "--data", data, "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    section = {e for e in web.expected_link_changes(V1, V2) if e.dst_url.startswith(f"{SHOP_URL}/products/")}
    history = report["changes"]["history"]
    assert (history["new_backlinks"], history["lost_backlinks"]) == (
        sum(e.event == "new" for e in section),
        sum(e.event == "lost" for e in section),
    )
    assert {(r["reason"], r["dst_url"]) for r in report["changes"]["top_lost"]} == {
        (e.reason, e.dst_url) for e in section if e.event == "lost"
    }
    assert report["unverified"]["backlinks"] == 1  # greenthumb's post 8, to the compost bins
    assert [r["dst_url"] for r in report["broken"]["top"]] == [f"{SHOP_URL}/products/discontinued"]
    # Authority and link quality are the registered domain's.
    assert report["authority"]["rank"] == 1 and report["quality"]["risk"]["high"] == 1


def test_report_on_one_url_has_its_page_authority(data, con, capsys):
    assert run("report", f"{SHOP_URL}/", "--data", data, "--format", "json") == 0
    report = json.loads(capsys.readouterr().out)
    (expected,) = rows(con, "select url, authority, rank from page_authority where url = $u", {"u": f"{SHOP_URL}/"})
    assert [{k: r[k] for k in ("url", "authority", "rank")} for r in report["page_authority"]] == [expected]

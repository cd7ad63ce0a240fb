"""The web interface over HTTP, in process: routes, filters, downloads, the SQL page's limits, security.

The index is the sample crawl of helpers.py, plus a target with enough
backlinks to page through (paged.org) and a page whose anchors and title are
attacks (hostile.info). What a real browser shows is in test_web_browser.py.
"""

import csv
import io
import re

from helpers import HOME, PRICING, link, page, sample_records, ts, write_parquet
import pytest
from starlette.testclient import TestClient

from linkindex.index import build, write_csv
from linkindex.web.app import CONTENT_SECURITY_POLICY, Settings, create_app, local_hosts
from linkindex.web.db import WebIndex
from linkindex.web.render import environment, web_url

HOSTILE = "https://hostile.info/page"
HOSTILE_TITLE = '<script>alert("title")</script>"><img src=x onerror=alert(1)>'
HOSTILE_ANCHORS = ("<script>alert(2)</script>", '"><img src=x onerror=alert(3)>', "javascript:alert(4)")
PAGED = 60  # backlinks to paged.org, one per source domain


def extra_records():
    links, pages = [], []
    for number, anchor in enumerate(HOSTILE_ANCHORS):
        links.append(link("c2", ts(3, 9, month=2), HOSTILE, HOME, anchor, placement="main", position=number))
    pages.append(page("c2", ts(3, 9, month=2), HOSTILE, links_out=3, title=HOSTILE_TITLE))
    for number in range(PAGED):
        src = f"https://src{number:02d}.net/"
        rel = "nofollow" if number % 3 == 0 else ""
        links.append(
            link("c2", ts(4, number // 60, number % 60, month=2), src, f"https://paged.org/p{number % 7}",
                 f"anchor {number:02d}", rel=rel, placement="footer" if number % 2 else "main")
        )  # fmt: skip
        pages.append(page("c2", ts(4, number // 60, number % 60, month=2), src, links_out=1))
    return links, pages


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("web")
    links, pages = sample_records()
    more_links, more_pages = extra_records()
    write_parquet(data_dir, "links", links + more_links)
    write_parquet(data_dir, "pages", pages + more_pages)
    build(data_dir)
    return data_dir


@pytest.fixture(scope="module")
def client(data_dir):
    app = create_app(Settings(str(data_dir), max_rows=25, time_limit=5))
    with TestClient(app) as client:
        yield client
    app.state.index.close()


def sql_rows(client, sql) -> list[list[str]]:
    """The rows of ``sql`` as `linkindex query --format csv` writes them (header first).

    Run on the app's connection: DuckDB opens a file once per process, with one configuration.
    """
    out = io.StringIO()
    with client.app.state.index.reader(sql) as reader:
        write_csv(reader, out)
    return list(csv.reader(io.StringIO(out.getvalue())))


def table_rows(html: str) -> list[str]:
    """The <tr> elements of the #rows table body."""
    body = html.split('id="rows"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)


# -- routes --------------------------------------------------------------------


def test_search_normalises_as_report_does(client):
    # A URL means that URL (mode exact), as `linkindex report` reads it; mode domain its registered domain.
    response = client.get("/", params={"q": "HTTPS://WWW.Example.com:443/pricing?x=1"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/target?target=https%3A%2F%2Fwww.example.com%2Fpricing%3Fx%3D1&mode=exact"
    response = client.get("/", params={"q": "HTTPS://WWW.Example.com/pricing", "mode": "domain"}, follow_redirects=False)
    assert response.headers["location"] == "/domain/example.com"
    response = client.get("/", params={"q": "WWW.Example.com", "mode": ""}, follow_redirects=False)
    assert response.headers["location"] == "/domain/example.com"
    response = client.get("/", params={"q": "Bücher.DE"}, follow_redirects=False)
    assert response.headers["location"] == "/domain/xn--bcher-kva.de"
    response = client.get("/", params={"q": "ftp://example.com/"})
    assert response.status_code == 400
    assert "not a domain name or http(s) URL" in response.text


def test_a_host_in_the_path_goes_to_its_registered_domain_with_the_filters(client):
    response = client.get("/domain/WWW.Example.com/backlinks?follow=nofollow&kind=anchor", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/domain/example.com/backlinks?follow=nofollow&kind=anchor"


def test_start_page_lists_the_most_linked_domains(client, data_dir):
    html = client.get("/").text
    expected = sql_rows(client, "select target_domain from domain_summary order by referring_domains desc, "
                                  "backlinks desc, target_domain")  # fmt: skip
    shown = re.findall(r'<a href="/domain/([^"]+)">', html)
    assert shown == [row[0] for row in expected[1:]]


def test_start_page_lists_the_crawls(client):
    expected = sql_rows(client, "select crawl_id from crawls order by crawl_seq")
    html = client.get("/").text.split('id="crawls"')[1]
    assert re.findall(r'<td class="num">\d+</td><td>([^<]+)</td>', html) == [row[0] for row in expected[1:]] == ["c1", "c2"]


def test_overview_shows_the_numbers_sql_gives(client):
    index = client.app.state.index
    totals = index.record("select * from domain_summary where target_domain = 'example.com'")
    top = index.records("select referring_domain from referring_domains where target_domain = 'example.com' "
                        "order by backlinks desc, referring_domain limit 10")  # fmt: skip
    html = client.get("/domain/example.com").text
    for key in ("backlinks", "referring_domains", "referring_pages", "linked_pages"):
        assert re.search(rf'data-metric="{key}"><span class="value">{totals[key]:,}<', html), key
    assert f"{totals['dofollow_share']:.1%}" in html
    shown = re.findall(r'<tr><td><a href="/domain/([^"]+)">', html.split('id="top-referring-domains"')[1])
    assert shown[: len(top)] == [row["referring_domain"] for row in top]
    assert '<script type="application/json" id="chart-data">' in html


def test_unknown_domain_is_a_404_page_that_says_so(client):
    response = client.get("/domain/nowhere.example.org")
    assert response.status_code == 404
    assert "No backlinks to example.org in this index" in response.text
    assert client.get("/domain/example.com/nope").status_code == 404
    assert client.get("/no/such/page").status_code == 404


# -- table pages: filters, sorting, pages, downloads -------------------------------------------

def backlinks_sql(client, condition: str) -> str:
    """The backlinks CSV as SQL: with the referring domain's authority and disavowed when the index has them."""
    names = client.app.state.index.names
    authority = "domain_authority" in names
    columns = (
        "link.src_url, src_page.title as src_title, link.src_domain, "
        + ("referring.authority as referring_domain_authority, " if authority else "")
        + "link.anchor_text, link.dst_url, link.kind, link.placement, link.nofollow, link.ugc, link.sponsored, "
        "link.page_nofollow, link.occurrences, link.first_seen, link.last_seen, link.dst_status"
        + (", link.disavowed" if "inbound_links.disavowed" in names else "")
    )
    joins = "left join page_status as src_page on src_page.url = link.src_url" + (
        " left join domain_authority as referring on referring.domain = link.src_domain" if authority else ""
    )
    return (
        f"select {columns} from inbound_links as link {joins} where link.dst_domain = 'example.com' and {condition} "
        "order by link.last_seen desc nulls last, link.dst_url, link.src_url, link.anchor_text, link.kind"
    )


@pytest.mark.parametrize(
    "params, condition",
    [
        ({}, "true"),
        ({"follow": "nofollow"}, "link.nofollow"),
        ({"follow": "dofollow", "kind": "anchor"}, "not link.nofollow and link.kind = 'anchor'"),
        ({"ugc": "yes"}, "link.ugc"),
        ({"sponsored": "no", "placement": "none"}, "not link.sponsored and link.placement is null"),
        ({"status": "broken"}, "link.dst_status >= 400"),
        ({"status": "unknown"}, "link.dst_status is null"),
        ({"referring_domain": "WWW.News.org"}, "link.src_domain = 'news.org'"),
        ({"anchor": "EXAMPLE"}, "contains(lower(link.anchor_text), 'example')"),
        ({"url": "/gone"}, "contains(link.dst_url, '/gone')"),
    ],
)
def test_backlink_filters_select_the_rows_sql_selects(client, data_dir, params, condition):
    expected = sql_rows(client, backlinks_sql(client, condition))
    response = client.get("/domain/example.com/backlinks.csv", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert list(csv.reader(io.StringIO(response.text))) == expected
    page = client.get("/domain/example.com/backlinks", params=params).text
    assert len(table_rows(page)) == max(len(expected) - 1, 1)  # "No rows match." is one row
    assert f'data-total="{len(expected) - 1}"' in page
    json_rows = client.get("/domain/example.com/backlinks.json", params=params).json()["rows"]
    assert [r["src_url"] for r in json_rows] == [row[0] for row in expected[1:]]


def test_sorting_and_pages(client, data_dir):
    expected = sql_rows(
        client,
        "select src_url, anchor_text from inbound_links where dst_domain = 'paged.org' "
        "order by anchor_text desc, dst_url, src_url, kind",
    )[1:]
    assert len(expected) == PAGED
    seen = []
    for number in (1, 2, 3):
        response = client.get("/domain/paged.org/backlinks.json", params={"sort": "-anchor_text", "per_page": 25,
                                                                            "page": number})  # fmt: skip
        body = response.json()
        assert body["total"] == PAGED
        seen += [[r["src_url"], r["anchor_text"]] for r in body["rows"]]
    assert seen == expected
    html = client.get("/domain/paged.org/backlinks", params={"sort": "-anchor_text", "per_page": 25}).text
    assert "page 1 of 3" in html
    assert 'href="?sort=-anchor_text&amp;per_page=25&amp;page=2" rel="next"' in html
    # A header link sorts by its column, from page 1, keeping the filters.
    html = client.get("/domain/paged.org/backlinks", params={"follow": "dofollow", "page": 2, "per_page": 25}).text
    assert 'href="?follow=dofollow&amp;per_page=25&amp;sort=-first_seen" data-column="first_seen"' in html


def test_csv_holds_every_filtered_row_not_one_page(client, data_dir):
    response = client.get("/domain/paged.org/backlinks.csv", params={"follow": "nofollow", "per_page": 25})
    rows = list(csv.reader(io.StringIO(response.text)))[1:]
    assert len(rows) == PAGED // 3
    assert response.headers["content-disposition"] == 'attachment; filename="paged.org-backlinks.csv"'


@pytest.mark.parametrize(
    "view, sql, intelligence",
    [
        ("referring-domains", "select referring_domain, backlinks, dofollow_backlinks, linked_pages, first_seen, "
                              "last_seen from referring_domains where target_domain = 'example.com' "
                              "order by backlinks desc, referring_domain",
         "select rd.referring_domain, authority.authority, authority.rank, rd.backlinks, rd.dofollow_backlinks, "
         "rd.linked_pages, risk.risk, coalesce(risk.flags, []) as flags, rd.first_seen, rd.last_seen, rd.disavowed "
         "from referring_domains as rd left join domain_authority as authority on authority.domain = rd.referring_domain "
         "left join referring_domain_risk as risk on risk.target_domain = rd.target_domain "
         "and risk.referring_domain = rd.referring_domain where rd.target_domain = 'example.com' "
         "order by rd.backlinks desc, rd.referring_domain"),
        ("anchors", "select anchor_text, backlinks, referring_domains, dofollow_backlinks, share "
                    "from anchor_distribution where target_domain = 'example.com' order by backlinks desc, anchor_text",
         "select anchor_text, anchor_class, backlinks, referring_domains, dofollow_backlinks, share "
         "from anchor_distribution where target_domain = 'example.com' order by backlinks desc, anchor_text"),
        ("broken", "select dst_url, dst_status, src_url, src_domain, anchor_text, kind, nofollow, last_seen "
                   "from inbound_links where dst_domain = 'example.com' and dst_status >= 400 "
                   "order by dst_url, src_url, anchor_text, kind",
         "select dst_url, broken_status, broken_url, redirects, src_url, referring_domain, referring_domain_authority, "
         "anchor_text, kind, nofollow, seen_at from broken_backlinks where target_domain = 'example.com' "
         "order by referring_domain_authority desc nulls last, dst_url, src_url, anchor_text, kind"),
        ("lost", None,
         "select crawl_id, previous_crawl_id, reason, src_url, src_title, src_domain, anchor_text, dst_url, kind, "
         "nofollow_before, rel_before, seen_at from link_changes left join (select url, title as src_title "
         "from page_status) on url = src_url where dst_domain = 'example.com' and not internal and event = 'lost' "
         "order by seen_at desc, crawl_id, src_url, dst_url, anchor_text, kind"),
    ],
)  # fmt: skip
def test_other_table_pages_download_what_sql_selects(client, data_dir, view, sql, intelligence):
    """Each page as the index allows: over the link-intelligence tables when it has them."""
    if "domain_authority" in client.app.state.index.names:
        sql = intelligence
    if sql is None:
        assert client.get(f"/domain/example.com/{view}").status_code == 404
        return
    expected = sql_rows(client, sql)
    assert len(expected) > 1
    response = client.get(f"/domain/example.com/{view}.csv")
    assert list(csv.reader(io.StringIO(response.text))) == expected
    assert len(table_rows(client.get(f"/domain/example.com/{view}").text)) == len(expected) - 1


@pytest.mark.parametrize(
    "params, message",
    [
        ({"kind": "bogus"}, "kind='bogus': use one of anchor, image"),
        ({"sort": "src_url; drop table x"}, "sort='src_url; drop table x': sort by one of"),
        ({"sort": "rel"}, "sort='rel': sort by one of"),
        ({"page": "0"}, "page='0': a whole number from 1"),
        ({"per_page": "7"}, "per_page=7: use one of 25, 50, 100, 500"),
        ({"referring_domain": "ftp://x"}, "not a domain name"),
    ],
)
def test_a_bad_query_string_is_a_400_that_names_the_parameter(client, params, message):
    for suffix in ("", ".csv"):
        response = client.get(f"/domain/example.com/backlinks{suffix}", params=params)
        assert response.status_code == 400
        assert message.replace("'", "&#39;") in response.text


def test_filter_values_are_bound_not_spliced(client):
    # Quotes in a filter value are data: no rows match, nothing breaks.
    response = client.get("/domain/example.com/backlinks", params={"anchor": "x') or true or ('"})
    assert response.status_code == 200
    assert 'data-total="0"' in response.text


# -- the SQL page ---------------------------------------------------------------


def test_sql_page_runs_a_select(client, data_dir):
    response = client.get("/sql", params={"q": "select target_domain, backlinks from domain_summary order by 1"})
    assert response.status_code == 200
    expected = sql_rows(client, "select target_domain, backlinks from domain_summary order by 1")
    assert len(table_rows(response.text)) == len(expected) - 1
    response = client.get("/sql.csv", params={"q": "select target_domain, backlinks from domain_summary order by 1"})
    assert list(csv.reader(io.StringIO(response.text))) == expected


def test_sql_page_stops_at_the_row_limit(client):
    response = client.get("/sql", params={"q": "select range as n from range(100)"})
    assert len(table_rows(response.text)) == 25
    assert "the first 25; more rows were left out" in response.text
    assert len(client.get("/sql.csv", params={"q": "select range from range(100)"}).text.splitlines()) == 26


def test_sql_page_stops_a_query_at_the_time_limit(data_dir):
    app = create_app(Settings(str(data_dir), time_limit=0.3))
    with TestClient(app) as client:
        response = client.get("/sql", params={"q": "select count(*) from range(1000000) a, range(1000000) b"})
        assert response.status_code == 400
        assert "the query took longer than 0.3 s and was stopped" in response.text
        # The server goes on answering.
        assert client.get("/sql", params={"q": "select 42"}).status_code == 200
    app.state.index.close()


@pytest.mark.parametrize(
    "sql, message",
    [
        ("select * from read_csv('/etc/passwd')", "file system operations are disabled"),
        ("select * from read_parquet('DATA/links/../../*/*.parquet')", "file system operations are disabled"),
        ("copy domain_summary to '/tmp/out.csv'", "not COPY"),
        ("copy domain_summary to 'DATA/links/x.parquet'", "not COPY"),
        ("select 1; select 2", "Run one statement at a time."),
        ("attach '/tmp/other.duckdb'", "not ATTACH"),
        ("install httpfs", "not LOAD"),
        ("load httpfs", "not LOAD"),
        ("set enable_external_access = true", "not SET"),
        ("create table x as select 1", "not CREATE"),
        ("select * from glob('/*')", "file system operations are disabled"),
        ("select * from read_text('/etc/hostname')", "file system operations are disabled"),
        ("selec 1", "Parser Error"),
    ],
)
def test_sql_page_refuses_what_would_leave_the_index(client, data_dir, sql, message):
    sql = sql.replace("DATA", str(data_dir))
    response = client.get("/sql", params={"q": sql})
    assert response.status_code == 400
    assert message in response.text
    assert client.get("/sql.csv", params={"q": sql}).status_code == 400


def test_sql_page_reads_the_views_over_the_records(client, data_dir):
    # The index's own record files are the one place the connection may read.
    response = client.get("/sql", params={"q": "select count(*) as n from links"})
    assert response.status_code == 200
    assert re.search(r"<td>\d+</td>", response.text)
    assert not list(data_dir.glob("links/*.csv"))


def test_the_locked_connection_cannot_be_unlocked(data_dir):
    index = WebIndex(data_dir)
    try:
        for sql in ("set enable_external_access = true", "set lock_configuration = false", "set memory_limit = '1TB'",
                    "set allowed_directories = ['/']"):  # fmt: skip
            with pytest.raises(Exception, match="locked|Cannot change"):
                index.rows(sql)
        assert index.rows("select current_setting('TimeZone')")[1] == [("UTC",)]
    finally:
        index.close()


def test_a_rebuilt_index_is_served_without_a_restart(tmp_path):
    links, pages = sample_records()
    write_parquet(tmp_path, "links", links)
    write_parquet(tmp_path, "pages", pages)
    build(tmp_path)
    app = create_app(Settings(str(tmp_path)))
    with TestClient(app) as client:
        assert client.get("/domain/paged.org").status_code == 404
        more_links, more_pages = extra_records()
        write_parquet(tmp_path, "links", more_links, part=1)
        write_parquet(tmp_path, "pages", more_pages, part=1)
        build(tmp_path)
        html = client.get("/domain/paged.org").text
        assert f'data-metric="backlinks"><span class="value">{PAGED}<' in html
    app.state.index.close()


# -- security -------------------------------------------------------------------


def test_every_response_carries_the_security_headers(client):
    for path in ("/", "/domain/example.com", "/no/such", "/static/app.js", "/domain/example.com/backlinks.csv"):
        headers = client.get(path).headers
        assert headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY and "unsafe-eval" not in CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY


def test_served_pages_have_no_inline_script_or_style(client):
    for path in ("/", "/domain/example.com", "/domain/example.com/backlinks", "/sql?q=select+1"):
        html = client.get(path).text
        for tag in re.findall(r"<script\b[^>]*>", html):
            assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
        # Text from pages has its < and " escaped: these are the template's tags, and their attribute names.
        tags = [re.sub(r'"[^"]*"', '""', tag) for tag in re.findall(r"<[a-z][^>]*>", html)]
        assert not [tag for tag in tags if tag.startswith("<style") or re.search(r"\s(style|on\w+)=", tag)]


def test_text_from_pages_is_escaped_in_content_and_attributes(client):
    html = client.get("/domain/example.com/backlinks", params={"referring_domain": "hostile.info"}).text
    for payload in (HOSTILE_TITLE, *HOSTILE_ANCHORS[:2]):
        assert payload not in html
    assert ">javascript:alert(4)</span>" in html and 'href="javascript' not in html
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in html
    assert "&#34;&gt;&lt;img src=x onerror=alert(3)&gt;" in html
    assert 'title="&lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;&#34;&gt;&lt;img src=x onerror=alert(1)&gt;"' in html
    assert "<img" not in html and "<script>alert" not in html
    anchors = client.get("/domain/example.com/anchors").text
    assert "<script>alert(2)" not in anchors and "&lt;script&gt;alert(2)&lt;/script&gt;" in anchors


def test_only_http_urls_become_links():
    template = environment().from_string('{% from "_macros.html" import cell %}{{ cell(value, "url") }}')
    for url in ("javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,<b>",
                "vbscript:x", "http:/x", "//evil.example/"):  # fmt: skip
        html = template.render(value=url)
        assert "<a" not in html, url
        assert not web_url(url)
    html = template.render(value='https://example.com/"><script>x</script>')
    assert html.startswith('<a class="url" href="https://example.com/&#34;&gt;&lt;script&gt;x&lt;/script&gt;"')
    assert 'rel="nofollow noopener noreferrer"' in html
    sql_page = environment().get_template("sql.html")
    assert "<a " not in sql_page.render(
        sql="x", columns=["u"], rows=[("https://example.com/",)], truncated=False, sql_error=None, elapsed=0.0,
        tables=[], max_rows=1, time_limit=1, domain=None, active="sql", q="", standalone=False, index_path="",
        global_pages=[], tabs=[],
    ).split('id="rows"')[1]  # fmt: skip


def test_json_in_pages_cannot_close_its_script_element(client):
    html = client.get("/domain/example.com").text
    data = html.split('id="chart-data">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and ">" not in data


def test_the_token_is_checked_on_every_request(data_dir):
    app = create_app(Settings(str(data_dir), token="s3cret-token"))
    with TestClient(app) as client:
        for path in ("/", "/static/app.js", "/domain/example.com/backlinks.csv", "/sql?q=select+1"):
            response = client.get(path)
            assert response.status_code == 401, path
            assert "A token is needed" in response.text
        assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert client.get("/", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
        # The address printed at start: sets the cookie and drops the token from the URL.
        response = client.get("/domain/example.com?token=s3cret-token&x=1", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/domain/example.com?x=1"
        assert "httponly" in response.headers["set-cookie"].lower()
        assert "samesite=strict" in response.headers["set-cookie"].lower()
        assert client.get("/domain/example.com").status_code == 200  # with the cookie
    app.state.index.close()


def test_loopback_server_answers_only_local_host_names(data_dir):
    app = create_app(Settings(str(data_dir), allowed_hosts=local_hosts(8000)))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        assert client.get("/").status_code == 200
        assert client.get("/", headers={"Host": "localhost:8000"}).status_code == 200
        # A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) is refused.
        response = client.get("/", headers={"Host": "attacker.example:8000"})
        assert response.status_code == 400
    app.state.index.close()


def test_serve_refuses_other_hosts_without_a_token(data_dir, capsys, monkeypatch):
    from linkindex.cli import main

    monkeypatch.delenv("LINKINDEX_TOKEN", raising=False)
    assert main(["serve", "--data", str(data_dir), "--host", "0.0.0.0", "--port", "0"]) == 2
    assert "refusing to serve on 0.0.0.0 without a token" in capsys.readouterr().err
    assert main(["serve", "--data", str(data_dir / "missing"), "--port", "0"]) == 2
    assert "run `linkindex build" in capsys.readouterr().err


# -- the one-file report ------------------------------------------------------------


def test_html_report_is_one_self_contained_file(data_dir, tmp_path, capsys):
    from linkindex.cli import main

    out = tmp_path / "report.html"
    assert main(["report", "www.example.com", "--data", str(data_dir), "--html", str(out)]) == 0
    assert "Backlink profile of example.com" in capsys.readouterr().out
    html = out.read_text(encoding="utf-8")
    assert not re.search(r'<(script|link|img)\b[^>]*\b(src|href)="(?!data:)', html)
    assert "Chart.js v4" in html and 'id="chart-data"' in html
    assert '<a href="/domain/' not in html  # no server to link to
    assert not list(tmp_path.glob(".*.tmp"))
    assert main(["report", "nowhere.org", "--data", str(data_dir), "--html", str(tmp_path / "none.html")]) == 2
    assert not (tmp_path / "none.html").exists()


# -- targets narrower than a domain ------------------------------------------------


def test_target_addresses_are_canonical_and_keep_their_filters(client):
    def location(path):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 301, path
        return response.headers["location"]

    assert location("/target?target=HTTPS://WWW.Example.com:443/pricing") == (
        "/target?target=https%3A%2F%2Fwww.example.com%2Fpricing&mode=exact")  # fmt: skip
    assert location("/target/backlinks?target=www.example.com&mode=domain&follow=nofollow") == (
        "/domain/example.com/backlinks?follow=nofollow")  # fmt: skip
    assert location("/domain/www.example.com/backlinks?mode=subdomains&follow=nofollow") == (
        "/target/backlinks?target=www.example.com&mode=subdomains&follow=nofollow")  # fmt: skip


def test_a_narrowed_target_pages_numbers_and_links(client, data_dir):
    import json
    import subprocess
    import sys

    def report(*args):  # in a process of its own: DuckDB opens a file once per process, with one configuration
        command = [sys.executable, "-m", "linkindex.cli", "report", *args, "--data", str(data_dir), "--format", "json"]
        return json.loads(subprocess.run(command, capture_output=True, text=True, check=True).stdout)

    expected = report("www.example.com", "--mode", "subdomains")
    domain = report("example.com")
    assert expected["totals"]["backlinks"] < domain["totals"]["backlinks"]
    query = "target=www.example.com&amp;mode=subdomains"
    html = client.get(f"/target?{query.replace('&amp;', '&')}").text
    assert f'data-metric="backlinks"><span class="value">{expected["totals"]["backlinks"]:,}<' in html
    assert '<span class="mode" data-mode="subdomains"' in html
    table = client.get(f"/target/backlinks?{query.replace('&amp;', '&')}&sort=anchor_text").text
    # Sorting, paging, the downloads and the filter form keep the target.
    assert f'href="?{query}&amp;sort=-anchor_text"' in table
    assert f'href="/target/backlinks.csv?{query}&amp;sort=anchor_text"' in table
    assert '<input type="hidden" name="target" value="www.example.com">' in table
    csv_text = client.get(f"/target/backlinks.csv?{query.replace('&amp;', '&')}").text
    assert [row[5] for row in csv.reader(io.StringIO(csv_text))][1:] == ["https://www.example.com/pricing"]


def test_the_server_keeps_a_bounded_number_of_targets(data_dir):
    from linkindex.targets import parse_target
    from linkindex.web.overview import overview

    index = WebIndex(data_dir, time_limit=5, targets_kept=1)
    try:
        pricing, home = parse_target(PRICING), parse_target(HOME, "prefix")
        for _ in range(2):  # each evicts the other: recomputed, the same numbers
            assert overview(index.narrowed(pricing), "example.com", target=pricing)["totals"]["backlinks"] == 1
            assert overview(index.narrowed(home), "example.com", target=home)["totals"]["backlinks"] > 1
            assert len(index._narrowed) == 1
    finally:
        index.close()

"""``python -m bench serve``: page latency of `linkindex serve` on a synthetic index of N links.

Writes web-shaped link and page records (two crawls; power-law targets and
anchors; 80 links a page, 30 % external) into ``--dir``, builds the index
once (kept for later runs: pass the same ``--dir``), starts ``linkindex serve``
as a child process and requests each page over HTTP, one at a time, on a
kept-alive connection. For each page it prints the median and the slowest
latency, against the baseline measured in the same run: the page's own
queries run straight on DuckDB, without HTTP, templates or the server.
Pages are measured for the most linked-to domain (the worst case) and a
domain of median size.
"""

import http.client
import os
from pathlib import Path
import re
import statistics
import subprocess
import time
from urllib.parse import parse_qsl, quote, urlencode

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from rich.table import Table

from bench.common import linkindex_command

HELP = "page latency of linkindex serve on a synthetic index (default 10M links)"
#: Pages answer within this (the goal the docs state), on the machine measured.
TARGET_MS = 300
LINKS_PER_PAGE = 80


def add_arguments(parser):
    parser.add_argument("--links", type=int, default=10_000_000, help="link records in the index")
    parser.add_argument(
        "--dir", default="bench-serve", help="where the records and the index go (kept, and reused when complete)"
    )
    parser.add_argument("--requests", type=int, default=15, help="requests per page (after one warm-up)")


# -- the synthetic index ---------------------------------------------------------

# A uniform number in [0, 1) from a hash of the row's values.
def _uniform(*values) -> str:
    return f"((hash({', '.join(map(str, values))}) % 1000003)::double / 1000003)"


def _links_sql(crawl: str, first_page: int, pages: int, domains: int, day: int) -> str:
    """Link records of ``pages`` pages: one DuckDB SELECT shaped like the record contract."""
    return f"""
with page as (
    select p, p % {domains} as site, p // {domains} as local from range({first_page}, {first_page + pages}) t(p)
),
link as (
    select p, site, local, j,
        {_uniform('p', 'j', 1)} < 0.3 as external,
        -- a Zipf-like law: a few domains receive most links
        least({domains} - 1, floor(pow({domains}, {_uniform('p', 'j', 2)})) - 1)::bigint as target,
        floor(pow(200, {_uniform('p', 'j', 3)}))::bigint as target_page,
        floor(pow(5000, {_uniform('p', 'j', 4)}))::bigint as anchor,
        {_uniform('p', 'j', 5)} as roll
    from page, range({LINKS_PER_PAGE}) t(j)
)
select
    '{crawl}' as crawl_id,
    timestamptz '2024-0{day}-01 00:00:00+00' + to_seconds(p % 86400) as fetched_at,
    'https://www.d' || site || '.com/p' || local as src_url,
    'www.d' || site || '.com' as src_host,
    'd' || site || '.com' as src_domain,
    'com,d' || site || ',www' as src_surt_host,
    'https://www.d' || (case when external then target else site end) || '.com/p' || target_page as dst_url,
    'www.d' || (case when external then target else site end) || '.com' as dst_host,
    'd' || (case when external then target else site end) || '.com' as dst_domain,
    'com,d' || (case when external then target else site end) || ',www' as dst_surt_host,
    'anchor text ' || anchor as anchor_text,
    case when roll < 0.10 then 'nofollow' when roll < 0.12 then 'nofollow ugc' when roll < 0.13 then 'sponsored'
        else '' end as rel,
    roll < 0.12 as nofollow,
    roll >= 0.10 and roll < 0.12 as ugc,
    roll >= 0.12 and roll < 0.13 as sponsored,
    false as page_nofollow,
    not external as internal,
    case when j = 79 then 'canonical' when roll > 0.95 then 'image' else 'anchor' end as kind,
    case when j = 79 then null when j < 8 then 'nav' when j > 70 then 'footer' when roll > 0.9 then 'aside'
        else 'main' end as placement,
    j::int as position
from link
"""


def _pages_sql(crawl: str, first_page: int, pages: int, domains: int, day: int, dead: bool) -> str:
    """Page records of the linking pages; with ``dead``, a 404 for a slice of the pages linked to."""
    sql = f"""
select '{crawl}' as crawl_id,
    timestamptz '2024-0{day}-01 00:00:00+00' + to_seconds(p % 86400) as fetched_at,
    'https://www.d' || (p % {domains}) || '.com/p' || (p // {domains}) as url,
    'https://www.d' || (p % {domains}) || '.com/p' || (p // {domains}) as final_url,
    200::smallint as status, 'text/html; charset=utf-8' as content_type, 'utf-8' as charset,
    'Page ' || (p // {domains}) || ' of d' || (p % {domains}) as title, 40000::bigint as content_length,
    {LINKS_PER_PAGE}::int as links_out, false as page_nofollow, null as warc_file, null::bigint as warc_offset,
    null as error, false as noindex, null as ip_address
from range({first_page}, {first_page + pages}) t(p)
"""
    if not dead:
        return sql
    return sql + f"""
union all
select '{crawl}', timestamptz '2024-0{day}-02 00:00:00+00',
    'https://www.d' || d || '.com/p' || k, 'https://www.d' || d || '.com/p' || k,
    404::smallint, 'text/html', 'utf-8', 'Not found', 300::bigint, 0, false, null, null, 'http_error', false, null
from range(0, least({domains}, 200)) t(d), range(150, 200) u(k)
"""


def _write(con, sql: str, table: str, path: Path) -> int:
    schema = {"links": _schema("links"), "pages": _schema("pages")}[table]
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    rows = 0
    with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
        for batch in con.sql(sql).to_arrow_reader(500_000):
            table_batch = pa.Table.from_batches([batch]).select(schema.names).cast(schema)
            writer.write_table(table_batch)
            rows += table_batch.num_rows
    os.replace(tmp, path)
    return rows


def _schema(table: str) -> pa.Schema:
    from linkindex.schema import SCHEMAS

    return SCHEMAS[table]


def make_index(directory: Path, links: int, console) -> Path:
    """Records of two crawls (the second re-fetches 60 % of the pages) and their index; reused when complete."""
    from linkindex.index import build

    data = directory / f"links-{links}"
    if (data / "index.duckdb").is_file():
        console.print(f"reusing the index at {data}")
        return data
    pages = max(10, round(links / LINKS_PER_PAGE / 1.6))
    domains = max(5, pages // 25)
    started = time.perf_counter()
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False})
    con.execute("set TimeZone = 'UTC'")
    written = 0
    for crawl, first, count, day in (("c1", 0, pages, 1), ("c2", 0, round(pages * 0.6), 2)):
        for part, start in enumerate(range(first, first + count, 25_000)):
            size = min(25_000, first + count - start)
            name = f"part-{part:04d}.parquet"
            written += _write(con, _links_sql(crawl, start, size, domains, day), "links",
                              data / "links" / f"crawl_id={crawl}" / name)  # fmt: skip
            _write(con, _pages_sql(crawl, start, size, domains, day, dead=part == 0), "pages",
                   data / "pages" / f"crawl_id={crawl}" / name)  # fmt: skip
    con.close()
    console.print(f"wrote {written:,} link records ({pages:,} pages, {domains:,} domains) "
                  f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    started = time.perf_counter()
    counts = build(data)
    console.print(f"built the index in {time.perf_counter() - started:.0f} s: "
                  f"{counts['inbound_links']:,} inbound links, {counts['domain_summary']:,} target domains")  # fmt: skip
    return data


# -- measuring ---------------------------------------------------------------------


def _start_server(data: Path):
    process = subprocess.Popen(
        linkindex_command("serve", "--data", data, "--port", "0"), stdout=subprocess.PIPE, text=True
    )
    line = process.stdout.readline()
    match = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
    if not match:
        process.kill()
        raise SystemExit(f"linkindex serve did not start: {line}")
    return process, int(match[1])


def _timed_get(connection, path: str) -> tuple[float, int, int]:
    started = time.perf_counter()
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read()
    return time.perf_counter() - started, response.status, len(body)


def _baseline(data: Path, queries: list[tuple[str, dict]], repeat: int) -> float:
    """Median seconds of running ``queries`` straight on DuckDB."""
    from linkindex.index import open_index

    con = open_index(data)
    try:
        times = []
        for _ in range(repeat + 1):
            started = time.perf_counter()
            for sql, params in queries:
                con.sql(sql, params=params).fetchall()
            times.append(time.perf_counter() - started)
        return statistics.median(times[1:])
    finally:
        con.close()


def _page_queries(path: str, domain: str) -> list[tuple[str, dict]]:
    """The queries a page runs, as the app writes them (for the baseline)."""
    from linkindex.web import overview as ov
    from linkindex.web.views import VIEWS, Selection

    params = {"domain": domain}
    if path.endswith(quote(domain)):
        top = {**params, "top": ov.TOP}
        return [(ov.SUMMARY_SQL, params), (ov.TOP_REFERRING_DOMAINS_SQL, top), (ov.TOP_ANCHORS_SQL, top),
                (ov.TOP_PAGES_SQL, top), (ov.BREAKDOWN_SQL, params), (ov.BROKEN_COUNT_SQL, params)]  # fmt: skip
    slug, _, query = path.rsplit("/", 1)[1].partition("?")
    slug = slug.removesuffix(".csv")
    selection = Selection.parse(VIEWS[slug], dict(parse_qsl(query)))
    if path.split("?")[0].endswith(".csv"):
        return [selection.rows_sql(domain, paged=False)]
    return [selection.rows_sql(domain), selection.count_sql(domain)]


def run(args, console) -> int:
    directory = Path(args.dir).absolute()
    data = make_index(directory, args.links, console)
    from linkindex.index import open_index

    con = open_index(data)
    ranked = con.sql("select target_domain, backlinks from domain_summary order by backlinks desc").fetchall()
    con.close()
    domains = {"largest": ranked[0], "median": ranked[len(ranked) // 2]}
    process, port = _start_server(data)
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        table = Table(title=f"linkindex serve, {args.links:,} links: page latency (ms)", title_justify="left")
        for column in ("page", "median", "slowest", "queries alone", "ratio", "size"):
            table.add_column(column, justify="left" if column == "page" else "right", no_wrap=True)
        for label, (domain, backlinks) in domains.items():
            d = quote(domain)
            table.add_row(f"[bold]{domain}: {backlinks:,} backlinks ({label})[/]")
            paths = {
                "overview": f"/domain/{d}",
                "backlinks": f"/domain/{d}/backlinks",
                "backlinks, 3 filters": f"/domain/{d}/backlinks?follow=dofollow&placement=main&anchor=text+1",
                "backlinks, by anchor, page 40": f"/domain/{d}/backlinks?sort=-anchor_text&page=40",
                "referring domains": f"/domain/{d}/referring-domains",
                "anchors": f"/domain/{d}/anchors",
                "broken": f"/domain/{d}/broken",
                "backlinks CSV, nofollow": f"/domain/{d}/backlinks.csv?follow=nofollow",
            }
            for name, path in paths.items():
                _timed_get(connection, path)  # warm-up
                samples = [_timed_get(connection, path) for _ in range(args.requests)]
                statuses = {status for _, status, _ in samples}
                times = sorted(seconds for seconds, _, _ in samples)
                median, slowest = statistics.median(times), times[-1]
                baseline = _baseline(data, _page_queries(path, domain), min(args.requests, 5))
                colour = "green" if median * 1000 <= TARGET_MS else "red"
                table.add_row(
                    f"  {name}",
                    f"[{colour}]{median * 1000:,.0f}[/]" + ("" if statuses == {200} else f" {statuses}"),
                    f"{slowest * 1000:,.0f}",
                    f"{baseline * 1000:,.0f}",
                    f"{median / baseline:.2f}" if baseline else "",
                    f"{samples[-1][2] / 1024:,.0f} KiB",
                )
        table.add_section()
        others = {"start page": "/", "SQL: count inbound_links": "/sql?" + urlencode({"q": "select count(*) from inbound_links"})}
        for name, path in others.items():
            _timed_get(connection, path)
            times = sorted(_timed_get(connection, path)[0] for _ in range(args.requests))
            table.add_row(name, f"{statistics.median(times) * 1000:,.0f}", f"{times[-1] * 1000:,.0f}", "", "", "")
        connection.close()
    finally:
        process.terminate()
        process.wait(10)
    console.print(table)
    console.print(f"[dim]Goal: every page within {TARGET_MS} ms. 'queries alone': the page's SQL straight on DuckDB, "
                  f"no HTTP or templates; ratio = page / queries alone. Load average: {os.getloadavg()[0]:.2f}.[/]")  # fmt: skip
    return 0

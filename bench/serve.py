"""``python -m bench serve``: page latency of `linkindex serve` on a synthetic index of N links.

Writes web-shaped link and page records of two crawls (``bench/synthetic.py``)
into ``--dir``, builds the index
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
import shutil
import statistics
import subprocess
import time
from urllib.parse import parse_qsl, quote, urlencode

from rich.table import Table

from bench.common import linkindex_command

HELP = "page latency of linkindex serve on a synthetic index (default 10M links)"
#: Pages answer within this (the goal the docs state), on the machine measured.
TARGET_MS = 300


def add_arguments(parser):
    parser.add_argument("--links", type=int, default=10_000_000, help="link records in the index")
    parser.add_argument(
        "--dir", default="bench-serve", help="where the records and the index go (kept, and reused when complete)"
    )
    parser.add_argument("--requests", type=int, default=15, help="requests per page (after one warm-up)")


# -- the synthetic index ---------------------------------------------------------


def make_index(directory: Path, links: int, console) -> Path:
    """Records of two crawls (``bench/synthetic.py``: the second re-fetches the first's
    first 40 % of pages, a few percent of their links changed) and their index; reused when complete."""
    from bench.synthetic import write_crawl
    from linkindex.index import build

    data = directory / f"links-{links}"
    if (data / "index.duckdb").is_file():
        console.print(f"reusing the index at {data}")
        return data
    shutil.rmtree(data, ignore_errors=True)
    started = time.perf_counter()
    first = write_crawl(data, "first", round(links * 5 / 7))
    second = write_crawl(data, "second", links - first["links"], revision=1)
    console.print(f"wrote {first['links'] + second['links']:,} link records in {time.perf_counter() - started:.0f} s")
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


def _baseline(index, path: str, domain: str, repeat: int) -> float | None:
    """Median seconds of a page's queries run straight on DuckDB (in this process: no HTTP, no templates)."""
    from linkindex.web.overview import overview
    from linkindex.web.views import Selection, view_for

    base, _, query = path.partition("?")
    if base.endswith(quote(domain)):
        def work():
            overview(index, domain)
    else:
        slug = base.rsplit("/", 1)[1].removesuffix(".csv")
        view = view_for(slug, index.current_names())
        options = {f.name: index.rows(f.options_sql, {"domain": domain} if "$domain" in f.options_sql else None)[1]
                   for f in view.filters if f.options_sql}  # fmt: skip
        selection = Selection.parse(view, dict(parse_qsl(query)), options)
        statements = (
            [selection.rows_sql(domain, paged=False)] if base.endswith(".csv")
            else [selection.rows_sql(domain), selection.count_sql(domain)]
        )  # fmt: skip

        def work():
            for sql, params in statements:
                index.rows(sql, params, time_limit=None)
    times = []
    for _ in range(repeat + 1):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return statistics.median(times[1:])


def run(args, console) -> int:
    directory = Path(args.dir).absolute()
    data = make_index(directory, args.links, console)
    from linkindex.index import open_index

    con = open_index(data)
    ranked = con.sql("select target_domain, backlinks from domain_summary order by backlinks desc").fetchall()
    names = {name for (name,) in con.sql("select table_name from information_schema.tables").fetchall()}
    latest_crawl = con.sql("select crawl_id from crawls order by crawl_seq desc limit 1").fetchall()[0][0]
    con.close()
    domains = {"largest": ranked[0], "median": ranked[len(ranked) // 2]}
    from linkindex.web.db import WebIndex

    process, port = _start_server(data)
    index = WebIndex(data, time_limit=None)
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
            if "link_changes" in names:
                paths["lost"] = f"/domain/{d}/lost"
                paths["backlinks, lost in a crawl"] = f"/domain/{d}/backlinks?change=lost:{quote(latest_crawl)}"
            for name, path in paths.items():
                _timed_get(connection, path)  # warm-up
                samples = [_timed_get(connection, path) for _ in range(args.requests)]
                statuses = {status for _, status, _ in samples}
                times = sorted(seconds for seconds, _, _ in samples)
                median, slowest = statistics.median(times), times[-1]
                baseline = _baseline(index, path, domain, min(args.requests, 5))
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
        if "domain_authority" in names:
            pair = ",".join(domain for domain, _ in domains.values())
            others["competitor gap, largest and median"] = "/intersect?" + urlencode({"domains": pair, "min": 1})
        for name, path in others.items():
            _timed_get(connection, path)
            times = sorted(_timed_get(connection, path)[0] for _ in range(args.requests))
            table.add_row(name, f"{statistics.median(times) * 1000:,.0f}", f"{times[-1] * 1000:,.0f}", "", "", "")
        connection.close()
    finally:
        index.close()
        process.terminate()
        process.wait(10)
    console.print(table)
    console.print(f"[dim]Goal: every page within {TARGET_MS} ms. 'queries alone': the page's SQL straight on DuckDB, "
                  f"no HTTP or templates; ratio = page / queries alone. Load average: {os.getloadavg()[0]:.2f}.[/]")  # fmt: skip
    return 0

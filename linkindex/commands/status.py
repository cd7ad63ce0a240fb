"""``linkindex status``: the state of a distributed crawl (or extract) in Redis."""

import json

from rich.console import Console
from rich.text import Text

from linkindex.commands.common import (
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    add_crawl_id,
    add_redis,
    connect_redis,
    crawls_in_redis,
    examples,
    facts_table,
    note,
)

HELP = "show the state of a distributed crawl or extract"
DESCRIPTION = """\
The state of a crawl in Redis: frontier, requests in flight, pages fetched,
live workers and their speed, each domain's page budget; for an extract, its
WARC files queued, in flight and done. A crawl not in Redis exits with 1."""
EXAMPLES = examples("linkindex status --redis redis://redis:6379/0 --crawl-id c1", "linkindex status --json | jq .")


def add_arguments(parser):
    add_redis(parser)
    add_crawl_id(parser)
    parser.add_argument("--json", action="store_true", help="print the state as one JSON object")


def _count(value) -> str:
    return "n/a (Bloom filter)" if value is None else f"{value:,}" if isinstance(value, int) else str(value)


def run(args, console: Console) -> int:
    from linkindex.cluster import crawl_status

    server = connect_redis(args)
    if server is None:
        return EXIT_USAGE
    status = crawl_status(server, args.crawl_id)
    crawling = status["seeded"] or status["live_workers"] or status["frontier"] or status["in_flight"]
    extracting = any(
        status[key]
        for key in (
            "extract_files_queued", "extract_files_in_flight", "extract_files_done", "extract_files_failed",
            "extract_workers",
        )
    )  # fmt: skip
    if args.json:
        print(json.dumps(status, indent=2))
        return EXIT_OK if crawling or extracting else EXIT_PARTIAL
    if not (crawling or extracting):
        note(f"crawl {args.crawl_id} is not in this Redis (not seeded, no WARC file queued); {crawls_in_redis(server)}")
        return EXIT_PARTIAL

    if crawling:
        scope = ", ".join(status["scope"]) or "(not seeded yet)"
        console.print(Text(f"crawl {status['crawl_id']} · scope: {scope}", style="bold"), soft_wrap=True)
        table = facts_table()
        for label, key in (
            ("queued (frontier)", "frontier"),
            ("in flight", "in_flight"),
            ("URLs seen", "seen"),
            ("pages fetched", "pages_fetched"),
            ("fetches failed", "fetch_errors"),
            ("links extracted", "links"),
            ("requests abandoned (put back too often)", "abandoned"),
            ("pages/s (live workers)", "pages_per_second"),
        ):
            table.add_row(label, _count(status[key]))
        table.add_row("live workers", f"{len(status['live_workers']):,}")
        console.print(table)
        if status["live_workers"]:
            workers = facts_table(("worker", "pages fetched"))
            workers.add_column("pages/s", justify="right")
            for name, worker in status["live_workers"].items():
                workers.add_row(name, f"{worker['pages_fetched']:,}", f"{worker['pages_per_second']:,.1f}")
            console.print(workers)
        if status["budget_used"]:
            limit = status["max_pages_per_domain"]
            budgets = facts_table(("domain", f"budget used (of {limit:,})" if limit else "budget used"))
            for domain, count in status["budget_used"].items():
                budgets.add_row(domain, f"{count:,}")
            console.print(budgets)
            console.print(
                "budget used: requests sent against the domain's page budget, those in flight included",
                style="dim",
                highlight=False,
                soft_wrap=True,
            )
    if extracting:
        console.print(Text(f"extract {status['crawl_id']}", style="bold"))
        table = facts_table()
        for label, key in (
            ("WARC files queued", "extract_files_queued"),
            ("WARC files in flight", "extract_files_in_flight"),
            ("WARC files extracted", "extract_files_done"),
            ("WARC files failed", "extract_files_failed"),
            ("WARC files abandoned (put back too often)", "extract_files_abandoned"),
            ("pages", "extract_pages"),
            ("links", "extract_links"),
        ):
            table.add_row(label, _count(status[key]))
        table.add_row("live extraction workers", f"{len(status['extract_workers']):,}")
        console.print(table)
    return EXIT_OK

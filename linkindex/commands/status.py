"""``linkindex status``: the state of a distributed crawl."""

import json

from rich.console import Console
from rich.table import Table

from linkindex.commands.common import EXIT_OK, EXIT_USAGE, add_crawl_id, add_redis, connect_redis

HELP = "show the state of a distributed crawl"


def add_arguments(parser):
    add_redis(parser)
    add_crawl_id(parser)
    parser.add_argument("--json", action="store_true", help="print JSON")


def run(args, console: Console) -> int:
    from linkindex.cluster import crawl_status

    server = connect_redis(args)
    if server is None:
        return EXIT_USAGE
    status = crawl_status(server, args.crawl_id)
    if args.json:
        print(json.dumps(status, indent=2))
        return EXIT_OK
    console.print(f"[bold]crawl {status['crawl_id']}[/] · scope: {', '.join(status['scope']) or '(not seeded)'}")
    table = Table(show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for label, key in (
        ("frontier (queued requests)", "frontier"),
        ("requests in flight", "in_flight"),
        ("URLs seen", "seen"),
        ("requests abandoned (put back too often)", "abandoned"),
        ("pages fetched", "pages"),
        ("links extracted", "links"),
        ("errors", "errors"),
        ("pages/s (live workers)", "pages_per_second"),
        ("WARC files queued", "extract_files_queued"),
        ("WARC files in flight", "extract_files_in_flight"),
    ):
        value = status[key]
        if value is None:
            value = "n/a (Bloom filter)"
        table.add_row(label, f"{value:,}" if isinstance(value, int) else str(value))
    table.add_row("live crawl workers", str(len(status["live_workers"])))
    table.add_row("live extraction workers", str(len(status["extract_workers"])))
    console.print(table)
    if status["pages_per_domain"]:
        domains = Table("domain", "pages fetched", title="pages per domain", title_justify="left")
        for domain, count in status["pages_per_domain"]:
            domains.add_row(domain, f"{count:,}")
        console.print(domains)
    return EXIT_OK

"""``python -m bench extract``: link extraction on one core, against Scrapy's LinkExtractor."""

from collections import Counter
from datetime import datetime, timezone
import gc
import gzip
import json
from pathlib import Path
import time

from rich.table import Table

from bench.common import BUNDLED_PAGES, SHARED_HTML

HTML_HEADERS = [("Content-Type", "text/html")]


def load_shared_corpus(root: Path) -> list[tuple[str, bytes]]:
    """(url, body) of the real pages in the shared corpus, by its MANIFEST's URL sources."""
    pages = []
    for listing in ("trafilatura/cache_urls.json", "trafilatura/eval_urls.json"):
        path = root / listing
        if path.exists():
            folder = path.parent / ("cache" if "cache" in listing else "eval")
            for entry in json.loads(path.read_text())["files"]:
                page = folder / entry["file"]
                if page.exists() and entry.get("urls"):
                    pages.append((entry["urls"][0], page.read_bytes()))
    truth = root / "article-extraction-benchmark" / "ground-truth.json"
    if truth.exists():
        for digest, entry in json.loads(truth.read_text()).items():
            page = truth.parent / "html" / f"{digest}.html.gz"
            if page.exists():
                pages.append((entry["url"], gzip.decompress(page.read_bytes())))
    for source in sorted((root / "readability").glob("*/source.html")):
        pages.append(("http://fakehost/test/page.html", source.read_bytes()))
    return pages


def load_warc_pages(paths) -> list[tuple[str, bytes]]:
    from crawler.extractor import is_html
    from crawler.records import header_value
    from linkindex.warc import expand_inputs, iter_responses

    pages = []
    for path in expand_inputs([str(p) for p in paths]):
        for response in iter_responses(path, Counter()):
            if (
                response.status == 200
                and response.error is None
                and is_html(header_value(response.headers, "content-type"), response.body)
            ):
                pages.append((response.url, response.body))
    return pages


def load_pages(inputs) -> tuple[list[tuple[str, bytes]], str]:
    """The pages to measure on and a description of where they came from."""
    if inputs:
        pages = []
        for item in map(Path, inputs):
            if item.is_dir():
                pages.extend(load_shared_corpus(item))
            else:
                pages.extend(load_warc_pages([item]))
        return pages, ", ".join(map(str, inputs))
    if SHARED_HTML.exists():
        return load_shared_corpus(SHARED_HTML), f"shared real-page corpus ({SHARED_HTML})"
    pages = [("http://example.com/" + p.name, p.read_bytes()) for p in sorted(BUNDLED_PAGES.glob("html/*.html"))]
    pages += load_warc_pages(sorted(BUNDLED_PAGES.glob("warc/*.warc*")))
    return pages, (
        f"pages bundled with the tests ({BUNDLED_PAGES}); the shared real-page corpus "
        f"({SHARED_HTML}) is not present, so figures are for small pages"
    )


def run_linkindex(pages) -> int:
    from crawler.records import page_records

    stats = Counter()
    fetched_at = datetime.now(timezone.utc)
    links = 0
    for url, body in pages:
        records = page_records(url, 200, HTML_HEADERS, body, fetched_at, stats)
        if records is not None:
            links += len(records.links)
    return links


def run_scrapy(pages) -> int:
    from scrapy.http import HtmlResponse
    from scrapy.linkextractors import LinkExtractor

    extractor = LinkExtractor(tags=("a", "area"), attrs=("href",), unique=False)
    links = 0
    for url, body in pages:
        response = HtmlResponse(url, body=body, headers={"Content-Type": "text/html"})
        links += len(extractor.extract_links(response))
    return links


def best_time(function, pages, repeat: int) -> tuple[float, int]:
    function(pages[:20])  # warm imports and caches
    best = float("inf")
    links = 0
    for _ in range(repeat):
        gc.collect()
        started = time.perf_counter()
        links = function(pages)
        best = min(best, time.perf_counter() - started)
    return best, links


def run(args, console) -> int:
    pages, source = load_pages(args.inputs)
    if args.limit:
        pages = pages[: args.limit]
    if not pages:
        console.print("[red]no HTML pages found in the inputs[/]")
        return 2
    megabytes = sum(len(body) for _, body in pages) / 1e6
    console.print(f"pages: {len(pages):,} ({megabytes:,.1f} MB) from {source}")
    console.print(f"one core, best of {args.repeat} passes each")

    ours, our_links = best_time(run_linkindex, pages, args.repeat)
    theirs, their_links = best_time(run_scrapy, pages, args.repeat)

    table = Table(title="link extraction", title_justify="left")
    for column in ("extractor", "seconds", "pages/s", "MB/s", "links"):
        table.add_column(column, justify="right" if column != "extractor" else "left")
    for name, seconds, links in (
        ("linkindex (all record fields)", ours, our_links),
        ("scrapy LinkExtractor (a, area)", theirs, their_links),
    ):
        table.add_row(
            name, f"{seconds:.3f}", f"{len(pages) / seconds:,.0f}", f"{megabytes / seconds:,.1f}", f"{links:,}"
        )
    console.print(table)
    console.print(f"speed-up over Scrapy's LinkExtractor: [bold]{theirs / ours:.2f}×[/]")
    return 0


HELP = "link extraction pages/s and MB/s on one core, against Scrapy's LinkExtractor"


def add_arguments(parser):
    parser.add_argument(
        "inputs",
        nargs="*",
        metavar="WARC_OR_HTML_DIR",
        help="WARC files or directories of pages (default: the shared real-page corpus when present, "
        "else the pages bundled with the tests)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="timed passes, best kept")
    parser.add_argument("--limit", type=int, default=None, help="at most this many pages")

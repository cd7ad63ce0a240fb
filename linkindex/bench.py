"""Benchmarks: throughput measured against a baseline in the same run.

``linkindex bench extract``
    link extraction on one core over real pages, next to Scrapy's
    ``LinkExtractor`` (tags a and area, unique=False) over the very same
    pages: pages/s, MB/s and the ratio. Both sides start from the raw bytes
    and the page URL: decoding and parsing are part of the work on both sides.
``linkindex bench crawl``
    a live crawl of a generated site served on 127.0.0.1 with no added
    latency, by ``linkindex crawl`` (extracting and writing every record)
    and by a bare Scrapy spider that only follows links found by
    ``LinkExtractor`` and writes nothing, with the same Scrapy settings:
    pages/s, CPU seconds and the ratio.
``linkindex bench distributed``
    a crawl of a site that answers every page after a fixed delay, by 1, 2
    and 4 ``linkindex worker`` processes over a redis-server started for
    the run: pages/s, the speed-up over one worker, Redis commands per page.
``linkindex bench redis-memory``
    Redis memory per URL of the exact duplicate filter, the frontier and the
    Bloom filter, measured on a redis-server, projected to 100M and 1B URLs.

Crawls run as child processes (Twisted's reactor cannot be restarted),
timed by wall clock, by the site's log of requests and by the children's
resource usage.
"""

from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime, timezone
import gc
import gzip
import json
import math
import os
from pathlib import Path
import resource
import signal
import subprocess
import sys
import tempfile
import time

from rich.table import Table

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_HTML = REPO_ROOT.parent / "shared" / "data" / "html"
BUNDLED_PAGES = REPO_ROOT / "tests" / "data"

HTML_HEADERS = [("Content-Type", "text/html")]


# -- bench extract -------------------------------------------------------------


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


def bench_extract(args, console) -> int:
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


# -- crawls as child processes -------------------------------------------------

def site_hosts(count: int) -> list[str]:
    """Hosts of a generated site, each its own registered domain (so its own downloader slot and page budget)."""
    return [f"www.site{i}.test" for i in range(count)]


def linkindex_command(*args) -> list[str]:
    return [sys.executable, "-m", "linkindex.cli", *map(str, args)]


def setting_args(settings: dict) -> list[str]:
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_cpu(pid: int) -> float | None:
    """CPU seconds a running process has used so far (Linux), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def log_tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


@dataclass
class CrawlRun:
    """One crawl by a child process, as the site and the clock saw it."""

    name: str
    returncode: int
    wall: float  # seconds from process start to exit
    startup: float  # seconds from process start to its first request
    crawl: float  # seconds from the first request to exit
    cpu: float  # user + system seconds of the child
    pages: int  # distinct pages fetched (robots.txt aside)
    requests: int  # page requests, repeats included
    links_found: int = 0
    records_written: int = 0

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.crawl if self.crawl > 0 else 0.0


def timed_crawl(name: str, command: list[str], env: dict, site, log: Path, timeout: float) -> CrawlRun:
    site.clear()
    cpu_before = children_cpu()
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    ended = time.monotonic()
    hits = list(site.hits)
    first = hits[0].at if hits else ended
    pages = site.page_hits()
    return CrawlRun(
        name=name,
        returncode=process.returncode,
        wall=ended - started,
        startup=first - started,
        crawl=ended - first,
        cpu=children_cpu() - cpu_before,
        pages=len({h.url for h in pages}),
        requests=len(pages),
    )


# -- bench crawl ---------------------------------------------------------------


def bare_spider_main(argv: list[str]) -> int:
    """``python -m linkindex.bench bare-spider SETTINGS_JSON STATS_FILE SEED...``

    The baseline of ``bench crawl``: Scrapy with its default settings but
    those given, and a spider that follows every link ``LinkExtractor``
    finds within the seeds' hosts and keeps nothing.
    """
    import scrapy
    from scrapy.crawler import CrawlerProcess
    from scrapy.linkextractors import LinkExtractor
    from urllib.parse import urlsplit

    settings, stats_file, seeds = json.loads(argv[0]), Path(argv[1]), argv[2:]

    class BareSpider(scrapy.Spider):
        name = "bare"
        start_urls = seeds
        allowed_domains = sorted({urlsplit(seed).hostname for seed in seeds})
        extractor = LinkExtractor()

        def parse(self, response):
            links = self.extractor.extract_links(response)
            self.crawler.stats.inc_value("links/extracted", len(links))
            for link in links:
                yield scrapy.Request(link.url, callback=self.parse)

    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler)
    process.start()
    stats_file.write_text(json.dumps(crawler.stats.get_stats(), default=str))
    return 0


def bench_crawl(args, console) -> int:
    from linkindex.localsite import generated_site, proxy_env, serve

    hosts = site_hosts(args.hosts)
    per_host = max(1, math.ceil(args.pages / len(hosts)))
    site = generated_site(hosts, per_host, links=args.links, page_bytes=args.page_kb * 1000)
    total = site.page_count()
    size = sum(len(r.body) for pages in site.hosts.values() for r in pages.values()) / 1e6
    seeds = [f"http://{host}/p/0" for host in hosts]
    # What both crawlers run with; everything else is each one's own default.
    shared = {
        "CONCURRENT_REQUESTS": args.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.per_host,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "ROBOTSTXT_OBEY": not args.no_robots,
        "LOG_LEVEL": "INFO",
        "TELNETCONSOLE_ENABLED": False,
    }
    console.print(
        f"site: {total:,} pages ({size:,.0f} MB) on {len(hosts)} hosts, generated by linkindex.localsite "
        f"({args.links} random links and ~{args.page_kb} KB a page, besides 5 that make a tree), "
        "served on 127.0.0.1 from this process with no added latency; each crawler reaches it as its HTTP proxy",
        soft_wrap=True,
    )
    console.print(
        "both crawlers: "
        + ", ".join(f"{k}={v}" for k, v in shared.items())
        + f"; {os.cpu_count()} CPU(s); best of {args.repeat} run(s) each",
        soft_wrap=True,
    )

    runs: dict[str, CrawlRun] = {}
    with tempfile.TemporaryDirectory(prefix="linkindex-bench-") as tmp, serve(site) as proxy:
        tmp = Path(tmp)
        env = proxy_env(proxy)
        for attempt in range(args.repeat):
            data = tmp / f"data-{attempt}"
            contenders = {
                "bare Scrapy spider": [
                    sys.executable, "-m", "linkindex.bench", "bare-spider",
                    json.dumps(shared), tmp / "stats.json", *seeds,
                ],
                "linkindex crawl": linkindex_command(
                    "crawl", *seeds, "--data", data,
                    "--max-depth", 1_000_000, "--max-pages-per-domain", 10 * per_host,
                    *setting_args({**shared, "LINKINDEX_STATS_FILE": tmp / "stats.json"}),
                ),
            }
            for name, command in contenders.items():
                run = timed_crawl(name, command, env, site, tmp / "crawl.log", args.timeout)
                if run.returncode != 0 or run.pages < total:
                    console.print(
                        f"[red]{name}: exit {run.returncode}, {run.pages:,} of {total:,} pages fetched[/]\n"
                        + log_tail(tmp / "crawl.log"),
                        soft_wrap=True,
                    )
                    return 1
                stats = json.loads((tmp / "stats.json").read_text())
                run.links_found = stats.get("links/extracted", 0)
                run.records_written = stats.get("parquet/rows/links", 0) + stats.get("parquet/rows/pages", 0)
                if name not in runs or run.crawl < runs[name].crawl:
                    runs[name] = run

    table = Table(title="live crawl of a local site", title_justify="left")
    columns = (
        "pages", "requests", "start-up s", "crawl s", "pages/s", "wall s",
        "CPU s", "CPU ms/page", "links found", "records written",
    )
    table.add_column("crawler")
    for column in columns:
        table.add_column(column, justify="right")
    for run in runs.values():
        table.add_row(
            run.name,
            f"{run.pages:,}",
            f"{run.requests:,}",
            f"{run.startup:.2f}",
            f"{run.crawl:.2f}",
            f"{run.pages_per_second:,.0f}",
            f"{run.wall:.2f}",
            f"{run.cpu:.2f}",
            f"{1000 * run.cpu / max(run.pages, 1):.2f}",
            f"{run.links_found:,}",
            f"{run.records_written:,}",
        )
    console.print(table)
    bare, ours = runs.values()
    console.print(
        "crawl s: from the first request the site received to the crawler's exit (start-up excluded, "
        "closing and the last writes included); CPU s: the whole child process, start-up included; "
        "links found: every link of every page for linkindex, LinkExtractor's unique a/area links of a page "
        "for the bare spider, which follows them and writes nothing; records written: links and pages rows "
        "in Parquet; requests beyond pages: URLs fetched twice (Scrapy fetches start URLs unfiltered)",
        soft_wrap=True,
    )
    console.print(
        f"linkindex / bare Scrapy, pages/s: [bold]{ours.pages_per_second / bare.pages_per_second:.2f}×[/] "
        f"(wall clock, start-up included: {bare.wall / ours.wall:.2f}×; "
        f"CPU per page: {ours.cpu / ours.pages / (bare.cpu / bare.pages):.2f}× the bare spider's)",
        soft_wrap=True,
    )
    return 0


# -- bench distributed ---------------------------------------------------------


@dataclass
class ClusterRun:
    workers: int
    startup: float  # seconds until every worker had registered
    window: float  # first page request to the last page answered
    pages: int
    requests: int
    worker_cpu: float | None  # CPU seconds of the workers from the start of the crawl to their exit
    redis_cpu: float
    commands: int  # Redis commands run, those inside scripts included
    scripts: int  # script calls (EVALSHA, EVAL)
    commandstats: dict[str, int]

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.window if self.window > 0 else 0.0


def commandstats(client) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): entry["calls"] for name, entry in client.info("commandstats").items()}


def redis_cpu(client) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def stop_processes(processes, timeout: float = 60) -> None:
    """Stop workers as Ctrl-C does (they write what they hold and exit), then wait."""
    for process in processes:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
    deadline = time.monotonic() + timeout
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_cluster(args, redis_server, workers: int, tmp: Path, console) -> ClusterRun | None:
    from crawler.distributed import CrawlKeys
    from linkindex.cluster import seed_crawl
    from linkindex.localsite import generated_site, proxy_env, serve

    hosts = site_hosts(args.hosts)
    per_host = max(1, math.ceil(args.pages / len(hosts)))
    site = generated_site(hosts, per_host, delay=args.delay, links=args.links, page_bytes=args.page_kb * 1000)
    total = site.page_count()
    client = redis_server.client()
    client.flushall()
    keys = CrawlKeys("bench")
    seed_crawl(
        client,
        keys.crawl_id,
        [f"http://{host}/p/0" for host in hosts],
        max_depth=1_000_000,
        max_pages_per_domain=10 * per_host,
    )
    # The seeds wait aside until every worker is up, so that start-up is
    # measured apart from the crawl.
    held = f"{keys.requests}:held"
    client.rename(keys.requests, held)
    settings = {
        "CONCURRENT_REQUESTS": args.concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
    }
    logs = [tmp / f"worker-{workers}-{n}.log" for n in range(workers)]
    with serve(site) as proxy, ExitStack() as outputs:
        started = time.monotonic()
        processes = [
            subprocess.Popen(
                linkindex_command(
                    "worker", "--redis", redis_server.url, "--data", tmp / f"data-{workers}",
                    "--crawl-id", keys.crawl_id, "--idle-exit", 3600, *setting_args(settings),
                ),
                env=proxy_env(proxy),
                stdout=outputs.enter_context(log.open("wb")),
                stderr=subprocess.STDOUT,
            )
            for log in logs
        ]
        try:
            while client.zcard(keys.workers) < workers:
                exited = [n for n, p in enumerate(processes) if p.poll() is not None]
                if exited or time.monotonic() - started > args.timeout:
                    which = exited[0] if exited else 0
                    console.print(f"[red]worker {which} did not start:[/]\n{log_tail(logs[which])}", soft_wrap=True)
                    return None
                time.sleep(0.05)
            startup = time.monotonic() - started
            cpu_at_start = [process_cpu(p.pid) for p in processes]
            cpu_before = children_cpu()
            client.config_resetstat()
            redis_cpu_before = redis_cpu(client)
            client.rename(held, keys.requests)

            # Done when every page has been asked for and the workers have
            # been quiet for a while; give up if they stall.
            quiet = max(1.0, 5 * args.delay)
            deadline = time.monotonic() + args.timeout
            while time.monotonic() < deadline:
                time.sleep(0.05)
                hits = site.page_hits()
                since_last = time.monotonic() - hits[-1].at if hits else 0.0
                if len({h.url for h in hits}) >= total and since_last > quiet:
                    break
                if hits and since_last > 30:
                    break
        finally:
            stop_processes(processes)
    hits = site.page_hits()
    pages = len({h.url for h in hits})
    if pages < total:
        console.print(
            f"[red]{workers} worker(s): {pages:,} of {total:,} pages fetched[/]\n{log_tail(logs[0])}", soft_wrap=True
        )
        return None
    stats = commandstats(client)
    for own in ("info", "config", "rename"):  # this benchmark's own
        stats.pop(own, None)
    worker_cpu = children_cpu() - cpu_before
    return ClusterRun(
        workers=workers,
        startup=startup,
        window=hits[-1].at + args.delay - hits[0].at,
        pages=pages,
        requests=len(hits),
        worker_cpu=None if None in cpu_at_start else worker_cpu - sum(cpu_at_start),
        redis_cpu=redis_cpu(client) - redis_cpu_before,
        commands=sum(stats.values()),
        scripts=stats.get("evalsha", 0) + stats.get("eval", 0),
        commandstats=stats,
    )


def start_redis(directory, binary, console):
    """A throwaway redis-server for one benchmark, or None (the reason printed)."""
    from linkindex.redisproc import RedisNotFound, RedisServer

    try:
        return RedisServer(directory, binary, durable=False).start()
    except (RedisNotFound, RuntimeError) as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return None


def bench_distributed(args, console) -> int:

    try:
        counts = sorted({int(n) for n in args.workers.split(",")})
    except ValueError:
        console.print(f"[red]--workers takes numbers separated by commas, got {args.workers!r}[/]", soft_wrap=True)
        return 2
    if not counts or counts[0] < 1:
        console.print("[red]--workers: at least one worker[/]", soft_wrap=True)
        return 2
    per_host = max(1, math.ceil(args.pages / args.hosts))
    with tempfile.TemporaryDirectory(prefix="linkindex-bench-") as tmp:
        tmp = Path(tmp)
        redis_server = start_redis(tmp, args.redis_server, console)
        if redis_server is None:
            return 2
        try:
            version = redis_server.client().info("server")["redis_version"]
            console.print(
                f"site: {per_host * args.hosts:,} pages on {args.hosts} hosts, generated by linkindex.localsite "
                f"({args.links} random links and ~{args.page_kb} KB a page, besides 5 that make a tree), "
                f"every page answered after {1000 * args.delay:.0f} ms, served on 127.0.0.1 by a thread per connection",
                soft_wrap=True,
            )
            console.print(
                f"Redis {version} ({redis_server.binary}), no persistence; each worker a `linkindex worker` process "
                f"with CONCURRENT_REQUESTS={args.concurrency} (per host too), DOWNLOAD_DELAY=0, AutoThrottle off, "
                f"robots.txt obeyed; {os.cpu_count()} CPU(s)",
                soft_wrap=True,
            )
            console.print(
                f"latency bound of one worker: {args.concurrency} / {args.delay:g} s = "
                f"{args.concurrency / args.delay:,.0f} pages/s",
                soft_wrap=True,
            )
            runs = []
            for workers in counts:
                run = run_cluster(args, redis_server, workers, tmp, console)
                if run is None:
                    return 1
                runs.append(run)
        finally:
            redis_server.stop()

    base = runs[0]
    table = Table(title=f"distributed crawl, site latency {1000 * args.delay:.0f} ms", title_justify="left")
    for column in (
        "workers", "pages", "start-up s", "crawl s", "pages/s", "speed-up", "ideal",
        "worker CPU ms/page", "Redis CPU ms/page", "Redis cmds/page", "script calls/page",
    ):
        table.add_column(column, justify="right")
    for run in runs:
        table.add_row(
            str(run.workers),
            f"{run.pages:,}" + (f" (+{run.requests - run.pages} again)" if run.requests > run.pages else ""),
            f"{run.startup:.1f}",
            f"{run.window:.2f}",
            f"{run.pages_per_second:,.0f}",
            f"{run.pages_per_second / base.pages_per_second:.2f}×",
            f"{run.workers / base.workers:.0f}×",
            f"{1000 * run.worker_cpu / run.pages:.1f}" if run.worker_cpu is not None else "-",
            f"{1000 * run.redis_cpu / run.pages:.2f}",
            f"{run.commands / run.pages:.1f}",
            f"{run.scripts / run.pages:.1f}",
        )
    console.print(table)
    console.print(
        "start-up: process start until every worker has registered (the seeds are held back until then); "
        "crawl s: the site's first page request to its last page answered; speed-up: pages/s against "
        f"{base.workers} worker(s) in this run; Redis commands count those run inside scripts",
        soft_wrap=True,
    )
    names = sorted({name for run in runs for name in run.commandstats}, key=lambda n: -runs[-1].commandstats.get(n, 0))
    calls = Table(title="Redis commands per page, by command", title_justify="left")
    calls.add_column("command")
    for run in runs:
        calls.add_column(f"{run.workers} worker(s)", justify="right")
    for name in names:
        calls.add_row(name, *(f"{run.commandstats.get(name, 0) / run.pages:.2f}" for run in runs))
    console.print(calls)
    last = runs[-1]
    console.print(
        f"{last.workers} workers / {base.workers}: [bold]{last.pages_per_second / base.pages_per_second:.2f}×[/] "
        f"(ideal {last.workers / base.workers:.0f}×)",
        soft_wrap=True,
    )
    return 0


# -- bench redis-memory --------------------------------------------------------

_URL_WORDS = (
    "news world sport business culture science health travel food style music film books tech market "
    "review guide story opinion video photo local weather money homes cars jobs events city people life"
).split()
_TLDS = ("com", "com", "com", "org", "net", "de", "co.uk", "fr", "io", "info")


def synthetic_urls(count: int, seed: int = 0, salt: str = "") -> list[str]:
    """``count`` distinct URLs shaped like article links (about 80 characters)."""
    import random

    rng = random.Random(seed)
    urls = []
    for n in range(count):
        host = f"www.{rng.choice(_URL_WORDS)}{rng.randrange(100_000)}.{rng.choice(_TLDS)}"
        slug = "-".join(rng.choice(_URL_WORDS) for _ in range(rng.randrange(3, 7)))
        date = f"{rng.randrange(2010, 2026)}/{rng.randrange(1, 13):02d}"
        urls.append(f"https://{host}/{rng.choice(_URL_WORDS)}/{date}/{slug}-{salt}{n}.html")
    return urls


def used_memory(client) -> int:
    return int(client.info("memory")["used_memory"])


# Set bits of a Bloom filter by the thousand: the bits CHECK_AND_SET would
# set, without a round trip each. KEYS: shard keys; ARGV: pairs of (index
# into KEYS, offset).
SET_BITS = """
for i = 1, #ARGV, 2 do redis.call('SETBIT', KEYS[tonumber(ARGV[i])], ARGV[i + 1], 1) end
return 0
"""


@dataclass
class MemoryRow:
    structure: str
    stored: float  # bytes the structure holds per URL: fingerprint, pickled request, filter bits
    used: float  # used_memory bytes per URL
    at_100m: float  # bytes for 100M URLs
    at_1b: float  # bytes for 1B URLs


def bench_redis_memory(args, console) -> int:
    import pickle

    from scrapy.crawler import Crawler

    from crawler.bloom import SHARD_BITS, BloomFilter
    from crawler.distributed import CrawlKeys, LeasedPriorityQueue, SeenFilter
    from crawler.spiders.links import LinksSpider
    from linkindex.crawl import crawl_settings

    count = args.urls
    if count < 1:
        console.print("[red]--urls: at least one[/]", soft_wrap=True)
        return 2
    started = time.perf_counter()
    urls = synthetic_urls(count)
    rows: list[MemoryRow] = []
    with tempfile.TemporaryDirectory(prefix="linkindex-bench-") as tmp:
        redis_server = start_redis(tmp, args.redis_server, console)
        if redis_server is None:
            return 2
        try:
            client = redis_server.client()
            version = client.info("server")["redis_version"]
            allocator = client.info("memory")["mem_allocator"]
            keys = CrawlKeys("bench")
            settings = crawl_settings(tmp, keys.crawl_id, distributed={"redis_url": redis_server.url, "worker_id": "w"})
            spider = LinksSpider.from_crawler(Crawler(LinksSpider, settings))
            seen = SeenFilter(client, key=keys.seen)
            queue = LeasedPriorityQueue(client, spider, keys.requests)

            # What a worker queues for a link at depth d: the spider's
            # request, priority -d as DepthMiddleware leaves it (DEPTH_PRIORITY = 1).
            def request(url, depth):
                return spider.request(url, depth).replace(priority=-depth)

            # The exact filter: one fingerprint per URL, as PUSH adds it.
            fingerprints = [seen.request_fingerprint(request(url, 1)) for url in urls]
            client.flushall()
            before = used_memory(client)
            for start in range(0, count, 1000):
                client.sadd(keys.seen, *fingerprints[start : start + 1000])
            used = (used_memory(client) - before) / count
            assert client.scard(keys.seen) == count
            rows.append(MemoryRow("exact duplicate filter (set)", 40.0, used, used * 100e6, used * 1e9))

            # The frontier: one pickled request per URL, as PUSH adds it.
            # Requests differ only in URL and depth: each is encoded from the
            # first one's dict, checked against the queue's own encoding.
            template = request(urls[0], 1).to_dict(spider=spider)

            def encode(n, url):
                depth = 1 + n % 10
                return pickle.dumps({**template, "url": url, "priority": -depth, "meta": {"depth": depth}}, protocol=-1)

            for n in range(min(count, 100)):
                assert encode(n, urls[n]) == queue._encode_request(request(urls[n], 1 + n % 10))
            client.flushall()
            before = used_memory(client)
            stored = 0
            for start in range(0, count, 1000):
                batch = {encode(n, urls[n]): 1 + n % 10 for n in range(start, min(start + 1000, count))}
                stored += sum(map(len, batch))
                client.zadd(keys.requests, batch)
            used = (used_memory(client) - before) / count
            assert client.zcard(keys.requests) == count
            rows.append(MemoryRow("frontier (sorted set)", stored / count, used, used * 100e6, used * 1e9))

            # The Bloom filter at its configured capacity and error rate: its
            # bitmap is as large with these URLs as with all it is sized for.
            def fill_bloom(capacity, items):
                client.flushall()
                before = used_memory(client)
                bloom = BloomFilter(client, f"{keys.seen}:bloom", capacity, args.error_rate)
                shards = [f"{bloom.key}:{n}" for n in range((bloom.bits - 1) // SHARD_BITS + 1)]
                pairs = []
                for n, fingerprint in enumerate(items):
                    for key, offset in zip(*bloom.locate(bytes.fromhex(fingerprint))):
                        pairs += (shards.index(key) + 1, offset)
                    if len(pairs) >= 20_000 or n == len(items) - 1:
                        set_bits(keys=shards, args=pairs)
                        pairs = []
                return bloom, used_memory(client) - before

            set_bits = client.register_script(SET_BITS)
            bloom, used = fill_bloom(args.bloom_capacity, fingerprints)
            rows.append(
                MemoryRow(
                    f"Bloom filter ({args.bloom_capacity:,} URLs, p = {args.error_rate:g})",
                    bloom.bits / 8 / bloom.capacity,
                    used / bloom.capacity,
                    used / bloom.capacity * 100e6,
                    used / bloom.capacity * 1e9,
                )
            )
            # Its false-positive rate when full, on URLs it has not seen: a
            # filter sized for the URLs at hand, filled with all of them.
            bloom, _ = fill_bloom(count, fingerprints)
            probes = min(count, 50_000)
            false_positives = 0
            for start in range(0, probes, 1000):
                pipe = client.pipeline(transaction=False)
                for url in synthetic_urls(min(1000, probes - start), seed=1 + start, salt="u"):
                    digest = bytes.fromhex(seen.request_fingerprint(request(url, 1)))
                    for key, offset in zip(*bloom.locate(digest)):
                        pipe.getbit(key, offset)
                bits = pipe.execute()
                false_positives += sum(all(bits[i : i + bloom.hashes]) for i in range(0, len(bits), bloom.hashes))
        finally:
            redis_server.stop()
    elapsed = time.perf_counter() - started

    console.print(
        f"input: {count:,} distinct synthetic URLs, {sum(map(len, urls)) / count:.0f} characters on average "
        "(https://www.<word><n>.<tld>/<section>/<year>/<month>/<slug>-<n>.html, seed 0), "
        "as the `links` spider's requests with meta {'depth': 1..10}; "
        "fingerprints by scrapy-redis, as SeenFilter takes them",
        soft_wrap=True,
    )
    console.print(
        f"Redis {version} ({allocator} allocator, {redis_server.binary}); bytes = INFO used_memory after "
        f"filling an empty database, minus before, over {count:,}; {datetime.now():%Y-%m-%d}, {elapsed:.0f} s",
        soft_wrap=True,
    )
    ram = args.ram_gb * 2**30
    table = Table(title="Redis memory per URL", title_justify="left")
    table.add_column("structure")
    for column in ("stored bytes/URL", "used_memory bytes/URL", "100M URLs", "1B URLs", f"1B in {args.ram_gb:g} GiB"):
        table.add_column(column, justify="right")
    for row in rows:
        table.add_row(
            row.structure,
            f"{row.stored:,.1f}",
            f"{row.used:,.1f}",
            gigabytes(row.at_100m),
            gigabytes(row.at_1b),
            "fits" if row.at_1b <= ram else "does not fit",
        )
    console.print(table)
    exact, frontier, bloom_row = rows
    console.print(
        "stored: what the structure holds per URL (a 40-character SHA-1 fingerprint, a pickled request, "
        "filter bits); used_memory adds Redis's own entries and the allocator's rounding. The Bloom filter's "
        "bytes are those of its whole bitmap over the URLs it is sized for, whatever the number added; "
        "projections are bytes per URL times the URLs",
        soft_wrap=True,
    )
    console.print(
        f"Bloom filter against the exact set: [bold]{exact.used / bloom_row.used:,.0f}× less memory[/] per URL; "
        f"false positives on {probes:,} unseen URLs of a full filter ({count:,} URLs): "
        f"{false_positives / probes:.3%} (configured {args.error_rate:g}, {bloom.hashes} hash functions)",
        soft_wrap=True,
    )
    return 0


def gigabytes(size: float) -> str:
    return f"{size / 2**30:,.1f} GiB" if size >= 2**30 else f"{size / 2**20:,.0f} MiB"


BENCHMARKS = {
    "extract": bench_extract,
    "crawl": bench_crawl,
    "distributed": bench_distributed,
    "redis-memory": bench_redis_memory,
}


def run(args, console) -> int:
    benchmark = BENCHMARKS.get(args.bench)
    if benchmark is None:
        console.print(f"[red]unknown benchmark {args.bench}[/]", soft_wrap=True)
        return 2
    if not console.is_terminal:
        # Results go to files and notes: tables whole, not squeezed to 80 columns.
        console.width = max(console.width, 160)
    return benchmark(args, console)


if __name__ == "__main__":
    # The baseline spider of `bench crawl`, run as a child process.
    if sys.argv[1:2] == ["bare-spider"]:
        sys.exit(bare_spider_main(sys.argv[2:]))
    sys.exit("usage: python -m linkindex.bench bare-spider SETTINGS_JSON STATS_FILE SEED...")

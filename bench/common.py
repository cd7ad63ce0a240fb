"""What the benchmarks share: where the corpora are, crawls as child processes, a throwaway Redis."""

from dataclasses import dataclass
import os
from pathlib import Path
import resource
import subprocess
import sys
import time

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
SHARED_HTML = SHARED_DATA / "html"
BUNDLED_PAGES = REPO_ROOT / "tests" / "data"

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



def start_redis(directory, binary, console):
    """A throwaway redis-server for one benchmark, or None (the reason printed)."""
    from tests.support.redisproc import RedisNotFound, RedisServer

    try:
        return RedisServer(directory, binary, durable=False).start()
    except (RedisNotFound, RuntimeError) as exc:
        console.print(f"[red]error:[/] {exc}", soft_wrap=True)
        return None



def gigabytes(size: float) -> str:
    return f"{size / 2**30:,.1f} GiB" if size >= 2**30 else f"{size / 2**20:,.0f} MiB"


def add_site_options(parser, pages, hosts, links, page_kb):
    """The options of a generated site, for the crawl benchmarks."""
    parser.add_argument("--pages", type=int, default=pages, help="pages of the site (default: %(default)s)")
    parser.add_argument("--hosts", type=int, default=hosts, help="hosts they are on (default: %(default)s)")
    parser.add_argument(
        "--links", type=int, default=links, help="random links a page, and 5 making a tree (default: %(default)s)"
    )
    parser.add_argument("--page-kb", type=int, default=page_kb, help="KB a page (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds before a crawl counts as failed")

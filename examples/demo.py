"""``make demo``: the example web crawled twice, the index built, one domain's report, then the web interface.

    python -m examples.demo DIR [--no-serve] [--port 8000]

Serves version 1 of the example web (``examples.web``: thirteen hosts on
loopback, reached through a local proxy, so nothing leaves the machine),
crawls it with ``linkindex crawl`` as crawl ``v1``, serves version 2 (weeks
later: links removed, added and turned nofollow, a page deleted, one turned
noindex, one redirected) and crawls it as ``v2``, builds the index, prints
the report of the shop the example web links to, with its new and lost links
since ``v1``, and serves the web interface until Ctrl-C. DIR is left for
``linkindex query``, ``report`` and ``serve``.

DIR is started afresh on every run: a directory that an earlier demo made is
emptied, any other non-empty directory is refused.
"""

import argparse
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import threading
import time

from examples.web import HOSTS, SHOP, V1, V2, crawl

#: The domain whose report the demo prints and whose overview it opens.
DOMAIN = SHOP.removeprefix("www.")
#: Left in a directory the demo made, so that the next run may empty it.
MARKER = ".linkindex-demo"


def _linkindex(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "linkindex.cli", *args], **kwargs)


def _fresh(data: Path) -> None:
    if data.exists() and any(data.iterdir()):
        if not (data / MARKER).exists():
            raise SystemExit(
                f"error: {data} exists and was not made by the demo: remove it, or give another directory "
                "(make demo DEMO_DATA=DIR)"
            )
        shutil.rmtree(data)
    data.mkdir(parents=True, exist_ok=True)
    (data / MARKER).write_text("made by `make demo`; the next demo empties this directory\n")


def _step(text: str) -> None:
    print(f"\n== {text}", flush=True)


def _crawl_versions(data: Path) -> None:
    for number, web, crawl_id in ((1, V1, "v1"), (2, V2, "v2")):
        _step(f"crawl {crawl_id}: version {number} of the example web, {len(HOSTS)} hosts on loopback")
        started = time.perf_counter()
        done = crawl(web, data, crawl_id)
        sys.stdout.write(done.stdout)
        if done.returncode != 0:
            sys.stderr.write(done.stderr[-3000:])
            raise SystemExit(f"error: the crawl of version {number} failed (exit {done.returncode})")
        print(f"crawl {crawl_id} done in {time.perf_counter() - started:.1f} s", flush=True)


def _serve(data: Path, port: int) -> int:
    command = [sys.executable, "-m", "linkindex.cli", "serve", "--data", str(data), "--port", str(port)]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    line = server.stdout.readline()
    if not line and port != 0:  # the port is taken: any free one will do
        server.wait()
        return _serve(data, 0)
    if not line:
        return server.wait()
    url = line.rsplit(" at ", 1)[-1].strip()
    # The rest of what the server says goes on to the terminal (an unread pipe would fill and stall it).
    threading.Thread(target=shutil.copyfileobj, args=(server.stdout, sys.stdout), daemon=True).start()
    print(f"\nThe web interface: {url}\nOpen the overview of {DOMAIN}: {url}domain/{DOMAIN}\nCtrl-C stops it.", flush=True)
    # Ctrl-C in a terminal reaches the server too (one process group); a SIGINT sent to this process alone
    # is passed on. Either way the server stops, and then the demo says where the data is.
    signal.signal(signal.SIGINT, lambda *_: server.poll() is None and server.send_signal(signal.SIGINT))
    server.wait()
    print(f"\nStopped. The data stays in {data}: linkindex serve --data {data}, linkindex query ... --data {data}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m examples.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="data directory to create")
    parser.add_argument("--no-serve", action="store_true", help="stop after the report")
    parser.add_argument("--port", type=int, default=8000, help="port of the web interface (default: %(default)s)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    _fresh(args.data)
    _crawl_versions(args.data)
    _step("build the index")
    if _linkindex("build", "--data", str(args.data)).returncode != 0:
        return 1
    _step(f"report of {DOMAIN}: its backlinks, authority, flags, and what changed since v1")
    env = dict(os.environ, COLUMNS=os.environ.get("COLUMNS", "100"))
    if _linkindex("report", DOMAIN, "--data", str(args.data), env=env).returncode != 0:
        return 1
    print(f"\nCrawls, build and report in {time.perf_counter() - started:.0f} s; the data is in {args.data}", flush=True)
    if args.no_serve:
        return 0
    return _serve(args.data, args.port)


if __name__ == "__main__":
    sys.exit(main())

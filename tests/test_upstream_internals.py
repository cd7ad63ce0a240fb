"""Tripwires for the dependencies' private names the project uses.

Each test pins what the project relies on in a name that is not its
dependency's public API, and fails with a message naming the dependency,
the name and the code of ours that needs it: when one fails after an
upgrade, that code is what to revisit. (scrapy-redis's scheduler, queue
and filter are pinned in ``test_scrapy_redis_adapter.py``.)
"""

import inspect
import json
import subprocess
import sys
import textwrap

import ada_url
import pytest
from sites import command_env
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import ChunkedDataReader, DecompressingBufferedReader
from warcio.recordloader import ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeadersParser

from crawler import urls

# -- ada-url: its C wrapper, called by crawler/urls.py -------------------------------

URLS = [
    ("https://Ex.COM/a/../b?q=1#f", ""),
    ("../c d?é=ü", "http://www.example.com/x/y"),
    ("//xn--nxasmq6b.example:8080", "https://a.example/"),
    ("mailto:a@example.com", ""),
    ("ftp://files.example/x", ""),
    ("ws://chat.example/", ""),
    ("file:///etc/hosts", ""),
    ("http://[::1]:80/", ""),
    ("http://0x7f.1/", ""),
    ("http://exa mple.com/", ""),
]


@pytest.mark.parametrize(("href", "base"), URLS)
def test_ada_url_c_wrapper_agrees_with_ada_url_public_api(href, base):
    try:
        public = ada_url.URL(href, base or None)
    except ValueError:
        public = None
    ours = urls._parse(href.encode(), base.encode())
    if public is None:
        assert ours is None, "ada_url._ada_wrapper parses what ada_url.URL refuses: crawler/urls.py _parse"
        return
    assert ours == (public.href, public.hostname, int(public.scheme_type)), (
        "ada_url._ada_wrapper (ada_parse_with_base, ada_get_href, ada_get_hostname, ada_get_scheme_type) "
        "no longer gives what ada_url.URL does: revisit crawler/urls.py _parse"
    )


# -- Scrapy: the downloader's slots, set by CrawlDelayMiddleware ------------------------


SLOTS = textwrap.dedent(
    """
    import json
    from types import SimpleNamespace
    from scrapy import Request, Spider
    from scrapy.core.downloader import Downloader
    from scrapy.utils.reactor import install_reactor
    from scrapy.utils.test import get_crawler
    from crawler.middlewares import CrawlDelayMiddleware

    install_reactor("twisted.internet.asyncioreactor.AsyncioSelectorReactor")
    crawler = get_crawler(Spider, {"ROBOTSTXT_OBEY": True, "DOWNLOAD_DELAY": 0.1})
    downloader = Downloader(crawler)
    # The middleware reaches the downloader through the running engine.
    crawler.engine = SimpleNamespace(downloader=downloader)
    middleware = CrawlDelayMiddleware(crawler, max_delay=60.0)
    middleware.delays["slow.example"] = 3.0
    request = Request("http://slow.example/page")
    middleware.process_request(request)
    key, slot = downloader._get_slot(request)  # a slot made after the delay was set
    made = [key, downloader.get_slot_key(request), slot.delay, slot.jitter, slot.download_delay()]
    slot.delay = 0.1
    middleware.process_request(request)  # a slot that exists already
    print(json.dumps(made + [downloader.slots["slow.example"].delay]))
    """
)


def test_scrapy_downloader_creates_and_keeps_slots_as_crawl_delay_sets_them():
    done = subprocess.run(
        [sys.executable, "-c", SLOTS], env=command_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.splitlines()[-1]) == ["slow.example", "slow.example", 3.0, 0.0, 3.0, 3.0], (
        "Scrapy's Downloader no longer builds a slot from per_slot_settings[key] (delay, jitter), keeps it in "
        "slots, or its Slot lost delay/jitter: crawler/middlewares.py CrawlDelayMiddleware relies on them"
    )


HEARTBEAT = textwrap.dedent(
    """
    import time
    from scrapy import Request, Spider, signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.core.engine import ExecutionEngine
    from scrapy.exceptions import DontCloseSpider

    # What crawler.distributed.ClusterWorker does to look at Redis sooner.
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = 0.2
    READY = []  # when the request appears: half a second after the spider opened
    got = []

    class LateScheduler:
        # A scheduler whose only request appears after the engine went idle, as a shared frontier's do.
        handed = False

        @classmethod
        def from_crawler(cls, crawler):
            return cls()

        def open(self, spider): pass
        def close(self, reason): pass
        def enqueue_request(self, request): return False

        def has_pending_requests(self):
            return not self.handed and bool(READY) and time.monotonic() >= READY[0]

        def __len__(self):
            return int(self.has_pending_requests())

        def next_request(self):
            if not self.has_pending_requests():
                return None
            self.handed = True
            return Request("data:,x", callback=spider_parse, dont_filter=True)

    def spider_parse(response):
        got.append(time.monotonic())

    class Idle(Spider):
        name = "idle"

        async def start(self):
            return
            yield

        def idle(self):
            if not got and time.monotonic() < READY[0] + 20:
                raise DontCloseSpider

    process = CrawlerProcess({"SCHEDULER": LateScheduler, "LOG_ENABLED": False, "TELNETCONSOLE_ENABLED": False})
    crawler = process.create_crawler(Idle)
    def opened(spider):
        READY.append(time.monotonic() + 0.5)

    def idle(spider):
        spider.idle()

    # Receivers are held weakly: named functions that live until the end.
    crawler.signals.connect(opened, signal=signals.spider_opened)
    crawler.signals.connect(idle, signal=signals.spider_idle)
    process.crawl(crawler)
    process.start()
    print(got[0] - READY[0] if got else "never")
    """
)


def test_scrapy_engine_looks_at_an_idle_scheduler_as_often_as_the_worker_sets():
    done = subprocess.run(
        [sys.executable, "-c", HEARTBEAT], env=command_env(), capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-2000:]
    waited = done.stdout.strip().splitlines()[-1]
    assert waited != "never" and float(waited) < 2.0, (
        f"a request that reached the idle scheduler waited {waited} s: Scrapy's engine no longer reads "
        "ExecutionEngine._SLOT_HEARTBEAT_INTERVAL for its idle heartbeat (5 s by default), which "
        "crawler/distributed.py ClusterWorker shortens to LINKINDEX_REDIS_IDLE_POLL_INTERVAL"
    )


# -- warcio: the stream internals linkindex/warc/reader.py and bodies.py build on ---------


@pytest.mark.parametrize(
    ("owner", "name", "parameters", "used_by"),
    [
        (ArchiveIterator, "_consume_blanklines", ["self"], "reader._LenientArchiveIterator (records without separators)"),
        (ArchiveIterator, "_raise_invalid_gzip_err", ["self"], "reader._LenientArchiveIterator (a member of records)"),
        (ArchiveIterator, "_iterate_records", ["self"], "reader._LenientArchiveIterator.reset"),
        (ArchiveIterator, "read_to_end", ["self", "record"], "reader._FileReader._warcio"),
        (DecompressingBufferedReader, "_decompress", ["self", "data"], "reader._QuietReader, bodies._PayloadReader"),
        (DecompressingBufferedReader, "_init_decomp", ["self", "decomp_type"], "bodies._PayloadReader (raw deflate)"),
        (DecompressingBufferedReader, "_process_read", ["self", "data"], "bodies._PayloadReader._try_decode"),
        (ChunkedDataReader, "_try_decode", ["self", "length_header"], "bodies._PayloadReader (the last chunk)"),
        (StatusAndHeadersParser, "decode_header", ["line"], "reader._Latin1HeaderParser"),
    ],
)
def test_warcio_internals_are_where_the_reader_expects_them(owner, name, parameters, used_by):
    method = getattr(owner, name, None)
    assert method is not None, f"warcio's {owner.__name__}.{name} is gone: linkindex/warc/{used_by} needs it"
    assert list(inspect.signature(method).parameters) == parameters, (
        f"warcio's {owner.__name__}.{name} now takes {inspect.signature(method)}: revisit linkindex/warc/{used_by}"
    )


def test_warcio_iterator_and_reader_state_is_where_the_reader_expects_it():
    import io

    iterator = ArchiveIterator(io.BytesIO(b""))
    state = ("fh", "reader", "loader", "offset", "next_line", "member_info", "record", "the_iter")
    missing = [name for name in state if not hasattr(iterator, name)]
    assert not missing, f"warcio's ArchiveIterator lost {missing}: linkindex/warc/reader.py _LenientArchiveIterator"
    assert hasattr(iterator.loader, "http_parser"), "warcio's loader lost http_parser: reader._Latin1HeaderParser"
    assert "HTTP/1.1" in ArcWarcRecordLoader.HTTP_TYPES, (
        "warcio's ArcWarcRecordLoader.HTTP_TYPES changed: reader._Latin1HeaderParser is built with it"
    )
    reader = DecompressingBufferedReader(io.BytesIO(b"x"))
    reader.read()
    for name in ("decompressor", "num_read", "num_block_read"):
        assert hasattr(reader, name), f"warcio's DecompressingBufferedReader lost {name}: linkindex/warc"
    chunked = ChunkedDataReader(io.BytesIO(b"0\r\n\r\n"))
    chunked.read()
    for name in ("decomp_type", "all_chunks_read"):
        assert hasattr(chunked, name), f"warcio's ChunkedDataReader lost {name}: linkindex/warc/bodies.py"
    assert "gzip" in ChunkedDataReader.DECOMPRESSORS and "deflate_alt" in ChunkedDataReader.DECOMPRESSORS, (
        "warcio's ChunkedDataReader.DECOMPRESSORS changed: linkindex/warc/bodies.py _PayloadReader extends it"
    )

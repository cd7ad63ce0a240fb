"""A Bloom-filter duplicate filter on Redis bitmaps, for crawls whose seen set does not fit.

The exact filter (a Redis set of 40-character SHA-1 fingerprints) costs
about 100 bytes per URL (see ``docs/distributed.md``); this one costs
``-ln(p) / ln(2)^2`` bits per URL for a false-positive rate ``p`` at the
configured capacity: 14.4 bits (1.8 bytes) at p = 0.001. A false positive
means a URL is wrongly taken as seen and never fetched; the rate rises
past the capacity, so size the capacity for the whole crawl.

Settings: ``LINKINDEX_DUPEFILTER = "bloom"`` to use it,
``LINKINDEX_BLOOM_CAPACITY`` (100 million URLs) and
``LINKINDEX_BLOOM_ERROR_RATE`` (0.001). The parameters are stored in Redis
with the bitmaps at first use; workers started with other values use the
stored ones, since a filter cannot change size once filled.
"""

import logging
import math

from crawler import defaults
from crawler.distributed import CrawlKeys, SeenFilter, crawl_keys, crawler_redis

logger = logging.getLogger(__name__)

#: Bits per Redis string (SETBIT offsets must stay below 2**32).
SHARD_BITS = 1 << 31

# Test all k bits and set them in one step, so two workers adding the same
# URL at once cannot both see it as new.
CHECK_AND_SET = """
local seen = 1
for i = 1, #KEYS do
  if redis.call('GETBIT', KEYS[i], ARGV[i]) == 0 then seen = 0 end
end
if seen == 0 then
  for i = 1, #KEYS do redis.call('SETBIT', KEYS[i], ARGV[i], 1) end
end
return seen
"""


def bloom_size(capacity: int, error_rate: float) -> tuple[int, int]:
    """(bits, hash functions) of the smallest filter for ``capacity`` items at ``error_rate``."""
    if capacity <= 0 or not 0 < error_rate < 1:
        raise ValueError("Bloom filter needs capacity > 0 and 0 < error_rate < 1")
    bits = math.ceil(-capacity * math.log(error_rate) / math.log(2) ** 2)
    hashes = max(1, round(bits / capacity * math.log(2)))
    return bits, hashes


def bloom_key(keys: CrawlKeys) -> str:
    return f"{keys.seen}:bloom"


class BloomFilter:
    def __init__(self, server, key: str, capacity: int, error_rate: float):
        self.server = server
        self.key = key
        params_key = f"{key}:params"
        # The first writer's parameters win, even against a concurrent one.
        server.hsetnx(params_key, "capacity", capacity)
        server.hsetnx(params_key, "error_rate", repr(error_rate))
        stored = server.hgetall(params_key)
        if stored:
            stored_capacity = int(stored[b"capacity"])
            stored_rate = float(stored[b"error_rate"])
            if (stored_capacity, stored_rate) != (capacity, error_rate):
                logger.warning(
                    "Bloom filter %s exists with capacity %d and error rate %g: using those",
                    key,
                    stored_capacity,
                    stored_rate,
                )
            capacity, error_rate = stored_capacity, stored_rate
        self.capacity = capacity
        self.error_rate = error_rate
        self.bits, self.hashes = bloom_size(capacity, error_rate)
        self._check_and_set = server.register_script(CHECK_AND_SET)

    def positions(self, digest: bytes) -> list[int]:
        # Double hashing (Kirsch & Mitzenmacher): k positions from two 64-bit halves.
        first = int.from_bytes(digest[:8], "big")
        step = int.from_bytes(digest[8:16], "big") | 1
        return [(first + i * step) % self.bits for i in range(self.hashes)]

    def locate(self, digest: bytes) -> tuple[list[str], list[int]]:
        keys, offsets = [], []
        for position in self.positions(digest):
            keys.append(f"{self.key}:{position // SHARD_BITS}")
            offsets.append(position % SHARD_BITS)
        return keys, offsets

    def __contains__(self, digest: bytes) -> bool:
        pipe = self.server.pipeline(transaction=False)
        for key, offset in zip(*self.locate(digest)):
            pipe.getbit(key, offset)
        return all(pipe.execute())

    def add(self, digest: bytes) -> bool:
        """Add an item by its hash; return True if it was (probably) there already."""
        keys, offsets = self.locate(digest)
        return bool(self._check_and_set(keys=keys, args=offsets))


class BloomSeenFilter(SeenFilter):
    """The crawl's duplicate filter as a Bloom filter (``LINKINDEX_DUPEFILTER = "bloom"``)."""

    def __init__(self, server, key, debug=False, capacity=None, error_rate=None):
        super().__init__(server, key, debug)
        self.bloom = BloomFilter(
            server,
            key,
            capacity or defaults.BLOOM_CAPACITY,
            error_rate or defaults.BLOOM_ERROR_RATE,
        )

    @classmethod
    def from_spider(cls, spider):
        settings = spider.crawler.settings
        return cls(
            crawler_redis(spider.crawler),
            key=bloom_key(crawl_keys(settings)),
            debug=settings.getbool("DUPEFILTER_DEBUG"),
            capacity=settings.getint("LINKINDEX_BLOOM_CAPACITY", defaults.BLOOM_CAPACITY),
            error_rate=settings.getfloat("LINKINDEX_BLOOM_ERROR_RATE", defaults.BLOOM_ERROR_RATE),
        )

    def request_seen(self, request):
        return self.bloom.add(bytes.fromhex(self.request_fingerprint(request)))

    def check_args(self, request):
        keys, offsets = self.bloom.locate(bytes.fromhex(self.request_fingerprint(request)))
        return ("bloom", keys, offsets)


import hashlib
import math

import pytest

from crawler.bloom import BloomFilter, bloom_size


def digest(i: int) -> bytes:
    return hashlib.sha1(f"http://example.com/{i}".encode()).digest()


def test_size_follows_the_standard_formulas():
    bits, hashes = bloom_size(1_000_000, 0.001)
    assert bits == math.ceil(-1_000_000 * math.log(0.001) / math.log(2) ** 2)  # 14.38 bits per item
    assert hashes == 10
    with pytest.raises(ValueError):
        bloom_size(0, 0.01)
    with pytest.raises(ValueError):
        bloom_size(10, 1.5)


def test_no_false_negatives_and_false_positive_rate_near_target(redis_server):
    client = redis_server.client()
    bloom = BloomFilter(client, "t:bloom", capacity=2_000, error_rate=0.01)
    # While filling, a few new items already look seen (the rate grows to 1 %).
    assert sum(bloom.add(digest(i)) for i in range(2_000)) < 20
    assert all(bloom.add(digest(i)) for i in range(2_000))  # all seen the second time
    false_positives = sum(digest(i) in bloom for i in range(2_000, 6_000))
    assert false_positives / 4_000 < 0.02  # target: 1 % at capacity


def test_parameters_are_stored_and_win_over_later_settings(redis_server):
    client = redis_server.client()
    first = BloomFilter(client, "t:bloom", capacity=1_000, error_rate=0.01)
    first.add(digest(1))
    second = BloomFilter(client, "t:bloom", capacity=999_999, error_rate=0.2)
    assert (second.capacity, second.error_rate, second.bits) == (1_000, 0.01, first.bits)
    assert second.add(digest(1))

"""Hashing, PNG checks, ETags, the breaker, the in-memory cache and page links."""

from __future__ import annotations

import hashlib
import threading

import pytest

from chalicelib.breaker import CircuitBreaker
from chalicelib.cache import InMemoryLRUCache, lock_key, monster_key
from chalicelib.hashing import name_hash
from chalicelib.links import relative_base
from chalicelib.page import display_px
from chalicelib.png import is_complete_png
from chalicelib.responses import etag_matches, monster_etag
from chalicelib.single_flight import load_once
from tests.unit.upstream_server import make_png


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_name_hash_is_the_books() -> None:
    expected = hashlib.sha256(b"UNIQUE_SALTJoe Bloggs").hexdigest()
    assert name_hash("UNIQUE_SALT", "Joe Bloggs") == expected
    assert name_hash("s", "Zoë") == hashlib.sha256("sZoë".encode()).hexdigest()


def test_png_check() -> None:
    png = make_png()
    assert is_complete_png(png)
    assert not is_complete_png(png[:-1])
    assert not is_complete_png(b"<html>" + png)
    assert not is_complete_png(b"")
    assert not is_complete_png(png[:8] + b"\x00\x00\x00\x0dIHDX" + png[16:])


def test_etag_matching() -> None:
    tag = monster_etag("1", 80, "abc")
    assert tag == monster_etag("1", 80, "abc")
    assert tag != monster_etag("1", 81, "abc")
    assert etag_matches(tag, tag)
    assert etag_matches(f'"x", W/{tag}', tag)
    assert etag_matches("*", tag)
    assert not etag_matches(None, tag)
    assert not etag_matches('"x"', tag)


def test_keys_are_namespaced_and_versioned() -> None:
    key = monster_key("1", 80, "abc")
    assert key == "identidock:v1:monster:80:" + hashlib.sha256(b"abc").hexdigest()
    assert lock_key("1", 80, "abc") != key
    assert monster_key("2", 80, "abc") != key


def test_breaker_opens_after_one_failure_and_allows_one_trial() -> None:
    clock = Clock()
    breaker = CircuitBreaker(reset_seconds=10, clock=clock)
    assert breaker.state == "closed"
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert not breaker.allow()
    clock.now += 10
    assert breaker.state == "half-open"
    assert breaker.allow()  # the one trial
    assert not breaker.allow()  # nobody else while it runs
    breaker.record_failure()
    assert not breaker.allow()
    clock.now += 10
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.allow()


def test_memory_cache_is_lru_bounded_with_ttl() -> None:
    clock = Clock()
    cache = InMemoryLRUCache(max_items=2, clock=clock)
    cache.set("a", b"1", 60)
    cache.set("b", b"2", 60)
    assert cache.get("a") == b"1"  # a is now the most recent
    cache.set("c", b"3", 60)
    assert cache.get("b") is None
    assert cache.get("a") == b"1"
    assert len(cache) == 2
    clock.now += 61
    assert cache.get("a") is None


def test_memory_cache_lock_is_token_checked_and_expires() -> None:
    clock = Clock()
    cache = InMemoryLRUCache(max_items=2, clock=clock)
    assert cache.try_lock("l", "me", 1000)
    assert not cache.try_lock("l", "you", 1000)
    cache.unlock("l", "you")  # not yours: no effect
    assert not cache.try_lock("l", "you", 1000)
    clock.now += 1.5
    assert cache.try_lock("l", "you", 1000)


def test_single_flight_in_process_loads_once() -> None:
    cache = InMemoryLRUCache(max_items=10)
    calls: list[int] = []
    start = threading.Barrier(8)
    gate = threading.Event()
    results: list[bytes] = []

    def load() -> bytes:
        calls.append(1)
        gate.wait(5)
        return make_png()

    def worker() -> None:
        start.wait(5)
        flight = load_once(
            cache, "k", "l", load, ttl_seconds=60, lock_ms=5000, wait_ms=5000,
            is_valid=is_complete_png,
        )  # fmt: skip
        results.append(flight.value)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    threading.Timer(0.2, gate.set).start()
    for thread in threads:
        thread.join(10)
    assert len(calls) == 1
    assert results == [make_png()] * 8


@pytest.mark.parametrize(
    ("path", "base"),
    [("/", "./"), ("", "./"), ("/api/", "./"), ("/api", "./api/"), ("/a/b", "./b/")],
)
def test_relative_base(path: str, base: str) -> None:
    assert relative_base(path) == base


def test_display_size_is_a_whole_multiple() -> None:
    assert display_px(80) == 320
    assert display_px(12) == 312
    assert display_px(500) == 500

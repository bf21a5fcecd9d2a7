"""Cache keys, the in-process LRU (with its claim/store/fail primitives) and single-flight."""

from __future__ import annotations

import hashlib
import threading

import pytest

from chalicelib.cache import InMemoryLRUCache, Keys, monster_key
from chalicelib.errors import DnmonsterTimeout, DnmonsterUnavailable
from chalicelib.single_flight import load_once
from tests.support.upstream import make_png


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


KEYS = Keys.for_monster("1", 80, "abc")


def test_keys_are_namespaced_and_versioned() -> None:
    digest = hashlib.sha256(b"abc").hexdigest()
    assert monster_key("1", 80, "abc") == f"identidock:v1:monster:80:{digest}"  # as in v1
    assert (
        Keys(
            f"identidock:v1:monster:80:{digest}",
            f"identidock:v1:lock:80:{digest}",
            f"identidock:v1:failed:80:{digest}",
        )
        == KEYS
    )
    assert monster_key("2", 80, "abc") != KEYS.value


def test_memory_cache_is_lru_bounded_with_ttl() -> None:
    clock = Clock()
    cache = InMemoryLRUCache(max_items=2, clock=clock)
    a, b, c = (Keys.for_monster("1", 80, n) for n in "abc")
    cache.store(a, "t", b"1", 60)
    cache.store(b, "t", b"2", 60)
    assert cache.get(a.value) == b"1"  # a is now the most recent
    cache.store(c, "t", b"3", 60)
    assert cache.get(b.value) is None
    assert cache.get(a.value) == b"1"
    assert len(cache) == 2
    clock.now += 61
    assert cache.get(a.value) is None


def test_claim_gives_the_lock_once_and_it_expires() -> None:
    clock = Clock()
    cache = InMemoryLRUCache(max_items=2, clock=clock)
    assert cache.claim(KEYS, "me", 1000).leader
    assert cache.claim(KEYS, "you", 1000) == (None, None, False)  # wait
    clock.now += 1.5
    assert cache.claim(KEYS, "you", 1000).leader  # mine expired
    cache.store(KEYS, "me", b"png", 60)  # stores, but does not release your lock
    assert cache.claim(KEYS, "x", 1000).value == b"png"


def test_a_failure_marker_is_seen_until_it_expires() -> None:
    clock = Clock()
    cache = InMemoryLRUCache(max_items=2, clock=clock)
    assert cache.claim(KEYS, "me", 1000).leader
    cache.fail(KEYS, "me", 504, 2000)
    assert cache.claim(KEYS, "you", 1000).failed_status == 504
    clock.now += 2.1
    assert cache.claim(KEYS, "you", 1000).leader


def _flock(cache: InMemoryLRUCache, load, n: int) -> tuple[list[bytes], list[Exception]]:  # type: ignore[no-untyped-def]
    start = threading.Barrier(n)
    results: list[bytes] = []
    errors: list[Exception] = []

    def worker() -> None:
        start.wait(5)
        try:
            flight = load_once(
                cache, KEYS, load, ttl_seconds=60, lock_ms=5000, is_valid=lambda v: v == make_png()
            )
            results.append(flight.value)
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    return results, errors


def test_single_flight_loads_once() -> None:
    calls: list[int] = []
    gate = threading.Event()

    def load() -> bytes:
        calls.append(1)
        gate.wait(5)
        return make_png()

    threading.Timer(0.2, gate.set).start()
    results, errors = _flock(InMemoryLRUCache(max_items=10), load, 8)
    assert (len(calls), errors, results) == (1, [], [make_png()] * 8)


def test_when_the_leader_fails_followers_answer_its_error_without_loading() -> None:
    calls: list[int] = []

    def load() -> bytes:
        calls.append(1)
        threading.Event().wait(0.2)
        raise DnmonsterUnavailable("down")

    results, errors = _flock(InMemoryLRUCache(max_items=10), load, 8)
    assert len(calls) == 1
    assert results == []
    assert len(errors) == 8
    assert all(isinstance(error, DnmonsterUnavailable) for error in errors)


def test_followers_give_up_at_the_lock_lifetime() -> None:
    cache = InMemoryLRUCache(max_items=10)
    assert cache.claim(KEYS, "a leader that hangs", 60_000).leader
    with pytest.raises(DnmonsterTimeout):
        load_once(cache, KEYS, make_png, ttl_seconds=60, lock_ms=100, is_valid=bool)

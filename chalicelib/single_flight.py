"""Single-flight loading across Lambda instances, coordinated in the cache (Redis).

Many concurrent misses for one key make one load: the first to take the lock (`SET NX PX` with
a random token) loads and stores the value, then releases the lock with a token-checked script.
The others poll the cache for the value (or for the lock to free up, then take it themselves)
for a bounded time, and after that load without the lock rather than fail.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from chalicelib.cache import CacheUnavailable, ImageCache

POLL_SECONDS = 0.02


@dataclass(frozen=True)
class Flight:
    value: bytes
    role: str  # leader (loaded it), follower (read what another stored) or fallback (loaded
    # without the lock after waiting, or because the cache failed)
    cache_failed: bool = False


def load_once(
    cache: ImageCache,
    key: str,
    lock: str,
    load: Callable[[], bytes],
    *,
    ttl_seconds: int,
    lock_ms: int,
    wait_ms: int,
    is_valid: Callable[[bytes], bool],
) -> Flight:
    """The value for key: from the cache, or loaded once across all callers and stored."""
    token = secrets.token_hex(16)
    deadline = time.monotonic() + wait_ms / 1000
    try:
        while True:
            if cache.try_lock(lock, token, lock_ms):
                return _lead(cache, key, lock, token, load, ttl_seconds, is_valid)
            if time.monotonic() >= deadline:
                return Flight(load(), "fallback")
            time.sleep(POLL_SECONDS)
            value = cache.get(key)
            if value is not None and is_valid(value):
                return Flight(value, "follower")
    except CacheUnavailable:
        return Flight(load(), "fallback", cache_failed=True)


def _lead(
    cache: ImageCache,
    key: str,
    lock: str,
    token: str,
    load: Callable[[], bytes],
    ttl_seconds: int,
    is_valid: Callable[[bytes], bool],
) -> Flight:
    cache_failed = False
    try:
        # Another leader may have stored the value between our miss and our lock.
        value = cache.get(key)
        if value is not None and is_valid(value):
            return Flight(value, "follower")
        value = load()
        try:
            cache.set(key, value, ttl_seconds)
        except CacheUnavailable:
            cache_failed = True
        return Flight(value, "leader", cache_failed=cache_failed)
    finally:
        with contextlib.suppress(CacheUnavailable):  # else the lock expires by itself (PX)
            cache.unlock(lock, token)

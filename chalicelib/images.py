"""The monster for a name: from the cache, else from dnmonster once (single-flight), fail-open.

Only a whole PNG from dnmonster is ever stored (the client checks status, content type and
PNG structure), so an error from dnmonster never poisons the cache.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from chalicelib import cache as cache_module
from chalicelib.cache import CacheUnavailable, ImageCache, lock_key, monster_key
from chalicelib.config import Settings
from chalicelib.dnmonster_client import DnmonsterClient, get_client
from chalicelib.logs import current_request
from chalicelib.png import is_complete_png
from chalicelib.single_flight import load_once


@dataclass(frozen=True)
class Monster:
    png: bytes
    cache: str  # hit, miss, bypass (breaker open: cache not tried) or error (cache failed)
    dnmonster_ms: float | None


def default_client(settings: Settings) -> DnmonsterClient:
    return get_client(
        settings.dnmonster_url,
        settings.dnmonster_connect_timeout,
        settings.dnmonster_read_timeout,
    )


def default_cache(settings: Settings) -> ImageCache | None:
    """The module-level cache, or None (with the reason in the request log) when unusable."""
    try:
        return cache_module.get_cache(settings)
    except CacheUnavailable:
        return None


def get_monster(
    name: str,
    settings: Settings,
    cache: ImageCache | None,
    client: DnmonsterClient,
) -> Monster:
    """The PNG for name at the configured size; raises DnmonsterError when it cannot be had.

    The request's log record (if any) gets the cache result and the dnmonster time, also when
    dnmonster fails."""
    record = current_request()
    spent: list[float] = []

    def note(cache_result: str) -> None:
        if record is not None:
            record.cache = cache_result

    def load() -> bytes:
        started = time.perf_counter()
        try:
            return client.fetch(name, settings.size)
        finally:
            ms = (time.perf_counter() - started) * 1000
            spent.append(ms)
            if record is not None:
                record.add_dnmonster_ms(ms)

    def result(png: bytes, cache_result: str) -> Monster:
        note(cache_result)
        return Monster(png, cache_result, round(sum(spent), 2) if spent else None)

    if cache is None:
        note("error")
        return result(load(), "error")
    key = monster_key(settings.art_version, settings.size, name)
    try:
        cached = cache.get(key)
    except CacheUnavailable as error:
        note("bypass" if error.skipped else "error")
        return result(load(), "bypass" if error.skipped else "error")
    if cached is not None and is_complete_png(cached):
        return result(cached, "hit")
    note("miss")
    flight = load_once(
        cache,
        key,
        lock_key(settings.art_version, settings.size, name),
        load,
        ttl_seconds=settings.cache_ttl_seconds,
        lock_ms=settings.single_flight_lock_ms,
        wait_ms=settings.single_flight_wait_ms,
        is_valid=is_complete_png,
    )
    if flight.cache_failed:
        return result(flight.value, "error")
    return result(flight.value, "hit" if flight.role == "follower" else "miss")

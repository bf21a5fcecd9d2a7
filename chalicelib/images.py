"""The monster for a name: from the cache, else from dnmonster once (single-flight), fail-open.

What Redis hands back is checked like what dnmonster sends (`image_check.check_image`, at the
size asked):
a corrupt entry is a miss and gets replaced. A cache that fails is bypassed (fail-open); a
dnmonster whose breaker is open is not called, and the answer is 503 with Retry-After.
"""

import logging
from collections.abc import Callable
from typing import NamedTuple

from chalicelib.breaker import CircuitBreaker
from chalicelib.cache import CacheResult, CacheUnavailable, ImageCache, Keys, get_cache
from chalicelib.config import DnmonsterSettings, Settings, get_settings
from chalicelib.dnmonster_client import DnmonsterClient
from chalicelib.errors import DnmonsterBreakerOpen
from chalicelib.image_check import BadImage, check_image
from chalicelib.logs import log_event
from chalicelib.observe import note_breaker_open, note_cache, timed_dnmonster
from chalicelib.registry import ProcessWide
from chalicelib.single_flight import load_once

#: Added to dnmonster's deadline for the single-flight lock's lifetime (store and unlock).
LOCK_MARGIN_MS = 250


class Monster(NamedTuple):
    body: bytes  # the PNG or the SVG asked for
    cache: CacheResult

    @property
    def png(self) -> bytes:
        return self.body


def _build_client(settings: DnmonsterSettings) -> DnmonsterClient:
    breaker = CircuitBreaker(
        "dnmonster",
        settings.breaker_reset_seconds,
        failures=settings.breaker_failures,
        on_open=note_breaker_open,
    )
    return DnmonsterClient(settings, breaker)


_clients: ProcessWide[DnmonsterSettings, DnmonsterClient] = ProcessWide(
    _build_client, DnmonsterClient.close
)


def get_dnmonster(settings: DnmonsterSettings) -> DnmonsterClient:
    """The process-wide dnmonster client (keep-alive connections, breaker) for these settings."""
    return _clients.get(settings)


def forget_dnmonster() -> None:
    _clients.forget()


def _valid(size: int, fmt: str) -> Callable[[bytes], bool]:
    def valid(image: bytes) -> bool:
        try:
            check_image(image, size, fmt)
        except BadImage as problem:
            log_event("cache_corrupt", level=logging.WARNING, detail=str(problem))
            return False
        return True

    return valid


def get_monster(
    name: str,
    *,
    settings: Settings | None = None,
    cache: ImageCache | None = None,
    client: DnmonsterClient | None = None,
    size: int | None = None,
    fmt: str = "png",
) -> Monster:
    """The image for name at size (default: the configured size) in fmt (`png` or `svg`);
    raises DnmonsterError when it cannot be had. Explicit arguments win; by default the
    process-wide cache and client are used."""
    settings = settings or get_settings()
    side = size or settings.image.size
    client = client or get_dnmonster(settings.dnmonster)
    valid = _valid(side, fmt)

    def draw() -> bytes:
        return timed_dnmonster(lambda: client.fetch(name, side, fmt))

    outcome: CacheResult = "error"
    try:
        try:
            cache = cache or get_cache(settings.cache)
            keys = Keys.for_monster(settings.image.art_version, side, name, fmt)
            cached = cache.get(keys.value)
        except CacheUnavailable as problem:
            outcome = "bypass" if problem.skipped else "error"
            return Monster(draw(), outcome)
        if cached is not None and valid(cached):
            outcome = "hit"
            return Monster(cached, outcome)
        outcome = "miss"
        if client.breaker.state == "open":
            raise DnmonsterBreakerOpen(retry_after=client.breaker.retry_after())
        lock_ms = int(settings.dnmonster.timeout * 1000) + LOCK_MARGIN_MS
        try:
            flight = load_once(
                cache,
                keys,
                draw,
                ttl_seconds=settings.cache.ttl_seconds,
                lock_ms=lock_ms,
                is_valid=valid,
            )
        except CacheUnavailable as problem:  # cannot coordinate: load on our own
            outcome = "miss" if problem.refused else "error"
            return Monster(draw(), outcome)
        if flight.role == "follower":
            outcome = "hit"
        elif not flight.stored and not flight.store_refused:
            outcome = "error"
        return Monster(flight.value, outcome)
    finally:
        note_cache(outcome)

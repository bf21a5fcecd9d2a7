"""Single-flight loading across Lambda instances, coordinated in the cache (Redis).

Concurrent misses for one key make one load: a `claim` (one round trip) returns the value, a
failure marker, or the lock. The lock holder loads, then stores and unlocks in one round trip;
if the load fails it leaves a short-lived failure marker, so waiting followers answer the same
error at once instead of each calling a failing dnmonster again. Followers re-claim with a
growing pause and never wait longer than the lock's lifetime (the leader's own deadline): if
the leader vanished, the lock expires and one follower takes it over.
"""

import contextlib
import secrets
import time
from collections.abc import Callable
from typing import Literal, NamedTuple

from chalicelib import deadlines
from chalicelib.cache.interface import CacheUnavailable, ImageCache
from chalicelib.cache.keys import Keys
from chalicelib.errors import (
    DnmonsterBadAnswer,
    DnmonsterError,
    DnmonsterTimeout,
    DnmonsterUnavailable,
)

#: How long followers (in every instance) answer a leader's failure without calling dnmonster.
FAILURE_MARKER_MS = 2000
FIRST_PAUSE_SECONDS = 0.005
LONGEST_PAUSE_SECONDS = 0.1


class Flight(NamedTuple):
    value: bytes
    role: Literal["leader", "follower"]
    stored: bool = True  # False: the leader could not store the value
    store_refused: bool = False  # the store was refused by a Redis that is up (e.g. full)


def follower_error(status: int) -> DnmonsterError:
    """The error a follower answers when the leader left a failure marker."""
    detail = "another request for this monster just failed"
    if status == 504:
        return DnmonsterTimeout(detail)
    if status == 503:
        return DnmonsterUnavailable(detail)
    return DnmonsterBadAnswer(detail, counts_as_failure=False)


def load_once(
    cache: ImageCache,
    keys: Keys,
    load: Callable[[], bytes],
    *,
    ttl_seconds: int,
    lock_ms: int,
    is_valid: Callable[[bytes], bool],
) -> Flight:
    """The value, loaded once across all callers; CacheUnavailable when the cache cannot
    coordinate (the caller then loads on its own)."""
    token = secrets.token_hex(16)
    give_up = deadlines.within(lock_ms / 1000)
    pause = FIRST_PAUSE_SECONDS
    while True:
        claim = cache.claim(keys, token, lock_ms)
        if claim.value is not None:
            if is_valid(claim.value):
                return Flight(claim.value, "follower")
            return _lead(cache, keys, token, load, ttl_seconds)  # a corrupt value: replace it
        if claim.failed_status is not None:
            raise follower_error(claim.failed_status)
        if claim.leader:
            return _lead(cache, keys, token, load, ttl_seconds)
        if time.monotonic() + pause >= give_up:
            raise DnmonsterTimeout("waited for another request's monster until the deadline")
        time.sleep(pause)
        pause = min(pause * 1.5, LONGEST_PAUSE_SECONDS)


def _lead(
    cache: ImageCache, keys: Keys, token: str, load: Callable[[], bytes], ttl_seconds: int
) -> Flight:
    try:
        value = load()
    except DnmonsterError as problem:
        with contextlib.suppress(CacheUnavailable):  # else the lock expires by itself (PX)
            cache.fail(keys, token, problem.status, FAILURE_MARKER_MS)
        raise
    try:
        cache.store(keys, token, value, ttl_seconds)
    except CacheUnavailable as problem:
        return Flight(value, "leader", stored=False, store_refused=problem.refused)
    return Flight(value, "leader")

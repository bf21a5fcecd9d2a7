"""What every cache backend offers, and how it fails."""

from __future__ import annotations

from typing import Literal, NamedTuple, Protocol

from chalicelib.cache.keys import Keys

#: How the cache served one request: hit, miss, bypass (not consulted: a 304, the breaker open,
#: an error before the cache) or error (the cache failed on this request).
CacheResult = Literal["hit", "miss", "bypass", "error"]


class CacheUnavailable(Exception):
    """The cache could not answer. `skipped`: the breaker kept us from trying; `refused`: the
    server answered with an error (e.g. out of memory) and is up, so the breaker stays closed."""

    def __init__(self, reason: str, *, skipped: bool = False, refused: bool = False) -> None:
        super().__init__(reason)
        self.skipped = skipped
        self.refused = refused


class Claim(NamedTuple):
    """One look at a missing key: its value, the leader's failure, the lock won, or none."""

    value: bytes | None = None
    failed_status: int | None = None
    leader: bool = False


class ImageCache(Protocol):
    backend: str

    def get(self, key: str) -> bytes | None: ...

    def claim(self, keys: Keys, token: str, lock_ms: int) -> Claim:
        """The value, else a failure marker's status, else the lock if it is free."""
        ...

    def store(self, keys: Keys, token: str, value: bytes, ttl_seconds: int) -> None:
        """Store the value and release our lock (the lock is released even if the store fails)."""
        ...

    def fail(self, keys: Keys, token: str, status: int, marker_ms: int) -> None:
        """Leave a short-lived failure marker for waiting followers and release our lock."""
        ...

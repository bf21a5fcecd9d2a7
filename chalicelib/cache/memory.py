"""The embedded default when REDIS_URL is unset: per process, bounded by item count."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from chalicelib.cache.interface import Claim
from chalicelib.cache.keys import Keys


class InMemoryLRUCache:
    backend = "memory"

    def __init__(self, max_items: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_items = max_items
        self._clock = clock
        self._items: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._marks: dict[str, tuple[str, float]] = {}  # locks and failure markers
        self._mutex = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: str) -> bytes | None:
        with self._mutex:
            return self._get(key)

    def claim(self, keys: Keys, token: str, lock_ms: int) -> Claim:
        with self._mutex:
            value = self._get(keys.value)
            if value is not None:
                return Claim(value=value)
            failed = self._mark(keys.failed)
            if failed is not None:
                return Claim(failed_status=int(failed))
            if self._mark(keys.lock) is not None:
                return Claim()
            self._marks[keys.lock] = (token, self._clock() + lock_ms / 1000)
            return Claim(leader=True)

    def store(self, keys: Keys, token: str, value: bytes, ttl_seconds: int) -> None:
        with self._mutex:
            self._items[keys.value] = (value, self._clock() + ttl_seconds)
            self._items.move_to_end(keys.value)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)
            self._release(keys.lock, token)

    def fail(self, keys: Keys, token: str, status: int, marker_ms: int) -> None:
        with self._mutex:
            self._marks[keys.failed] = (str(status), self._clock() + marker_ms / 1000)
            self._release(keys.lock, token)

    def _get(self, key: str) -> bytes | None:
        item = self._items.get(key)
        if item is None:
            return None
        if item[1] <= self._clock():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return item[0]

    def _mark(self, key: str) -> str | None:
        mark = self._marks.get(key)
        if mark is None or mark[1] <= self._clock():
            self._marks.pop(key, None)
            return None
        return mark[0]

    def _release(self, lock: str, token: str) -> None:
        if self._marks.get(lock, ("", 0.0))[0] == token:
            del self._marks[lock]

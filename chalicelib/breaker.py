"""A minimal circuit breaker: open after `failures` failures in a row, one trial call after a pause.

Hand-written (about 40 lines) rather than pybreaker, because pybreaker holds its lock for the
whole guarded call, which would serialize every call of a threaded `chalice local`. One breaker
guards Redis (opens on the first failure), one guards dnmonster.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Literal

BreakerState = Literal["closed", "open", "half-open"]


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        reset_seconds: float,
        *,
        failures: int = 1,
        on_open: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.name = name
        self.reset_seconds = reset_seconds
        self.failures = failures
        self._on_open = on_open
        self._clock = clock
        self._lock = threading.Lock()
        self._failed = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> BreakerState:
        with self._lock:
            if self._opened_at is None:
                return "closed"
            return "half-open" if self._retry_after() <= 0 else "open"

    def retry_after(self) -> float:
        """Seconds until a trial call may go through (0 when closed)."""
        with self._lock:
            return max(self._retry_after(), 0.0) if self._opened_at is not None else 0.0

    def _retry_after(self) -> float:
        assert self._opened_at is not None
        return self._opened_at + self.reset_seconds - self._clock()

    def allow(self) -> bool:
        """True when a call may go through: closed, or the one trial call of half-open."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._retry_after() <= 0 and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failed = 0
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._failed += 1
            was_open = self._opened_at is not None
            if was_open or self._failed >= self.failures:
                self._opened_at = self._clock()
            self._trial_running = False
            opened = not was_open and self._opened_at is not None
        if opened and self._on_open is not None:
            self._on_open(self.name)

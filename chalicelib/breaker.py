"""A minimal circuit breaker for the cache: open after one failure, one trial call after a pause.

Hand-written (about 30 lines) rather than pybreaker, because pybreaker holds its lock for the
whole guarded call, which would serialize every Redis command of a threaded `chalice local`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CircuitBreaker:
    def __init__(self, reset_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.reset_seconds = reset_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        """closed, open or half-open (a trial call may go through now)."""
        with self._lock:
            if self._opened_at is None:
                return "closed"
            if self._clock() - self._opened_at >= self.reset_seconds:
                return "half-open"
            return "open"

    def allow(self) -> bool:
        """True when a call may go through: closed, or the one trial call of half-open."""
        with self._lock:
            if self._opened_at is None:
                return True
            if self._clock() - self._opened_at >= self.reset_seconds and not self._trial_running:
                self._trial_running = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._opened_at = None
            self._trial_running = False

    def record_failure(self) -> None:
        with self._lock:
            self._opened_at = self._clock()
            self._trial_running = False

"""What a request learns along the way, noted on its log record (and so in its metrics).

The one place that writes the cache result, dnmonster's time and error, and breaker openings
to the current request's record; outside a request (benchmarks, scripts) it only logs.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TypeVar

from chalicelib.cache.interface import CacheResult
from chalicelib.errors import (
    DnmonsterBreakerOpen,
    DnmonsterError,
    DnmonsterTimeout,
    DnmonsterUnavailable,
)
from chalicelib.logs import current_request, log_event

T = TypeVar("T")


def note_cache(result: CacheResult) -> None:
    record = current_request()
    if record is not None:
        record.cache = result


def note_breaker_open(name: str) -> None:
    log_event("breaker_open", level=logging.WARNING, breaker=name)
    record = current_request()
    if record is not None:
        record.breakers_opened.append(name)


def error_kind(problem: DnmonsterError) -> str:
    if isinstance(problem, DnmonsterBreakerOpen):
        return "breaker_open"
    if isinstance(problem, DnmonsterTimeout):
        return "timeout"
    if isinstance(problem, DnmonsterUnavailable):
        return "unavailable"
    return "bad_answer"


def timed_dnmonster(call: Callable[[], T]) -> T:
    """Run a dnmonster call, noting its time and, when it fails, its error."""
    record = current_request()
    started = time.perf_counter()
    called = True
    try:
        return call()
    except DnmonsterError as problem:
        kind = error_kind(problem)
        called = kind != "breaker_open"
        log_event("dnmonster_error", level=logging.WARNING, kind=kind, detail=str(problem))
        if record is not None:
            record.dnmonster_error = kind
        raise
    finally:
        if record is not None and called:
            record.add_dnmonster_ms((time.perf_counter() - started) * 1000)

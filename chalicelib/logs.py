"""JSON-lines logging to stdout: one line per request, plus start-up and error events.

The per-request record lives in a ContextVar so that code deep in a request (the image service)
can fill in the cache result and dnmonster time without passing it around. The request line also
carries CloudWatch Embedded Metric Format metadata (chalicelib/metrics.py), so CloudWatch turns
it into metrics without any API call.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import time
from contextvars import ContextVar
from typing import Any

from chalicelib.metrics import emf_fields

_write = threading.Lock()


def log_event(event: str, level: int = logging.INFO, **fields: Any) -> None:
    """Write one JSON line: {"event": ..., **fields} (and "level" for warnings and errors).

    Straight to whatever sys.stdout is at the time (Lambda sends it to CloudWatch Logs), not
    through `logging`: its records, handlers and formatter cost about 12 µs a line, more than
    half of a cache hit's own work, and the Lambda runtime's root logger drops INFO anyway."""
    record: dict[str, Any] = {"event": event, **fields}
    if level >= logging.WARNING:
        record["level"] = logging.getLevelName(level)
    line = json.dumps(record, default=str) + "\n"
    with _write:
        sys.stdout.write(line)
        sys.stdout.flush()


class RequestRecord:
    """What one request's log line reports. A plain class: a dataclass costs ~0.5 ms of every
    cold start to build."""

    __slots__ = (
        "breakers_opened",
        "cache",
        "dnmonster_error",
        "dnmonster_ms",
        "method",
        "route",
        "started",
    )

    def __init__(self, route: str, method: str) -> None:
        self.route = route
        self.method = method
        self.started = time.perf_counter()
        #: hit, miss, bypass (cache not consulted) or error (cache failed)
        self.cache = "bypass"
        self.dnmonster_ms: float | None = None
        #: Why dnmonster failed on this request: timeout, unavailable, bad_answer or breaker_open.
        self.dnmonster_error: str | None = None
        #: Breakers ("redis", "dnmonster") that opened during this request.
        self.breakers_opened: list[str] = []

    def add_dnmonster_ms(self, ms: float) -> None:
        self.dnmonster_ms = round((self.dnmonster_ms or 0.0) + ms, 2)


_current: ContextVar[RequestRecord | None] = ContextVar("identidock_request", default=None)


def start_request(route: str, method: str) -> RequestRecord:
    record = RequestRecord(route=route, method=method)
    _current.set(record)
    return record


def current_request() -> RequestRecord | None:
    return _current.get()


def finish_request(record: RequestRecord, status: int, request_id: str | None = None) -> None:
    """Write the request's one log line (with its EMF metrics) and forget the record."""
    total_ms = round((time.perf_counter() - record.started) * 1000, 2)
    line: dict[str, Any] = {
        "route": record.route,
        "method": record.method,
        "status": status,
        "cache": record.cache,
        "dnmonster_ms": record.dnmonster_ms,
        "total_ms": total_ms,
        "request_id": request_id,
        "dnmonster_error": record.dnmonster_error,
        "breakers_opened": list(record.breakers_opened),
    }
    line |= emf_fields(
        route=record.route,
        status=status,
        cache=record.cache,
        total_ms=total_ms,
        dnmonster_ms=record.dnmonster_ms,
        dnmonster_error=record.dnmonster_error,
        breakers_opened=record.breakers_opened,
    )
    log_event("request", **line)
    _current.set(None)

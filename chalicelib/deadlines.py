"""The request's wall-clock deadline: every wait in a request ends by it.

The middleware opens a deadline per request from Lambda's remaining time (less a margin, so the
function can still answer 504 itself before Lambda kills the invocation); waits inside the
request (the dnmonster call, single-flight followers) take the earlier of their own limit and
this one. Outside a request (benchmarks, scripts) there is no request deadline.
"""

from __future__ import annotations

import time
from contextvars import ContextVar
from typing import Protocol

#: Time kept back from Lambda's limit to write the 504, the log line and the response.
LAMBDA_MARGIN_SECONDS = 0.3

_deadline: ContextVar[float | None] = ContextVar("identidock_deadline", default=None)


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int | float: ...


def start(context: object | None) -> None:
    """Open this request's deadline from the Lambda context (none without one)."""
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    if remaining is None:
        _deadline.set(None)
        return
    _deadline.set(time.monotonic() + float(remaining()) / 1000 - LAMBDA_MARGIN_SECONDS)


def finish() -> None:
    _deadline.set(None)


def within(seconds: float) -> float:
    """The monotonic time `seconds` from now, or the request's deadline if that comes first."""
    own = time.monotonic() + seconds
    request = _deadline.get()
    return own if request is None else min(own, request)

"""The function's exceptions, one tree: each says what the client is told.

IdentidockError
├── NotReady                 503  configuration or salt missing: refuse to serve
├── BadName                  400  the name or its form cannot be used (message shown)
├── BadParameter             400  `?size=` or `?format=` cannot be used (message shown)
└── DnmonsterError           502  dnmonster could not give us a monster
    ├── DnmonsterBadAnswer   502  an answer that is not a whole PNG (or SVG) of the size asked
    ├── DnmonsterUnavailable 503  not reachable
    ├── DnmonsterBreakerOpen 503  failing lately: not called, Retry-After says when to retry
    └── DnmonsterTimeout     504  no whole answer within the deadline
"""

from __future__ import annotations

import math


class IdentidockError(Exception):
    status = 500
    message = "Something went wrong on our side. Please try again."


class BadImage(ValueError):
    """Bytes from outside are not the image asked for; the message says why (for the log)."""


class NotReady(IdentidockError):
    status = 503
    message = "The service is not configured correctly yet. Please try again later."


class BadName(IdentidockError, ValueError):
    """The message is shown to the person."""

    status = 400

    @property
    def message(self) -> str:  # type: ignore[override]
        return str(self)


class BadParameter(IdentidockError, ValueError):
    """A query parameter of the image route that cannot be used; the message is shown."""

    status = 400

    @property
    def message(self) -> str:  # type: ignore[override]
        return str(self)


class DnmonsterError(IdentidockError):
    status = 502
    message = "The monster service gave a bad answer."
    retry_after: int | None = None


class DnmonsterBadAnswer(DnmonsterError):
    def __init__(self, detail: str, *, counts_as_failure: bool = True) -> None:
        super().__init__(detail)
        self.counts_as_failure = counts_as_failure


class DnmonsterUnavailable(DnmonsterError):
    status = 503
    message = "The monster service is not reachable right now. Try again shortly."
    retry_after = 5


class DnmonsterBreakerOpen(DnmonsterUnavailable):
    def __init__(self, retry_after: float) -> None:
        super().__init__("breaker open: dnmonster failed repeatedly")
        self.retry_after = max(1, math.ceil(retry_after))


class DnmonsterTimeout(DnmonsterError):
    status = 504
    message = "The monster service took too long to answer."

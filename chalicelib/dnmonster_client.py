"""The dnmonster client: `GET /monster/<name>?size=N[&format=svg]` → a checked image, within a
deadline.

Every answer is untrusted: only status 200, the content type asked for (`image/png` or
`image/svg+xml`), no content coding, at most `DNMONSTER_MAX_BYTES` (and `image_check.MAX_SVG_BYTES`
for an SVG), and an image that passes `image_check.check_image` (`png.check_png` or `svg_check`),
at the size asked is returned.
The name is percent-encoded as ONE path segment with every character but letters, digits, `-`
and `_` escaped, so `.`, `..`, `a/..` or `x?size=30000#` reach dnmonster as exactly that name.
Nothing is retried (a retry multiplies the load on a failing upstream), except a request on a
pooled keep-alive connection that the server had closed before any answer byte arrived.
A circuit breaker answers 503 at once while dnmonster keeps failing.
"""

from __future__ import annotations

import http.client
from urllib.parse import quote, urlsplit

from chalicelib import deadlines
from chalicelib.breaker import CircuitBreaker
from chalicelib.config import DnmonsterSettings
from chalicelib.errors import (
    DnmonsterBadAnswer,
    DnmonsterBreakerOpen,
    DnmonsterError,
    DnmonsterTimeout,
    DnmonsterUnavailable,
)
from chalicelib.http_pool import ConnectionPool, DeadlineExceeded, PooledConnection
from chalicelib.image_check import BadImage, check_image, largest

_SAFE = "-_"  # quote() keeps letters and digits; `.` and `~` are escaped too
_HEADERS = {
    "png": {"Accept": "image/png", "User-Agent": "identidock-fn"},
    "svg": {"Accept": "image/svg+xml", "User-Agent": "identidock-fn"},
}
_CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
_RESET = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


def monster_path(name: str, size: int, fmt: str = "png") -> str:
    """The request target for name at size: one path segment, nothing for a client to normalize."""
    target = f"/monster/{quote(name, safe=_SAFE).replace('.', '%2E')}?size={size}"
    return target if fmt == "png" else f"{target}&format={fmt}"


class DnmonsterClient:
    def __init__(self, settings: DnmonsterSettings, breaker: CircuitBreaker) -> None:
        self.settings = settings
        self.breaker = breaker
        parts = urlsplit(settings.url)
        self._prefix = parts.path.rstrip("/")
        self._pool = ConnectionPool(parts.scheme, parts.hostname or "", parts.port)

    def close(self) -> None:
        self._pool.close()

    def fetch(self, name: str, size: int, fmt: str = "png") -> bytes:
        """The checked image for name at size in fmt (`png` or `svg`); raises a DnmonsterError
        subclass on any failure."""
        if not self.breaker.allow():
            raise DnmonsterBreakerOpen(retry_after=self.breaker.retry_after())
        deadline = deadlines.within(self.settings.timeout)
        try:
            image = self._fetch(self._prefix + monster_path(name, size, fmt), size, fmt, deadline)
        except (DnmonsterUnavailable, DnmonsterTimeout):
            self.breaker.record_failure()
            raise
        except DnmonsterBadAnswer as problem:
            if problem.counts_as_failure:
                self.breaker.record_failure()
            else:
                self.breaker.record_success()
            raise
        self.breaker.record_success()
        return image

    def _connect(self, deadline: float) -> tuple[PooledConnection, bool]:
        try:
            return self._pool.take(deadline, self.settings.connect_timeout)
        except DeadlineExceeded as error:
            raise DnmonsterTimeout(str(error)) from error
        except OSError as error:  # refused, unreachable, or no connection within its timeout
            raise DnmonsterUnavailable(f"cannot connect: {error}") from error

    def _fetch(self, target: str, size: int, fmt: str, deadline: float) -> bytes:
        conn, reused = self._connect(deadline)
        try:
            try:
                answer = self._ask(conn, target, fmt)
            except _RESET:
                if not reused:
                    raise
                conn.close()  # the server closed an idle connection: one fresh try, same deadline
                conn, _ = self._connect(deadline)
                answer = self._ask(conn, target, fmt)
            body = self._read(answer, size, fmt)
        except DnmonsterError:
            conn.close()
            raise
        except _RESET as error:  # closed without a word: nobody there to answer
            conn.close()
            raise DnmonsterUnavailable(f"connection closed without an answer: {error}") from error
        except (TimeoutError, DeadlineExceeded) as error:
            conn.close()
            raise DnmonsterTimeout(f"no whole answer within the deadline: {error}") from error
        except (OSError, http.client.HTTPException) as error:
            conn.close()
            raise DnmonsterBadAnswer(f"broken answer: {type(error).__name__}: {error}") from error
        if answer.will_close:
            conn.close()
        else:
            self._pool.give_back(conn)
        return body

    @staticmethod
    def _ask(conn: http.client.HTTPConnection, target: str, fmt: str) -> http.client.HTTPResponse:
        conn.request("GET", target, headers=_HEADERS[fmt])
        return conn.getresponse()

    def _read(self, answer: http.client.HTTPResponse, size: int, fmt: str) -> bytes:
        if answer.status != 200:
            failing = answer.status >= 500  # a 4xx is about our request, not dnmonster's health
            raise DnmonsterBadAnswer(f"status {answer.status}", counts_as_failure=failing)
        content_type = (answer.getheader("Content-Type") or "").split(";")[0].strip().lower()
        if content_type != _CONTENT_TYPES[fmt]:
            raise DnmonsterBadAnswer(f"content type {content_type!r}")
        coding = (answer.getheader("Content-Encoding") or "identity").strip().lower()
        if coding != "identity":
            raise DnmonsterBadAnswer(f"content coding {coding!r}")
        cap = largest(fmt, self.settings.max_bytes)
        if answer.length is not None and answer.length > cap:
            raise DnmonsterBadAnswer(f"{answer.length} bytes announced, the limit is {cap}")
        body = answer.read(cap + 1)
        if len(body) > cap or not answer.isclosed():
            raise DnmonsterBadAnswer(f"more than {cap} bytes")
        try:
            check_image(body, size, fmt)
        except BadImage as problem:
            raise DnmonsterBadAnswer(f"not an acceptable {fmt.upper()}: {problem}") from None
        return body

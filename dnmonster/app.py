"""The HTTP application (ASGI): routing, validation, conditional requests and response headers.

ASGI carries the raw path: the name must be decoded from it exactly once, strictly, and %2F must
stay part of the name rather than split the path. Answers that never change (/health, 404, 405)
are built once; an image's headers are byte strings put together without re-encoding constants.
"""

import logging
import os
from collections.abc import Awaitable, Callable
from typing import Any

from dnmonster.config import DEFAULT_MAX_SIZE, ENV
from dnmonster.images import CONTENT_TYPES, Images
from dnmonster.params import BadRequest, parse_image_request
from dnmonster.sprites import DEFAULT_PACK, load_pack

CACHE_FOREVER = "public, max-age=31536000, immutable"
ALLOW = "GET, HEAD"
_MONSTER_PREFIX = b"/monster/"
_PREFIX_LEN = len(_MONSTER_PREFIX)
_GET_OR_HEAD = ("GET", "HEAD")
_IF_NONE_MATCH = b"if-none-match"
_CACHE_FOREVER = (b"cache-control", CACHE_FOREVER.encode())
_NOSNIFF = (b"x-content-type-options", b"nosniff")
_CONTENT_TYPES = {fmt: (b"content-type", value.encode()) for fmt, value in CONTENT_TYPES.items()}
_log = logging.getLogger("dnmonster")

Headers = list[tuple[bytes, bytes]]
Response = tuple[int, Headers, bytes]


def _text(status: int, message: str, extra: Headers | None = None) -> Response:
    body = (message + "\n").encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        _NOSNIFF,
        *(extra or []),
    ]
    return status, headers, body


# The server copies the headers it is given (ASGI), so these are shared by every request.
_HEALTHY = _text(200, "ok")
_NOT_FOUND = _text(404, "not found")
_NOT_ALLOWED = _text(405, "method not allowed", [(b"allow", ALLOW.encode())])


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """RFC 9110 If-None-Match: `*`, or any listed tag equal under weak comparison."""
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == etag:
            return True
    return False


class DnmonsterApp:
    def __init__(self, images: Images, max_size: int) -> None:
        self.images = images
        self.max_size = max_size

    def respond(self, method: str, raw_path: bytes, query: bytes, if_none_match: str) -> Response:
        """The full response for one request; never raises for any input."""
        if raw_path == b"/health":
            return _HEALTHY if method in _GET_OR_HEAD else _NOT_ALLOWED
        if not raw_path.startswith(_MONSTER_PREFIX):
            return _NOT_FOUND
        segment = raw_path[_PREFIX_LEN:]
        if segment.endswith(b"/") and len(segment) > 1:
            segment = segment[:-1]  # Express routing allowed one trailing slash
        if b"/" in segment:
            return _NOT_FOUND
        if method not in _GET_OR_HEAD:
            return _NOT_ALLOWED
        try:
            req = parse_image_request(segment, query, self.max_size)
        except BadRequest as exc:
            return _text(exc.status, exc.message)
        etag = self.images.etag(req.name, req.side, req.fmt)
        if if_none_match and _etag_matches(if_none_match, etag):
            return 304, [(b"etag", etag.encode()), _CACHE_FOREVER], b""
        body = self.images.body(req.name, req.side, req.fmt)
        headers = [
            _CONTENT_TYPES[req.fmt],
            (b"content-length", b"%d" % len(body)),
            (b"etag", etag.encode()),
            _CACHE_FOREVER,
            _NOSNIFF,
        ]
        return 200, headers, body

    async def __call__(
        self,
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        if scope["type"] != "http":
            return
        method = scope["method"]
        inm = [value for name, value in scope["headers"] if name == _IF_NONE_MATCH]
        try:
            status, headers, body = self.respond(
                method,
                scope.get("raw_path") or scope["path"].encode(),
                scope.get("query_string", b""),
                b",".join(inm).decode("latin-1") if inm else "",
            )
        except Exception:  # a bug must still answer briefly, never with a stack trace
            _log.exception("request failed: %s %r", method, scope.get("raw_path"))
            status, headers, body = _text(500, "internal error")
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


def create_app() -> DnmonsterApp:
    """The app for one worker, configured from the DNMONSTER_* variables the server sets."""
    sprites = os.environ.get(ENV["sprites"]) or DEFAULT_PACK
    max_size = int(os.environ.get(ENV["max_size"]) or DEFAULT_MAX_SIZE)
    return DnmonsterApp(Images(load_pack(sprites)), max_size)

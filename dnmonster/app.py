"""The HTTP application (ASGI): routing, validation, conditional requests and response headers.

ASGI rather than granian's RSGI because ASGI carries the raw path: the name must be decoded
from it exactly once, strictly, and %2F must stay part of the name rather than split the path.
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
_log = logging.getLogger("dnmonster")

Headers = list[tuple[bytes, bytes]]
Response = tuple[int, Headers, bytes]


def _text(status: int, message: str, extra: Headers | None = None) -> Response:
    body = (message + "\n").encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        (b"x-content-type-options", b"nosniff"),
        *(extra or []),
    ]
    return status, headers, body


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
            if method not in ("GET", "HEAD"):
                return _text(405, "method not allowed", [(b"allow", ALLOW.encode())])
            return _text(200, "ok")
        if not raw_path.startswith(_MONSTER_PREFIX):
            return _text(404, "not found")
        segment = raw_path[len(_MONSTER_PREFIX) :]
        if segment.endswith(b"/") and len(segment) > 1:
            segment = segment[:-1]  # Express routing allowed one trailing slash
        if b"/" in segment:
            return _text(404, "not found")
        if method not in ("GET", "HEAD"):
            return _text(405, "method not allowed", [(b"allow", ALLOW.encode())])
        try:
            req = parse_image_request(segment, query, self.max_size)
        except BadRequest as exc:
            return _text(exc.status, exc.message)
        etag = self.images.etag(req.name, req.side, req.fmt)
        validators = [(b"etag", etag.encode()), (b"cache-control", CACHE_FOREVER.encode())]
        if if_none_match and _etag_matches(if_none_match, etag):
            return 304, validators, b""
        body = self.images.body(req.name, req.side, req.fmt)
        headers = [
            (b"content-type", CONTENT_TYPES[req.fmt].encode()),
            (b"content-length", str(len(body)).encode()),
            *validators,
            (b"x-content-type-options", b"nosniff"),
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
        inm = b",".join(v for k, v in scope["headers"] if k == b"if-none-match")
        try:
            status, headers, body = self.respond(
                method,
                scope.get("raw_path") or scope["path"].encode(),
                scope.get("query_string", b""),
                inm.decode("latin-1"),
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

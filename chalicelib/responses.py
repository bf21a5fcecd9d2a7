"""Responses: image headers and ETags, 304s, the page, and short text errors.

Binary through API Gateway (README "The function"): the API's binary media types include
`*/*`, so Chalice would base64-encode every body. Text bodies (the page, errors) are sent as
plain text instead (`TextResponse`), which every gateway passes through unchanged whatever the
request's Accept header; only the PNG is base64-encoded, for the gateway to decode.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any

from chalice.app import Response

IMAGE_CACHE_CONTROL = "public, max-age=31536000, immutable"
#: Sent on every response, errors included (the page sets its own, stricter-for-pages CSP):
#: nothing we send may be framed, sniffed into another type, or leak the URL as a referrer.
PROTECTIVE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'; sandbox",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


class TextResponse(Response):
    """A response whose str body is never base64-encoded, whatever the binary types."""

    def to_dict(self, binary_types: list[str] | None = None) -> dict[str, Any]:
        return super().to_dict(None)


def monster_etag(art_version: str, size: int, name: str) -> str:
    """A strong ETag computable from the request alone, so a 304 needs neither Redis nor
    dnmonster. It assumes dnmonster draws the same picture for the same (name, size); a new
    art style must come with a new ART_VERSION (which also changes the cache keys)."""
    material = f"{art_version}\n{size}\n".encode() + name.encode("utf-8", "surrogatepass")
    return '"' + hashlib.sha256(material).hexdigest()[:40] + '"'


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 If-None-Match: `*`, or any listed tag equal under weak comparison."""
    if not if_none_match:
        return False
    if if_none_match.strip() == "*":
        return True
    tags = (tag.strip() for tag in if_none_match.split(","))
    return any(tag.removeprefix("W/") == etag for tag in tags)


Headers = dict[str, str | list[str]]


def png_response(png: bytes, etag: str) -> Response:
    headers: Headers = {
        "Content-Type": "image/png",
        "ETag": etag,
        "Cache-Control": IMAGE_CACHE_CONTROL,
    }
    # `chalice local` (the chalice CLI sets AWS_CHALICE_CLI_MODE) always writes its own
    # Content-Length; a second one makes strict HTTP parsers reject the response.
    if os.environ.get("AWS_CHALICE_CLI_MODE") != "true":
        headers["Content-Length"] = str(len(png))
    return Response(body=png, status_code=200, headers=headers)


def not_modified(etag: str) -> TextResponse:
    return TextResponse(
        body="",
        status_code=304,
        headers={"Content-Type": "image/png", "ETag": etag, "Cache-Control": IMAGE_CACHE_CONTROL},
    )


def html_response(html: str, status: int, csp: str) -> TextResponse:
    return TextResponse(
        body=html,
        status_code=status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Content-Security-Policy": csp,
            "Cache-Control": "no-store",
        },
    )


def text_error(status: int, message: str, headers: Headers | None = None) -> TextResponse:
    """A short plain-text error; never a stack trace."""
    return TextResponse(
        body=message.rstrip("\n") + "\n",
        status_code=status,
        headers={
            "Content-Type": "text/plain; charset=utf-8",
            "Cache-Control": "no-store",
            **(headers or {}),
        },
    )


def protect(response: Response) -> Response:
    """Add the protective headers the response does not set itself."""
    for name, value in PROTECTIVE_HEADERS.items():
        response.headers.setdefault(name, value)
    return response

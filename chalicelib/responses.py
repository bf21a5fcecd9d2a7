"""Responses: image headers and ETags, 304s, the page, and short text errors.

Binary through API Gateway (docs/function.md, "HTTP"): the API's binary media types include
`*/*`, so Chalice would base64-encode every body. Text bodies (the page, errors) are sent as
plain text instead (`TextResponse`), which every gateway passes through unchanged whatever the
request's Accept header; only the PNG is base64-encoded, for the gateway to decode. The SVG is
text too (ASCII, checked by `svg_check`), so it goes as a TextResponse: it does not depend on the
gateway matching Accept, and a CDN that rewrites Accept gets the same bytes.

An SVG opened on its own is a document that could run script; ours cannot hold any
(`svg_check`), and the image responses' CSP (IMAGE_CSP: `default-src 'none'; ... sandbox`)
with `nosniff` would stop it anyway: no script, no external load, a unique origin. No
Content-Disposition: an avatar URL must still open in a tab.
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
#: Images (PNG, SVG, their 304s): as strict, except that the browser's own viewer may style
#: itself when an image URL is opened in a tab (Chromium's viewer uses inline styles, which
#: `default-src 'none'` turns into console errors). Inline style cannot fetch anything
#: (`default-src 'none'`) and no script runs (`sandbox`, and no script in our images).
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"


class TextResponse(Response):
    """A response whose str body is never base64-encoded, whatever the binary types."""

    def to_dict(self, binary_types: list[str] | None = None) -> dict[str, Any]:
        return super().to_dict(None)


def monster_etag(art_version: str, size: int, name: str, fmt: str = "png") -> str:
    """A strong ETag computable from the request alone, so a 304 needs neither Redis nor
    dnmonster. It assumes dnmonster draws the same picture for the same (name, size, format); a
    new art style must come with a new ART_VERSION (which also changes the cache keys). The
    PNG's ETag is what it was before formats existed (names hold no newline, so the SVG's
    `svg\n` prefix cannot collide with a PNG's material)."""
    material = f"{art_version}\n{size}\n".encode() + name.encode("utf-8", "surrogatepass")
    if fmt != "png":
        material = f"{fmt}\n".encode() + material
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


def _image_headers(content_type: str, etag: str, cache_control: str, length: int) -> Headers:
    headers: Headers = {
        "Content-Type": content_type,
        "ETag": etag,
        "Cache-Control": cache_control,
        "Content-Security-Policy": IMAGE_CSP,
    }
    # `chalice local` (the chalice CLI sets AWS_CHALICE_CLI_MODE) always writes its own
    # Content-Length; a second one makes strict HTTP parsers reject the response.
    if os.environ.get("AWS_CHALICE_CLI_MODE") != "true":
        headers["Content-Length"] = str(length)
    return headers


def png_response(png: bytes, etag: str, cache_control: str = IMAGE_CACHE_CONTROL) -> Response:
    headers = _image_headers("image/png", etag, cache_control, len(png))
    return Response(body=png, status_code=200, headers=headers)


def svg_response(svg: bytes, etag: str, cache_control: str = IMAGE_CACHE_CONTROL) -> Response:
    """The checked (ASCII) SVG as text: never base64, so every gateway passes it unchanged."""
    headers = _image_headers("image/svg+xml", etag, cache_control, len(svg))
    return TextResponse(body=svg.decode("ascii"), status_code=200, headers=headers)


def image_response(
    body: bytes, etag: str, fmt: str, cache_control: str = IMAGE_CACHE_CONTROL
) -> Response:
    if fmt == "svg":
        return svg_response(body, etag, cache_control)
    return png_response(body, etag, cache_control)


def not_modified(
    etag: str, content_type: str = "image/png", cache_control: str = IMAGE_CACHE_CONTROL
) -> TextResponse:
    return TextResponse(
        body="",
        status_code=304,
        headers={
            "Content-Type": content_type,
            "ETag": etag,
            "Cache-Control": cache_control,
            "Content-Security-Policy": IMAGE_CSP,
        },
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

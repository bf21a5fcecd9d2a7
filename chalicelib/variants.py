"""Which picture `GET /monster/{name}` asks for: `?size=N` and `?format=png|svg`.

Only these two parameters count; any other is ignored (a cache-buster keeps working) and makes
no new cache entry. Each may be sent once (else 400); an empty value means absent, as in
dnmonster. A size is a whole number of pixels from MIN_SIZE to AVATAR_MAX_SIZE and is drawn
exactly as asked: dnmonster's dots are `size // 12` whole pixels, centred, so every size is crisp
and one that is not a multiple of 12 gets a transparent margin of a few pixels. So one name has
at most `2 * (AVATAR_MAX_SIZE - MIN_SIZE + 1)` variants (`variant_count`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal, NamedTuple, Protocol

from chalicelib.config import MIN_SIZE, ImageSettings
from chalicelib.errors import BadParameter

Format = Literal["png", "svg"]
FORMATS: tuple[Format, ...] = ("png", "svg")
CONTENT_TYPES: dict[Format, str] = {"png": "image/png", "svg": "image/svg+xml"}
_MAX_DIGITS = 5  # enough for any size; longer digit strings are refused before int()


class Variant(NamedTuple):
    size: int
    fmt: Format


class QueryParams(Protocol):
    """What is read of Chalice's `request.query_params` (a MultiDict)."""

    def __contains__(self, key: object, /) -> bool: ...

    def __len__(self) -> int: ...

    def getlist(self, key: Any, /) -> list[Any]: ...


def default_variant(image: ImageSettings) -> Variant:
    return Variant(image.size, "png")


def variant_count(image: ImageSettings) -> int:
    """How many different pictures (and cache entries) one name can have."""
    return len(FORMATS) * (image.max_size - MIN_SIZE + 1)


def _one(params: QueryParams, key: str) -> str:
    if key not in params:
        return ""
    values: Sequence[str] = params.getlist(key)
    if len(values) > 1:
        raise BadParameter(f"Send {key} only once.")
    return values[0] if values else ""


def _size(raw: str, image: ImageSettings) -> int:
    if raw == "":
        return image.size
    if not (raw.isascii() and raw.isdigit() and len(raw) <= _MAX_DIGITS):
        raise BadParameter(f"size must be a whole number from {MIN_SIZE} to {image.max_size}.")
    size = int(raw)
    if not MIN_SIZE <= size <= image.max_size:
        raise BadParameter(f"size must be a whole number from {MIN_SIZE} to {image.max_size}.")
    return size


def _format(raw: str) -> Format:
    if raw == "" or raw == "png":
        return "png"
    if raw == "svg":
        return "svg"
    raise BadParameter("format must be png or svg.")


def parse_variant(params: QueryParams | None, image: ImageSettings) -> Variant:
    """The variant a query asks for; BadParameter (400) with a one-line message otherwise.
    No query (the book's URL, and the hit path's common case) costs one test."""
    if not params:
        return default_variant(image)
    return Variant(_size(_one(params, "size"), image), _format(_one(params, "format")))

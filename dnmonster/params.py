"""Turning a request's raw path and query into what to draw, or a short 4xx reason.

Rules (the README's dnmonster section documents them):
- The name is the single path segment after /monster/, percent-decoded as UTF-8 (strictly: a
  malformed escape or invalid UTF-8 is a 400); `/monster/` is the empty name; one trailing slash
  after a non-empty segment is allowed, as Express allowed it. Names over MAX_NAME_BYTES UTF-8
  bytes get a 414.
- `size`, `width`, `height`: whole decimal numbers 0..max_size; empty means absent; no size means
  20. width/height default to size; the side is max(width, height, 12).
- `format`: `png` (default) or `svg`.
- Each of those four at most once; unknown parameters are ignored (cache-busters keep working).
"""

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote_to_bytes

from dnmonster.render import MIN_SIDE

MAX_NAME_BYTES = 1024
DEFAULT_SIZE = 20
FORMATS = ("png", "svg")
_KNOWN = ("size", "width", "height", "format")
_MAX_FIELDS = 64
_MAX_DIGITS = 9
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_DIGITS = re.compile(r"[0-9]+")
_SIZE_ONLY = re.compile(rb"size=([0-9]{1,%d})" % _MAX_DIGITS)
_DEFAULT_SIDE = max(DEFAULT_SIZE, MIN_SIDE)


class BadRequest(Exception):
    """A request that cannot be served: an HTTP status and a short plain-text reason."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True, slots=True)
class ImageRequest:
    name: str
    side: int
    fmt: str


def decode_name(segment: bytes) -> str:
    """Percent-decode one raw path segment into the monster's name."""
    if _BAD_ESCAPE.search(segment):
        raise BadRequest(400, "malformed percent-encoding in name")
    raw = unquote_to_bytes(segment)
    if len(raw) > MAX_NAME_BYTES:
        raise BadRequest(414, f"name too long: at most {MAX_NAME_BYTES} bytes of UTF-8")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest(400, "name is not valid UTF-8") from None


def _number(field: str, value: str, max_size: int) -> int | None:
    if value == "":
        return None
    if not _DIGITS.fullmatch(value) or len(value.lstrip("0")) > _MAX_DIGITS:
        raise BadRequest(400, f"{field} must be a whole number from 0 to {max_size}")
    number = int(value)
    if number > max_size:
        raise BadRequest(400, f"{field} must be at most {max_size}")
    return number


def parse_query(query: bytes, max_size: int) -> tuple[int, str]:
    """(side, format) from a raw query string.

    The two queries nearly every client sends, none and `size=N`, skip the general parser;
    tests check both paths agree on any query."""
    if not query:
        return _DEFAULT_SIDE, "png"
    size_only = _SIZE_ONLY.fullmatch(query)
    if size_only:
        size = int(size_only[1])
        if size > max_size:
            raise BadRequest(400, f"size must be at most {max_size}")
        return max(size, MIN_SIDE), "png"
    return parse_query_general(query, max_size)


def parse_query_general(query: bytes, max_size: int) -> tuple[int, str]:
    """parse_query for any query string."""
    try:
        pairs = parse_qsl(
            query.decode("utf-8"),
            keep_blank_values=True,
            max_num_fields=_MAX_FIELDS,
            errors="strict",
        )
    except UnicodeDecodeError:
        raise BadRequest(400, "malformed query string") from None
    except ValueError:
        raise BadRequest(400, f"too many query parameters (at most {_MAX_FIELDS})") from None
    given: dict[str, str] = {}
    for key, value in pairs:
        if key in _KNOWN:
            if key in given:
                raise BadRequest(400, f"{key} given more than once")
            given[key] = value
    size = _number("size", given.get("size", ""), max_size)
    size = DEFAULT_SIZE if size is None else size
    width = _number("width", given.get("width", ""), max_size)
    height = _number("height", given.get("height", ""), max_size)
    side = max(size if width is None else width, size if height is None else height, MIN_SIDE)
    fmt = given.get("format", "") or "png"
    if fmt not in FORMATS:
        raise BadRequest(400, "format must be png or svg")
    return side, fmt


def parse_image_request(segment: bytes, query: bytes, max_size: int) -> ImageRequest:
    name = decode_name(segment)
    side, fmt = parse_query(query, max_size)
    return ImageRequest(name, side, fmt)

"""HTTP/1.1 framing for our local server: where a request body ends, which headers may go out.

A request body is delimited by `Content-Length` (digits only, one value, at most `MAX_BODY_BYTES`)
or `Transfer-Encoding: chunked` (decoded, trailers dropped); anything else is a `FramingError`
carrying the status to answer, after which the connection must close: the next request would
otherwise be read from the middle of a body.
"""

from __future__ import annotations

import re
from email.message import Message
from http import HTTPStatus
from typing import Protocol

from chalice.local import HeaderType

MAX_BODY_BYTES = 6 * 1024 * 1024  # Lambda's synchronous payload limit
MAX_CHUNK_LINE = 4096
MAX_TRAILER_LINES = 64
DIGITS = re.compile(rb"[0-9]+")
HEX_DIGITS = re.compile(rb"[0-9A-Fa-f]+")


class BodyReader(Protocol):
    """What reading a body needs of the connection (`local_http.DeadlineReader`)."""

    def readline(self, limit: int = -1) -> bytes: ...

    def read(self, size: int) -> bytes: ...


class FramingError(Exception):
    """The request's body cannot be delimited: answer `status` and close the connection."""

    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _single_header(headers: Message, name: str) -> str | None:
    values = headers.get_all(name)
    if not values:
        return None
    return ",".join(values)


def read_body(rfile: BodyReader, headers: Message) -> bytes | None:
    """The request body as API Gateway would hand it on, or FramingError."""
    transfer = _single_header(headers, "Transfer-Encoding")
    length = _single_header(headers, "Content-Length")
    if transfer is not None:
        if length is not None:
            raise FramingError(HTTPStatus.BAD_REQUEST, "Content-Length with Transfer-Encoding")
        codings = [c.strip().lower() for c in transfer.split(",")]
        if codings != ["chunked"]:
            raise FramingError(HTTPStatus.NOT_IMPLEMENTED, "only chunked transfer coding")
        return _read_chunked(rfile)
    if length is None:
        return None
    values = {value.strip() for value in length.split(",")}
    if len(values) != 1 or not DIGITS.fullmatch(next(iter(values)).encode()):
        raise FramingError(HTTPStatus.BAD_REQUEST, "bad Content-Length")
    size = int(next(iter(values)))
    if size > MAX_BODY_BYTES:
        raise FramingError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large")
    if size == 0:
        return None
    body = rfile.read(size)
    if len(body) != size:
        raise FramingError(HTTPStatus.BAD_REQUEST, "request body shorter than Content-Length")
    return body


def _read_chunked(rfile: BodyReader) -> bytes:
    body = bytearray()
    while True:
        line = rfile.readline(MAX_CHUNK_LINE + 1)
        size_field = line.split(b";", 1)[0].strip()
        if not line.endswith(b"\n") or not HEX_DIGITS.fullmatch(size_field):
            raise FramingError(HTTPStatus.BAD_REQUEST, "bad chunk size line")
        size = int(size_field, 16)
        if size == 0:
            break
        if len(body) + size > MAX_BODY_BYTES:
            raise FramingError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "request body too large")
        chunk = rfile.read(size)
        if len(chunk) != size or rfile.readline(3) not in (b"\r\n", b"\n"):
            raise FramingError(HTTPStatus.BAD_REQUEST, "bad chunk")
        body += chunk
    for _ in range(MAX_TRAILER_LINES):  # trailer fields are read and dropped
        line = rfile.readline(MAX_CHUNK_LINE + 1)
        if line in (b"\r\n", b"\n"):
            return bytes(body)
        if not line.endswith(b"\n"):
            break
    raise FramingError(HTTPStatus.BAD_REQUEST, "bad chunked trailer")


def declared_length(headers: HeaderType) -> str | None:
    """The app's own Content-Length, when it is one plain number."""
    values = [v for k, v in headers.items() if k.lower() == "content-length"]
    if len(values) == 1 and isinstance(values[0], str) and DIGITS.fullmatch(values[0].encode()):
        return values[0]
    return None


def checked_headers(headers: HeaderType) -> list[tuple[str, str]]:
    """The app's headers as (name, value) pairs; ValueError if one cannot go on the wire."""
    pairs: list[tuple[str, str]] = []
    for name, value in headers.items():
        for item in value if isinstance(value, list) else [value]:
            text = str(item)
            if not re.fullmatch(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+", name):
                raise ValueError(f"bad header name {name!r}")
            if re.search(r"[\x00-\x08\x0a-\x1f\x7f]", text):
                raise ValueError(f"control character in header {name}")
            text.encode("latin-1")  # UnicodeEncodeError is a ValueError
            pairs.append((name, text))
    return pairs

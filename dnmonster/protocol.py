"""The HTTP protocol the workers run: uvicorn's httptools protocol, one write per response and
a bound on the size of a request's head.

One write. An ASGI response arrives as two messages (start, then body) and uvicorn writes each
to the transport at once; uvloop sends every write straight away, so each response cost two
`write` system calls and two TCP segments (strace: 2.0 writes per request), and the client often
woke twice. Here a write is held until the next one and both go out in one `writelines` (one
`writev`). Nothing else about the transport changes.

A bounded head. httptools buffers a header until it is complete and uvicorn sets no limit, so one
endless header would grow a worker's memory without end. A request whose head (request line and
headers) passes MAX_HEAD_BYTES gets a 431 and the connection is closed.
"""

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class CoalescingTransport(asyncio.Transport):
    """A transport that holds a write until the next one, then sends both in one `writev`.

    A held write that no other follows (a HEAD or 304 answer: headers only) goes out when the
    current loop callback ends, or before the transport closes."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: bytes | bytearray | memoryview | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is None:
            self._held = data
            self._loop.call_soon(self.flush)
        else:
            self._held = None
            self._transport.writelines((held, data))

    def writelines(self, list_of_data: Any) -> None:
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Send the held write, if any."""
        held, self._held = self._held, None
        if held is not None:
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def get_write_buffer_size(self) -> int:
        held = 0 if self._held is None else len(self._held)
        return self._transport.get_write_buffer_size() + held

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)


MAX_HEAD_BYTES = 64 * 1024
_TOO_LARGE_BODY = b"request head too large\n"
TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\n"
    b"content-length: %d\r\n"
    b"connection: close\r\n\r\n%s" % (len(_TOO_LARGE_BODY), _TOO_LARGE_BODY)
)


class HeadTooLarge(Exception):
    """Raised from a parser callback: httptools stops, and uvicorn answers through
    send_400_response, which sends our 431 instead."""


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a CoalescingTransport, with a bounded request head."""

    _in_head = False
    _head_bytes = 0  # of the current request's head: its target and headers, as parsed
    _streamed = 0  # bytes received while a head stayed unfinished, across reads
    _too_large = False

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True
        self._head_bytes = 0

    def on_url(self, url: bytes) -> None:
        self._grow(len(url))
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._grow(len(name) + len(value) + 4)
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        super().on_headers_complete()

    def _grow(self, size: int) -> None:
        self._head_bytes += size
        if self._head_bytes > MAX_HEAD_BYTES:
            self._too_large = True
            raise HeadTooLarge

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if not self._in_head:  # no head left unfinished: count afresh from the next one
            self._streamed = 0
            return
        # httptools holds an unfinished header in memory until it ends: bound that too. (The
        # count may include the end of a request before this head: one read too many at most.)
        self._streamed += len(data)
        if self._streamed > MAX_HEAD_BYTES and not self.transport.is_closing():
            self._too_large = True
            self.send_400_response("")

    def send_400_response(self, msg: str) -> None:
        if not self._too_large:
            super().send_400_response(msg)
            return
        self._in_head = False
        self.transport.write(TOO_LARGE)
        self.transport.close()

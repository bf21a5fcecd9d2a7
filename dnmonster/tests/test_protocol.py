"""The workers' HTTP protocol: the coalescing transport on real uvloop sockets, and raw HTTP
through a real server (pipelining, HEAD, a malformed request, a request head too large)."""

import asyncio
import socket
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import cast

import pytest
import uvloop

from dnmonster.protocol import MAX_HEAD_BYTES, CoalescingTransport

from .conftest import Client

DEADLINE = 10.0


class _Sink(asyncio.Protocol):
    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's own transport class


def _read_all(peer: socket.socket) -> bytes:
    """Everything the peer receives until the other side closes (bounded by the deadline)."""
    peer.settimeout(DEADLINE)
    chunks = []
    while chunk := peer.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def _with_transport(body: Callable[[CoalescingTransport], Awaitable[None]]) -> bytes:
    """Run `body` on a CoalescingTransport over one end of a socket pair; what the other got."""
    ours, peer = socket.socketpair()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        sink = _Sink()
        await loop.connect_accepted_socket(lambda: sink, ours)
        assert sink.transport is not None
        transport = CoalescingTransport(sink.transport, loop)
        await asyncio.wait_for(body(transport), DEADLINE)

    with peer, ThreadPoolExecutor(1) as thread:
        # A thread of its own: in the full suite the main thread may already run an event loop
        # (Playwright's sync API keeps one for the browser tests), and uvloop.run refuses that.
        thread.submit(uvloop.run, main()).result(timeout=DEADLINE + 5)
        return _read_all(peer)


def test_two_writes_go_out_together_and_in_order() -> None:
    async def body(transport: CoalescingTransport) -> None:
        transport.write(b"head|")
        assert transport.get_write_buffer_size() == 5  # held, not yet sent
        transport.write(b"body|")
        transport.write(b"next")
        await asyncio.sleep(0)  # the lone third write goes out when the callback ends
        transport.close()
        await asyncio.sleep(0.05)

    assert _with_transport(body) == b"head|body|next"


def test_a_held_write_is_sent_before_closing() -> None:
    async def body(transport: CoalescingTransport) -> None:
        transport.write(b"only headers")
        transport.close()
        await asyncio.sleep(0.05)

    assert _with_transport(body) == b"only headers"


def test_abort_drops_a_held_write() -> None:
    async def body(transport: CoalescingTransport) -> None:
        transport.write(b"never sent")
        transport.abort()
        await asyncio.sleep(0.05)

    assert _with_transport(body) == b""


def _exchange(port: int, request: bytes) -> bytes:
    """Send raw bytes on one connection and read until the server closes it."""
    with socket.create_connection(("127.0.0.1", port), timeout=DEADLINE) as sock:
        sock.sendall(request)
        return _read_all(sock)


def _responses(raw: bytes, methods: list[str]) -> list[tuple[bytes, bytes]]:
    """Split pipelined responses: (status line, body) each, bodies by Content-Length."""
    found = []
    for method in methods:
        head, raw = raw.split(b"\r\n\r\n", 1)
        status, *fields = head.split(b"\r\n")
        headers = dict(field.lower().split(b": ", 1) for field in fields)
        length = 0 if method == "HEAD" else int(headers[b"content-length"])
        found.append((status, raw[:length]))
        raw = raw[length:]
    assert raw == b""
    return found


@pytest.mark.integration
def test_pipelined_requests_are_answered_in_order(classic: Client) -> None:
    requests = (
        b"GET /monster/a?size=40 HTTP/1.1\r\nHost: x\r\n\r\n"
        b"HEAD /monster/b HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /nothing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    replies = _responses(_exchange(classic.port, requests), ["GET", "HEAD", "GET", "GET"])
    assert [status for status, _ in replies] == [b"HTTP/1.1 200 OK"] * 3 + [
        b"HTTP/1.1 404 Not Found"
    ]
    assert replies[0][1].startswith(b"\x89PNG\r\n\x1a\n")
    assert [body for _, body in replies[1:]] == [b"", b"ok\n", b"not found\n"]


@pytest.mark.integration
def test_a_malformed_request_gets_400_then_close(classic: Client) -> None:
    reply = _exchange(classic.port, b"GET /health HTTP/1.1\r\nHost x\r\n\r\n")
    assert reply.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Traceback" not in reply


@pytest.mark.integration
@pytest.mark.parametrize("where", ["one header", "many headers", "request line"])
def test_a_head_too_large_gets_431_then_close(classic: Client, where: str) -> None:
    big = MAX_HEAD_BYTES + 1024
    if where == "one header":
        request = b"GET /health HTTP/1.1\r\nX-Big: " + b"a" * big + b"\r\n\r\n"
    elif where == "many headers":
        request = b"GET /health HTTP/1.1\r\n" + b"X-Many: 0123456789abcdef\r\n" * (big // 26)
        request += b"\r\n"
    else:
        request = b"GET /monster/" + b"a" * big + b" HTTP/1.1\r\nHost: x\r\n\r\n"
    with socket.create_connection(("127.0.0.1", classic.port), timeout=DEADLINE) as sock:
        try:
            sock.sendall(request)
            reply = _read_all(sock)
        except (BrokenPipeError, ConnectionResetError):
            # Closed while our bytes were still arriving: the kernel may reset the connection
            # and drop the answer. Either way the head was refused and the connection is over.
            reply = b"HTTP/1.1 431 (reset)"
    assert reply.startswith((b"HTTP/1.1 431 ", b"HTTP/1.1 400 ")), reply[:80]
    assert b"Traceback" not in reply
    assert classic.get("/health").status == 200


@pytest.mark.integration
def test_a_large_head_under_the_limit_is_served(classic: Client) -> None:
    filler = b"X-Fill: " + b"b" * 1000 + b"\r\n"
    count = (MAX_HEAD_BYTES - 2048) // len(filler)
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + filler * count
    reply = _exchange(classic.port, request + b"\r\n")
    assert reply.startswith(b"HTTP/1.1 200 OK\r\n")

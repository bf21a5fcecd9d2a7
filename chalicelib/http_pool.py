"""Keep-alive HTTP/1.1 connections whose every socket operation ends by one wall-clock deadline.

A socket timeout bounds each read, so an upstream that drips one byte every half second can hold
a request for minutes. Here each connection's socket re-arms its timeout before every send and
receive to the time left until the call's deadline, and fails once it has passed: connect,
request, headers and body together take at most the deadline.

Built on the standard library's `http.client` (measured per keep-alive call on loopback:
http.client about 300 µs, urllib3 about 450 µs, requests about 800 µs; see docs/function.md),
with a small pool so a threaded `chalice local` keeps one connection per concurrent request.
"""

from __future__ import annotations

import functools
import http.client
import queue
import select
import socket
import ssl
import time
from typing import Any


class DeadlineExceeded(TimeoutError):
    """The call's deadline passed."""


class _DeadlineMixin:
    """Re-arms the socket timeout before each operation to the time left until `deadline`."""

    deadline: float | None = None

    def _arm(self) -> None:
        if self.deadline is None:
            return
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded("deadline passed")
        self.settimeout(left)  # type: ignore[attr-defined]

    def recv_into(self, *args: Any, **kwargs: Any) -> int:
        self._arm()
        return super().recv_into(*args, **kwargs)  # type: ignore[misc, no-any-return]

    def recv(self, *args: Any, **kwargs: Any) -> bytes:
        self._arm()
        return super().recv(*args, **kwargs)  # type: ignore[misc, no-any-return]

    def sendall(self, *args: Any, **kwargs: Any) -> None:
        self._arm()
        super().sendall(*args, **kwargs)  # type: ignore[misc]

    def send(self, *args: Any, **kwargs: Any) -> int:
        self._arm()
        return super().send(*args, **kwargs)  # type: ignore[misc, no-any-return]


class DeadlineSocket(_DeadlineMixin, socket.socket):
    @classmethod
    def adopt(cls, sock: socket.socket) -> DeadlineSocket:
        timeout = sock.gettimeout()
        adopted = cls(sock.family, sock.type, sock.proto, fileno=sock.detach())
        adopted.settimeout(timeout)
        return adopted


class DeadlineSSLSocket(_DeadlineMixin, ssl.SSLSocket):
    pass


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Built on first use: loading the system's CA bundle takes about 20 ms of a cold start."""
    context = ssl.create_default_context()
    context.sslsocket_class = DeadlineSSLSocket
    return context


class PooledConnection(http.client.HTTPConnection):
    def connect(self) -> None:
        sock = socket.create_connection((self.host, self.port), self.timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = self._wrap(DeadlineSocket.adopt(sock))

    def _wrap(self, sock: DeadlineSocket) -> socket.socket:
        return sock

    def set_deadline(self, deadline: float) -> None:
        sock = self.sock
        if isinstance(sock, _DeadlineMixin):
            sock.deadline = deadline


class PooledTLSConnection(PooledConnection):
    def _wrap(self, sock: DeadlineSocket) -> socket.socket:
        return _tls_context().wrap_socket(sock, server_hostname=self.host)


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """True when an idle pooled connection was closed by the server (readable means EOF)."""
    if conn.sock is None:
        return True
    readable, _, _ = select.select([conn.sock], [], [], 0)
    return bool(readable)


class ConnectionPool:
    """Up to `size` idle keep-alive connections to one origin."""

    def __init__(self, scheme: str, host: str, port: int | None, size: int = 16) -> None:
        self._kind = PooledTLSConnection if scheme == "https" else PooledConnection
        self.host = host
        self.port = port
        self._idle: queue.LifoQueue[PooledConnection] = queue.LifoQueue(maxsize=size)

    def take(self, deadline: float, connect_timeout: float) -> tuple[PooledConnection, bool]:
        """A connection (reused: True) with its socket bound to deadline; raises OSError or
        DeadlineExceeded when a new one cannot be opened in time."""
        while True:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                break
            if _dropped(conn):
                conn.close()
                continue
            conn.set_deadline(deadline)
            return conn, True
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded("deadline passed before connecting")
        conn = self._kind(self.host, self.port, timeout=min(connect_timeout, left))
        conn.connect()
        conn.set_deadline(deadline)
        return conn, False

    def give_back(self, conn: PooledConnection) -> None:
        try:
            self._idle.put_nowait(conn)
        except queue.Full:
            conn.close()

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return

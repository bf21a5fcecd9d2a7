"""Chalice local's gateway behind an HTTP/1.1 server that holds up as a server.

`chalice local` serves with `ChaliceRequestHandler` on a `ThreadedHTTPServer`. We keep its
`LocalGateway` (the API Gateway event and context, routing, authorizers, CORS) and change only
the HTTP around it:

- TCP_NODELAY, and one write for headers and a small body: no 40 ms Nagle/delayed-ACK stall on
  a kept-alive connection;
- a listen backlog of `LISTEN_BACKLOG` instead of 5;
- request bodies: `Content-Length` (digits only, one value, at most `MAX_BODY_BYTES`) or
  `Transfer-Encoding: chunked` (decoded); anything else is a 4xx/501 and the connection is
  closed, so the next request is never read from the middle of a body (`http_framing`);
- HEAD gets GET's headers, `Content-Length` included, and no body (nor do 1xx/204/304): the app
  answers HEAD like GET and we drop the body; if it sends no body, its own Content-Length stays;
- wall-clock deadlines: `KEEPALIVE_IDLE_SECONDS` for the next request to start, then
  `REQUEST_DEADLINE_SECONDS` for its line, headers and body to arrive;
- framing and connection headers are the server's, never the app's;
- no `Server:` banner; a response the gateway cannot send (a crash, a header with a line break)
  is a 502 with a one-line log, never a traceback.
"""

from __future__ import annotations

import contextlib
import io
import socket
import sys
import time
from http import HTTPStatus
from typing import Any

from chalice.local import ChaliceRequestHandler, HeaderType, ThreadedHTTPServer

from chalicelib.responses import PROTECTIVE_HEADERS
from identidock_fn.services.http_framing import (
    FramingError,
    checked_headers,
    declared_length,
    read_body,
)

LISTEN_BACKLOG = 1024  # the kernel caps it at net.core.somaxconn
KEEPALIVE_IDLE_SECONDS = 60.0
REQUEST_DEADLINE_SECONDS = 30.0
LINGER_SECONDS = 2.0
LINGER_MAX_BYTES = 1024 * 1024
WRITE_BUFFER = 64 * 1024
NO_BODY_STATUSES = frozenset({204, 304})
# framing and connection headers are the server's to send, never the app's (as API Gateway)
SERVER_OWNED_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "connection", "keep-alive", "upgrade", "trailer"}
)


class DeadlineReader:
    """The handler's `rfile`, where every read ends by a wall-clock deadline.

    A socket timeout bounds each recv(), not a request: a client dripping a byte per second
    would hold a thread for ever. Here each read does at most one recv() with the time left.
    Waiting for a request to start, the idle deadline applies, and running out of it reads as
    end of file (a quiet close); once the first byte is in, the request deadline applies and
    running out of it raises TimeoutError.
    """

    def __init__(self, raw: io.BufferedReader, sock: socket.socket) -> None:
        self._raw = raw
        self._sock = sock
        self._deadline = 0.0
        self._idle = True

    @property
    def closed(self) -> bool:
        return self._raw.closed

    def close(self) -> None:
        self._raw.close()

    def wait_for_request(self) -> None:
        self._idle = True
        self._deadline = time.monotonic() + KEEPALIVE_IDLE_SECONDS

    def _request_started(self) -> None:
        if self._idle:
            self._idle = False
            self._deadline = time.monotonic() + REQUEST_DEADLINE_SECONDS

    def _peek(self) -> bytes:
        """Buffered bytes, after at most one recv() bounded by the deadline; b"" at EOF."""
        left = self._deadline - time.monotonic()
        if left <= 0:
            if self._idle:
                return b""
            raise TimeoutError("the request did not arrive in time")
        self._sock.settimeout(left)
        try:
            data = self._raw.peek(1)
        except TimeoutError:
            if self._idle:
                return b""
            raise
        if data:
            self._request_started()
        return data

    def readline(self, limit: int = -1) -> bytes:
        line = bytearray()
        while limit < 0 or len(line) < limit:
            data = self._peek()
            if not data:
                break
            room = len(data) if limit < 0 else min(len(data), limit - len(line))
            end = data.find(b"\n", 0, room)
            take = room if end < 0 else end + 1
            line += self._raw.read(take)
            if end >= 0:
                break
        return bytes(line)

    def read(self, size: int) -> bytes:
        """Up to `size` bytes, fewer only at end of file."""
        data = bytearray()
        while len(data) < size:
            chunk = self._peek()
            if not chunk:
                break
            data += self._raw.read(min(len(chunk), size - len(data)))
        return bytes(data)


class IdentidockRequestHandler(ChaliceRequestHandler):
    """`ChaliceRequestHandler` with strict framing, HEAD, deadlines and no banner."""

    disable_nagle_algorithm = True
    wbufsize = WRITE_BUFFER  # headers and a small body leave in one send(), flushed per request
    rfile: Any  # a DeadlineReader once set up

    def setup(self) -> None:
        super().setup()
        self.rfile = DeadlineReader(self.rfile, self.connection)
        self._responded = False
        self._linger = False
        self._body: bytes | None = None

    def finish(self) -> None:
        super().finish()
        if self._linger:
            self._drain_before_close()

    def _drain_before_close(self) -> None:
        """Read what the client still sends, for a moment, before closing (a lingering close).

        Closing a socket with unread bytes makes the kernel send RST, and a client that gets RST
        may lose the error answer it has not read yet.
        """
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_WR)
            deadline = time.monotonic() + LINGER_SECONDS
            drained = 0
            while drained < LINGER_MAX_BYTES and (left := deadline - time.monotonic()) > 0:
                self.connection.settimeout(left)
                data = self.connection.recv(65536)
                if not data:
                    return
                drained += len(data)

    def handle_one_request(self) -> None:
        self.rfile.wait_for_request()
        self._responded = False
        super().handle_one_request()

    def handle_expect_100(self) -> bool:
        """Send `100 Continue` now: our write buffer would otherwise hold it back."""
        answer = bool(super().handle_expect_100())
        self.wfile.flush()
        return answer

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """BaseHTTPRequestHandler's own errors (bad request line, 414, 431, 501): short text,
        the protective headers, and the connection closed."""
        status = HTTPStatus(code)
        self._send_plain(status, message or status.description or status.phrase)

    def send_response(self, code: int, message: str | None = None) -> None:
        """The status line and Date, without BaseHTTPRequestHandler's `Server: ... Python/3.x`."""
        self._responded = True
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def _generic_handle(self) -> None:
        try:
            self._body = read_body(self.rfile, self.headers)
        except FramingError as refused:
            self._send_plain(refused.status, refused.message)
            return
        except TimeoutError:
            self._send_plain(HTTPStatus.REQUEST_TIMEOUT, "request body did not arrive in time")
            return
        self.connection.settimeout(REQUEST_DEADLINE_SECONDS)  # each send() of the answer
        try:
            super()._generic_handle()
        except OSError:
            self.close_connection = True
            raise
        except Exception as error:  # a gateway or app bug must not reach the client as a trace
            self.log_error("cannot answer %s %s: %r", self.command, self.path, error)
            if not self._responded:
                self._send_plain(HTTPStatus.BAD_GATEWAY, "Bad Gateway")
            self.close_connection = True

    do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = do_PATCH = do_OPTIONS = _generic_handle

    def _parse_payload(self) -> tuple[HeaderType, bytes | None]:
        headers = dict(self.headers)
        if "Transfer-Encoding" in self.headers:  # the gateway hands on a plain, delimited body
            headers = {k: v for k, v in headers.items() if k.lower() != "transfer-encoding"}
            headers["Content-Length"] = str(len(self._body or b""))
        return headers, self._body

    def _send_http_response(self, code: int, headers: HeaderType, body: str | bytes | None) -> None:
        if body is None:
            body = b""
        elif isinstance(body, str):
            body = body.encode("utf-8")
        headers_in = headers
        headers = {k: v for k, v in headers.items() if k.lower() not in SERVER_OWNED_HEADERS}
        if body and not any(k.lower() == "content-type" for k in headers):
            headers["Content-Type"] = "application/json"  # as chalice local and API Gateway
        try:
            pairs = checked_headers(headers)
        except ValueError as error:
            self.log_error("cannot send the app's response: %s", error)
            self._send_plain(HTTPStatus.BAD_GATEWAY, "Bad Gateway")
            return
        present = {name.lower() for name in headers}
        for name, value in PROTECTIVE_HEADERS.items():  # the gateway's own errors lack them
            if name.lower() not in present:
                pairs.append((name, value))
        no_body = code in NO_BODY_STATUSES or code < 200
        length = str(len(body))
        if self.command == "HEAD" and not body:  # an app may answer HEAD with GET's length only
            length = declared_length(headers_in) or length
        self.send_response(code)
        if not no_body:
            self.send_header("Content-Length", length)
        for name, value in pairs:
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD" and not no_body:
            self.wfile.write(body)

    def _send_plain(self, status: HTTPStatus, message: str) -> None:
        """A short text answer from the server itself; it closes the connection."""
        body = f"{status.value} {status.phrase}: {message}\n".encode()
        self.close_connection = True
        self._linger = True
        self.send_response(status.value)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        for name, value in PROTECTIVE_HEADERS.items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)


class IdentidockHTTPServer(ThreadedHTTPServer):
    """Chalice local's threaded server with a real listen backlog and one-line error logs."""

    request_queue_size = LISTEN_BACKLOG
    daemon_threads = True

    def handle_error(self, request: Any, client_address: tuple[str, int]) -> None:
        error = sys.exc_info()[1]
        print(f"connection from {client_address[0]} ended: {error!r}", file=sys.stderr)

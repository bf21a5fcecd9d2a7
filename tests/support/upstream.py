"""A small real HTTP server on a free loopback port, standing in for dnmonster's answers.

It answers what a test scripts (a valid PNG, HTML, a 500, a truncated PNG, a slow answer) or
proxies to a real dnmonster, and it records every request path, so tests can count the calls
dnmonster received. It is a real server over real sockets, not a mock.
"""

from __future__ import annotations

import http.client
import struct
import threading
import time
import zlib
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit


def make_png(side: int = 12, rgb: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A valid RGBA PNG of side x side pixels in one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    row = b"\x00" + bytes([*rgb, 255]) * side
    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * side))
        + chunk(b"IEND", b"")
    )


def is_png(data: bytes, size: int = 80) -> bool:
    """True when data passes the function's own PNG check at that size."""
    from chalicelib.png import BadPng, check_png

    try:
        check_png(data, size)
    except BadPng:
        return False
    return True


def make_svg(side: int = 12, rgb: tuple[int, int, int] = (200, 80, 40)) -> bytes:
    """A valid SVG in dnmonster's shape: side x side, one dot in each corner of the 12x12 grid."""
    dot = side // 12
    off = (side - 12 * dot + 1) // 2
    far = off + 11 * dot
    rects = "".join(
        f'<rect x="{x}" y="{y}" width="{dot}" height="{dot}"/>'
        for x, y in ((off, off), (far, off), (off, far), (far, far))
    )
    fill = "#{:02x}{:02x}{:02x}".format(*rgb)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side}" height="{side}" '
        f'viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<g fill="{fill}">{rects}</g></svg>'
    ).encode()


def _asked_size(path: str) -> int:
    sizes = parse_qs(urlsplit(path).query).get("size") or ["20"]
    return max(int(sizes[0]), 12) if sizes[0].isdigit() else 20


def _asked_svg(path: str) -> bool:
    return parse_qs(urlsplit(path).query).get("format") == ["svg"]


@dataclass
class Answer:
    status: int = 200
    content_type: str = "image/png"
    #: None: a valid image of the size and format the request asks for (an SVG for
    #: `format=svg`, sent as image/svg+xml while content_type is left at image/png).
    body: bytes | None = None
    delay_seconds: float = 0.0
    chunked: bool = False  # no Content-Length, like the original amouat/dnmonster:1.0
    headers: dict[str, str] = field(default_factory=dict)
    #: Send everything (status line included) one byte at a time, with this pause between bytes.
    drip_seconds: float = 0.0
    #: Close the connection without answering (a crashed process behind a listening socket).
    hang_up: bool = False


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up (read timeout) closed its socket: expected in these tests


class UpstreamServer:
    """`answer` is used for every request unless `proxy_to` is set: then it forwards each request
    line as it came to the real server (and hangs up when that one is down). Either way it
    records every request line, so tests count what dnmonster was asked (it keeps no log)."""

    def __init__(self, answer: Answer | None = None, proxy_to: str | None = None) -> None:
        self.answer = answer or Answer()
        self.proxy_to = proxy_to
        self.paths: list[str] = []
        #: Bytes of each dripped answer written before the client hung up.
        self.dripped: list[int] = []
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self.paths)

    @property
    def names(self) -> Counter[str]:
        """How often each monster name was asked for, decoded as dnmonster decodes it."""
        with self._lock:
            paths = list(self.paths)
        targets = (urlsplit(path).path for path in paths)
        return Counter(
            unquote(target.removeprefix("/monster/"))
            for target in targets
            if target.startswith("/monster/")
        )

    def count(self, name: str) -> int:
        return self.names[name]

    def start(self) -> UpstreamServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> UpstreamServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _respond(self, path: str) -> Answer:
        if self.proxy_to is None:
            return self.answer
        origin = urlsplit(self.proxy_to)
        real = http.client.HTTPConnection(origin.hostname or "", origin.port, timeout=10)
        try:
            real.request("GET", path)  # the request line as it came: nothing normalized
            answer = real.getresponse()
            kept = {k: v for k, v in answer.getheaders() if k in ("Cache-Control", "ETag")}
            content_type = answer.getheader("Content-Type", "")
            return Answer(answer.status, content_type, answer.read(), headers=kept)
        except OSError:
            return Answer(hang_up=True)  # the real one is down: so is its address
        finally:
            real.close()

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self) -> None:
                with outer._lock:
                    outer.paths.append(self.path)
                answer = outer._respond(self.path)
                content_type = answer.content_type
                if answer.body is not None:
                    body = answer.body
                elif _asked_svg(self.path):
                    body = make_svg(_asked_size(self.path))
                    if content_type == "image/png":
                        content_type = "image/svg+xml"
                else:
                    body = make_png(_asked_size(self.path))
                if answer.delay_seconds:
                    time.sleep(answer.delay_seconds)
                if answer.drip_seconds:
                    self._drip(answer, body)
                    return
                if answer.hang_up:
                    self.close_connection = True
                    return
                self.send_response(answer.status)
                self.send_header("Content-Type", content_type)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                if answer.chunked:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    for start in range(0, len(body), 64):
                        piece = body[start : start + 64]
                        self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.write(b"0\r\n\r\n")
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _drip(self, answer: Answer, body: bytes) -> None:
                head = (
                    f"HTTP/1.1 {answer.status} OK\r\nContent-Type: {answer.content_type}\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n"
                ).encode()
                sent = 0
                try:
                    for byte in head + body:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        sent += 1
                        time.sleep(answer.drip_seconds)
                except OSError:
                    pass
                finally:
                    with outer._lock:
                        outer.dripped.append(sent)
                    self.close_connection = True

            def log_message(self, format: str, *args: object) -> None:
                pass

        return Handler

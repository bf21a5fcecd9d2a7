"""The app server `up` runs (chalice's local gateway behind `services.local_http`), over raw HTTP.

Most tests serve a small probe Chalice project, written here, with the real launcher
(`ChaliceLocalServer`, a separate process), so they check the HTTP layer whatever the app does;
the mechanisms that can only be seen from inside (socket options, deadlines) use the same classes
in this process. `test_up_server.py` checks the same things through `python -m identidock_fn up`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
import requests
from chalice.app import Chalice, Response
from chalice.config import Config
from chalice.local import LocalDevServer

from chalicelib.responses import PROTECTIVE_HEADERS
from identidock_fn.services import ChaliceLocalServer, ServiceError, http_framing, local_http
from identidock_fn.services.local_http import IdentidockHTTPServer, IdentidockRequestHandler

pytestmark = pytest.mark.integration

CLIENT_TIMEOUT = 60.0  # a bound against a hung server, not a speed requirement
PROBE_BODY = "hello " * 100
TEXT: dict[str, str | list[str]] = {"Content-Type": "text/plain"}

PROBE_APP = f"""
from chalice.app import Chalice, Response

app = Chalice(app_name="probe")


@app.route("/", methods=["GET", "HEAD"])
def index():
    return Response(body={PROBE_BODY!r}, headers={{"Content-Type": "text/plain"}})


@app.route("/echo", methods=["POST"], content_types=["*/*"])
def echo():
    body = (app.current_request.raw_body or b"").decode("latin-1")
    return Response(body=body, headers={{"Content-Type": "text/plain"}})


@app.route("/header-injection")
def header_injection():
    return Response(body="x", headers={{"X-Note": "a\\r\\nSet-Cookie: stolen=1"}})


@app.route("/declared", methods=["HEAD"])
def declared():
    return Response(body="", headers={{"Content-Length": "42", "Content-Type": "text/plain"}})


@app.route("/framing")
def framing():
    headers = {{"Transfer-Encoding": "chunked", "Connection": "close", "Content-Length": "1"}}
    return Response(body="framed by the server", headers=headers)


@app.route("/empty")
def empty():
    return Response(body="", status_code=204)
"""
PROBE_CONFIG = {"version": "2.0", "app_name": "probe", "stages": {"local": {}}}


@dataclass
class Answer:
    status: int
    headers: dict[str, list[str]] = field(default_factory=dict)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        values = self.headers.get(name.lower())
        return values[-1] if values else None


class RawConnection:
    """One TCP connection speaking HTTP/1.1 by hand: answers are framed strictly, so a body
    the server should not have sent shows up as garbage where the next status line belongs."""

    def __init__(self, port: int, host: str = "127.0.0.1") -> None:
        self.sock = socket.create_connection((host, port), timeout=CLIENT_TIMEOUT)
        self.file = self.sock.makefile("rb")

    def close(self) -> None:
        self.file.close()
        self.sock.close()

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def request(self, method: str, path: str, headers: str = "", body: bytes = b"") -> None:
        head = f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n{headers}"
        if body and "content-length" not in headers.lower() and "transfer-" not in headers.lower():
            head += f"Content-Length: {len(body)}\r\n"
        self.send(head.encode() + b"\r\n" + body)

    def answer(self, method: str = "GET") -> Answer:
        status_line = self.file.readline(65537)
        assert status_line.startswith(b"HTTP/1.1 "), f"not a status line: {status_line[:80]!r}"
        answer = Answer(int(status_line.split()[1]))
        while (line := self.file.readline(65537)) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            answer.headers.setdefault(name.strip().lower(), []).append(value.strip())
        bodiless = method == "HEAD" or answer.status in (204, 304) or answer.status < 200
        length = answer.header("Content-Length")
        if not bodiless and length is not None:
            answer.body = self.file.read(int(length))
        return answer

    def exchange(self, method: str, path: str, headers: str = "", body: bytes = b"") -> Answer:
        self.request(method, path, headers, body)
        return self.answer(method)

    def closed_by_server(self) -> bool:
        """True once the server has closed its end (we read EOF, not more bytes)."""
        try:
            return self.file.read(1) == b""
        except ConnectionResetError:
            return True


def write_probe_project(project: Path) -> Path:
    (project / "app.py").write_text(PROBE_APP)
    (project / ".chalice").mkdir()
    (project / ".chalice" / "config.json").write_text(json.dumps(PROBE_CONFIG))
    return project


@pytest.fixture(scope="module")
def probe_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_probe_project(tmp_path_factory.mktemp("probe-project"))


@pytest.fixture(scope="module")
def probe_server(
    probe_project: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ChaliceLocalServer]:
    server = ChaliceLocalServer(
        project_dir=probe_project, workdir=tmp_path_factory.mktemp("probe-server")
    )
    with server:
        yield server


@pytest.fixture
def conn(probe_server: ChaliceLocalServer) -> Iterator[RawConnection]:
    with RawConnection(probe_server.port) as connection:
        yield connection


# -- HEAD and keeping a connection in sync ------------------------------------------------------


def test_head_sends_gets_headers_and_no_body(conn: RawConnection) -> None:
    get = conn.exchange("GET", "/")
    head = conn.exchange("HEAD", "/")
    again = conn.exchange("GET", "/")  # would read the HEAD's body as a status line if sent

    assert get.status == head.status == again.status == 200
    assert get.body == again.body == PROBE_BODY.encode()
    assert head.body == b""
    assert head.header("Content-Length") == str(len(PROBE_BODY))
    assert {k: v for k, v in head.headers.items() if k != "date"} == {
        k: v for k, v in get.headers.items() if k != "date"
    }


def test_head_on_a_route_without_head_is_an_error_without_body(conn: RawConnection) -> None:
    head = conn.exchange("HEAD", "/echo")
    assert head.status == 405
    assert int(head.header("Content-Length") or 0) > 0  # the length of the body not sent
    assert conn.exchange("GET", "/").body == PROBE_BODY.encode()


def test_head_keeps_the_apps_own_length_when_it_sends_no_body(conn: RawConnection) -> None:
    head = conn.exchange("HEAD", "/declared")
    assert (head.status, head.header("Content-Length"), head.body) == (200, "42", b"")
    assert conn.exchange("GET", "/").status == 200


def test_framing_headers_from_the_app_are_replaced_by_the_servers(conn: RawConnection) -> None:
    answer = conn.exchange("GET", "/framing")
    assert answer.body == b"framed by the server"
    assert answer.headers["content-length"] == [str(len(answer.body))]
    assert "transfer-encoding" not in answer.headers
    assert "connection" not in answer.headers
    assert conn.exchange("GET", "/").status == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/nowhere", 403), ("DELETE", "/", 405), ("GET", "/empty", 204)],
    ids=["no-route", "wrong-method", "no-content"],
)
def test_the_connection_stays_in_sync_after_an_answer_of(
    conn: RawConnection, method: str, path: str, status: int
) -> None:
    assert conn.exchange(method, path).status == status
    assert conn.exchange("GET", "/").body == PROBE_BODY.encode()


def test_no_server_banner_on_any_answer(conn: RawConnection) -> None:
    answers = [conn.exchange("GET", "/"), conn.exchange("GET", "/nowhere")]
    conn.send(b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n")  # BaseHTTPRequestHandler's own 501
    answers.append(conn.answer())
    assert [a.status for a in answers] == [200, 403, 501]
    for answer in answers:
        assert answer.header("Server") is None, answer.headers
        assert answer.header("Date") is not None


def test_the_servers_own_answers_carry_the_protective_headers(conn: RawConnection) -> None:
    """A gateway error (unknown path: 403, as API Gateway) and the server's own refusal (501):
    the app never sees these, so the server adds what the app adds to its own answers."""
    answers = [conn.exchange("GET", "/nowhere")]
    conn.send(b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n")
    answers.append(conn.answer())
    assert [a.status for a in answers] == [403, 501]
    for answer in answers:
        for name, value in PROTECTIVE_HEADERS.items():
            assert answer.header(name) == value, (answer.status, name)


# -- request bodies -------------------------------------------------------------------------------


def test_a_chunked_body_is_read_and_handed_on_whole(conn: RawConnection) -> None:
    chunked = b"5\r\nname=\r\n5;ext=1\r\nCarol\r\n0\r\nX-Trailer: t\r\n\r\n"
    echoed = conn.exchange("POST", "/echo", "Transfer-Encoding: chunked\r\n", chunked)
    assert echoed.status == 200
    assert echoed.body == b"name=Carol"
    assert conn.exchange("GET", "/").status == 200  # and the connection goes on


def test_a_body_with_content_length_is_read(conn: RawConnection) -> None:
    assert conn.exchange("POST", "/echo", body=b"name=Ada").body == b"name=Ada"
    assert conn.exchange("GET", "/").status == 200


SMUGGLED = b"GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ("Content-Length: abc\r\n", 400),
        ("Content-Length: -1\r\n", 400),
        ("Content-Length: +5\r\n", 400),
        ("Content-Length: 5, 6\r\n", 400),
        ("Content-Length: 5\r\nContent-Length: 6\r\n", 400),
        ("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", 400),
        ("Transfer-Encoding: gzip, chunked\r\n", 501),
        ("Transfer-Encoding: chunked\r\n", 400),  # the body below is not valid chunked
        (f"Content-Length: {http_framing.MAX_BODY_BYTES + 1}\r\n", 413),
    ],
    ids=[
        "not-a-number",
        "negative",
        "signed",
        "list",
        "two-values",
        "with-chunked",
        "unknown-coding",
        "bad-chunks",
        "too-large",
    ],
)
def test_an_undelimitable_body_is_refused_and_the_connection_closed(
    conn: RawConnection, headers: str, status: int
) -> None:
    conn.request("POST", "/echo", headers, b"zz\r\n" + SMUGGLED)
    refused = conn.answer()
    assert refused.status == status
    assert refused.header("Connection") == "close"
    assert refused.header("Server") is None
    assert conn.closed_by_server()  # the smuggled request is never answered


def test_a_body_shorter_than_its_content_length_is_a_400(conn: RawConnection) -> None:
    conn.request("POST", "/echo", "Content-Length: 100\r\n", b"short")
    conn.sock.shutdown(socket.SHUT_WR)
    assert conn.answer().status == 400


def test_expect_100_continue_is_answered_before_the_body(conn: RawConnection) -> None:
    conn.request("POST", "/echo", "Content-Length: 3\r\nExpect: 100-continue\r\n")
    assert conn.answer().status == 100
    conn.send(b"abc")
    assert conn.answer().body == b"abc"


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Note": "a\r\nSet-Cookie: stolen=1"},
        {"X-Note": ["ok", "a\nb"]},
        {"Bad Name": "x"},
        {"X-Note": "caf\u00e9 \u2603"},
    ],
    ids=["crlf", "lf-in-list", "space-in-name", "not-latin-1"],
)
def test_a_header_that_cannot_go_on_the_wire_is_refused(headers: dict[str, Any]) -> None:
    # Chalice itself answers 500 for such a header from a view; this is the gateway's own guard
    # (a 502, like API Gateway's answer to a malformed proxy response), checked directly.
    with pytest.raises(ValueError, match=r"header|codec"):
        http_framing.checked_headers(headers)


def test_headers_that_can_go_on_the_wire_are_kept_in_order() -> None:
    assert http_framing.checked_headers({"A": "1", "Set-Cookie": ["x=1", "y=2"]}) == [
        ("A", "1"),
        ("Set-Cookie", "x=1"),
        ("Set-Cookie", "y=2"),
    ]


def test_autoreload_serves_the_changed_app_and_its_worker_dies_with_it(tmp_path: Path) -> None:
    (project := tmp_path / "project").mkdir()
    write_probe_project(project)
    with ChaliceLocalServer(
        project_dir=project, autoreload=True, workdir=tmp_path / "server"
    ) as server:
        assert server.pid is not None
        (worker,) = psutil.Process(server.pid).children()
        assert requests.get(f"{server.url}/", timeout=CLIENT_TIMEOUT).text == PROBE_BODY
        app = project / "app.py"
        app.write_text(app.read_text().replace("hello ", "howdy "))
        deadline = time.monotonic() + CLIENT_TIMEOUT
        text = ""
        while time.monotonic() < deadline and not text.startswith("howdy"):
            # chalice's stat watcher seeds its mtimes in a thread of its own: if that ran after
            # the write, only a later mtime shows the change, so keep the file's mtime moving.
            os.utime(app)
            with contextlib.suppress(requests.RequestException):
                text = requests.get(f"{server.url}/", timeout=CLIENT_TIMEOUT).text
            time.sleep(0.2)
        assert text == PROBE_BODY.replace("hello ", "howdy ")
        (worker,) = psutil.Process(server.pid).children()  # a new worker
        os.kill(server.pid, signal.SIGKILL)
        worker.wait(timeout=CLIENT_TIMEOUT)  # it got SIGTERM from the kernel (PDEATHSIG)
        with contextlib.suppress(ServiceError):  # stop() reports the SIGKILL as an error exit
            server.stop()


# -- inside the server: socket options and deadlines ----------------------------------------------


class RecordingServer(IdentidockHTTPServer):
    """Keeps the sockets it accepts, to read their options."""

    accepted: list[socket.socket]

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, address = super().get_request()
        self.accepted.append(sock)
        return sock, address


@pytest.fixture
def in_process() -> Iterator[RecordingServer]:
    """The probe's `/` route on our server classes, in a thread of this process."""
    app = Chalice(app_name="probe")

    @app.route("/", methods=["GET", "HEAD"])
    def index() -> Response:
        return Response(body=PROBE_BODY, headers=TEXT)

    @app.route("/echo", methods=["POST"], content_types=["*/*"])
    def echo() -> Response:
        request = app.current_request
        assert request is not None
        raw = request.raw_body
        body = raw.decode("latin-1") if isinstance(raw, bytes) else raw
        return Response(body=body, headers=TEXT)

    config = Config.create(chalice_app=app, app_name="probe", chalice_stage="local")
    local = LocalDevServer(
        app,
        config,
        "127.0.0.1",
        0,
        handler_cls=IdentidockRequestHandler,
        server_cls=RecordingServer,
    )
    server = local.server
    assert isinstance(server, RecordingServer)
    server.accepted = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=CLIENT_TIMEOUT)


def _port(server: IdentidockHTTPServer) -> int:
    return int(server.server_address[1])


def test_accepted_connections_have_tcp_nodelay(in_process: RecordingServer) -> None:
    with RawConnection(_port(in_process)) as conn:
        assert conn.exchange("GET", "/").status == 200
        (accepted,) = in_process.accepted
        assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0


def test_the_listen_backlog_holds_at_least_128_connections(in_process: RecordingServer) -> None:
    assert in_process.request_queue_size >= 128
    # For a listening socket Linux reports its accept queue's size in tcp_info.tcpi_sacked.
    info = in_process.socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    unacked, sacked = struct.unpack_from("II", info, 24)
    assert sacked >= 128
    assert unacked == 0


@contextlib.contextmanager
def dripping(conn: RawConnection, byte: bytes) -> Iterator[None]:
    """Send one byte every 0.2 s from a thread until the block ends (or the server hangs up)."""
    stop = threading.Event()

    def drip() -> None:
        while not stop.wait(0.2):
            try:
                conn.send(byte)
            except OSError:
                return

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    try:
        yield
    finally:
        stop.set()
        dripper.join(timeout=CLIENT_TIMEOUT)


def test_a_dripping_request_gets_408_at_its_deadline(
    in_process: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_http, "REQUEST_DEADLINE_SECONDS", 1.0)
    with RawConnection(_port(in_process)) as conn:
        conn.request("POST", "/echo", "Content-Length: 1000\r\n", b"x")
        with dripping(conn, b"x"):
            answer = conn.answer()
        assert answer.status == 408
        assert answer.header("Connection") == "close"


def test_an_idle_kept_alive_connection_is_closed_quietly(
    in_process: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_http, "KEEPALIVE_IDLE_SECONDS", 1.0)
    with RawConnection(_port(in_process)) as conn:
        assert conn.exchange("GET", "/").status == 200
        assert conn.closed_by_server()  # no answer, no 408: just closed


def test_slow_headers_are_cut_off_at_the_deadline(
    in_process: RecordingServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_http, "REQUEST_DEADLINE_SECONDS", 1.0)
    with RawConnection(_port(in_process)) as conn:
        conn.send(b"GET / HTTP/1.1\r\nX-Slow: ")
        with dripping(conn, b"a"):
            assert conn.closed_by_server()

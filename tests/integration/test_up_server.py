"""The app server of `python -m identidock_fn up` (the `make run` stack) over raw HTTP/1.1.

`test_local_server.py` checks the mechanisms on a probe app; these check them on the real app
as `make run` serves it.
"""

from __future__ import annotations

import html
import re
import selectors
import socket
import time
from collections.abc import Iterator
from urllib.parse import urljoin

import pytest

from identidock_fn.services import free_port
from tests.integration.test_local_server import RawConnection
from tests.integration.test_up import CHROME_IMG_ACCEPT, READY, UpProcess, stop_up

pytestmark = pytest.mark.integration

SIMULTANEOUS = 128
ALL_ANSWERED_WITHIN = 120.0  # seconds: a bound against a stall, not a speed requirement


@pytest.fixture(scope="module")
def up_port() -> Iterator[int]:
    up = UpProcess(free_port())
    try:
        up.wait_for(READY)
        yield up.port
    finally:
        stop_up(up)


@pytest.fixture
def conn(up_port: int) -> Iterator[RawConnection]:
    with RawConnection(up_port) as connection:
        yield connection


PER_ANSWER = {"date", "x-amzn-requestid"}


def _without_date(headers: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: values for name, values in headers.items() if name not in PER_ANSWER}


def test_head_answers_like_get_without_a_body_on_the_page_and_the_image(
    conn: RawConnection,
) -> None:
    page = conn.exchange("GET", "/")
    assert page.status == 200
    found = re.search(rb'<img src="([^"]+)"', page.body)
    assert found, page.body[:500]
    image_path = urljoin("/", html.unescape(found.group(1).decode()))
    accept = f"Accept: {CHROME_IMG_ACCEPT}\r\n"
    for path, headers in (("/", ""), (image_path, accept)):
        get = conn.exchange("GET", path, headers)
        head = conn.exchange("HEAD", path, headers)
        assert (get.status, head.status, head.body) == (200, 200, b""), path
        assert head.header("Content-Length") == str(len(get.body)), path
        assert _without_date(head.headers) == _without_date(get.headers), path
    assert conn.exchange("GET", "/").status == 200  # still in sync after the HEADs


def test_no_server_banner(conn: RawConnection) -> None:
    for path in ("/", "/no/such/route"):
        answer = conn.exchange("GET", path)
        assert answer.header("Server") is None, (path, answer.headers)


def test_a_chunked_form_post_is_read(conn: RawConnection) -> None:
    form = b"name=Chunky+Carol"
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(form), form)
    headers = "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n"
    page = conn.exchange("POST", "/", headers, chunked)
    assert page.status == 200
    assert b"Chunky Carol" in page.body
    assert conn.exchange("GET", "/").status == 200


@pytest.mark.parametrize("length", ["abc", "-1", "5, 6"])
def test_a_bad_content_length_is_a_400_and_the_connection_ends(
    conn: RawConnection, length: str
) -> None:
    smuggled = b"GET /monster/smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
    conn.request("POST", "/", f"Content-Length: {length}\r\n", b"name=x" + smuggled)
    answer = conn.answer()
    assert answer.status == 400
    assert answer.header("Connection") == "close"
    assert conn.closed_by_server()


def test_128_simultaneous_new_connections_are_all_answered(up_port: int) -> None:
    """All connect at once (the listen backlog must hold them), then each sends one request."""
    selector = selectors.DefaultSelector()
    sockets: list[socket.socket] = []
    replies: dict[socket.socket, bytes] = {}
    failures: list[str] = []
    try:
        for _ in range(SIMULTANEOUS):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", up_port))
            sockets.append(sock)
            replies[sock] = b""
            selector.register(sock, selectors.EVENT_WRITE)
        request = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
        deadline = time.monotonic() + ALL_ANSWERED_WITHIN
        open_count = SIMULTANEOUS
        while open_count and (left := deadline - time.monotonic()) > 0:
            for key, events in selector.select(timeout=left):
                client = key.fileobj
                assert isinstance(client, socket.socket)
                try:
                    if events & selectors.EVENT_WRITE:
                        client.sendall(request)
                        selector.modify(client, selectors.EVENT_READ)
                        continue
                    data = client.recv(65536)
                except OSError as error:
                    failures.append(repr(error))
                    data = b""
                if data:
                    replies[client] += data
                else:
                    selector.unregister(client)
                    open_count -= 1
        statuses = [reply.split(b"\r\n", 1)[0] for reply in replies.values()]
        assert failures == []
        assert statuses == [b"HTTP/1.1 200 OK"] * SIMULTANEOUS
    finally:
        selector.close()
        for sock in sockets:
            sock.close()

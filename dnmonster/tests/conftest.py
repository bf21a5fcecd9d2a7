"""Fixtures: real `python -m dnmonster` processes on free loopback ports, and a raw HTTP client."""

import http.client
import json
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from mirakuru import OutputExecutor

PROJECT = Path(__file__).resolve().parents[2]
SHARED = PROJECT.parent / "shared" / "dnmonster"
CLASSIC = SHARED / "classic-sprites.json"
VECTORS = json.loads((SHARED / "classic-vectors-sample.json").read_text(encoding="utf-8"))
READY = "dnmonster ready on"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class Client:
    """Sends the path exactly as given (no re-encoding), one connection per request."""

    def __init__(self, port: int) -> None:
        self.port = port

    def request(self, path: str, method: str = "GET", headers: dict | None = None) -> Reply:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for key, value in (headers or {}).items():
                conn.putheader(key, value)
            conn.endheaders()
            resp = conn.getresponse()
            body = resp.read()
            return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, body)
        finally:
            conn.close()

    def get(self, path: str, **headers: str) -> Reply:
        return self.request(path, headers={k.replace("_", "-"): v for k, v in headers.items()})


def dnmonster_executor(*args: str, env: dict[str, str] | None = None) -> OutputExecutor:
    return OutputExecutor(
        [sys.executable, "-m", "dnmonster", *args],
        banner=READY,
        timeout=60,
        cwd=str(PROJECT),
        envvars=env,
    )


@pytest.fixture(scope="session")
def classic() -> Iterator[Client]:
    """A server with the classic sprite pack, configured by flags."""
    port = free_port()
    args = ["--host", "127.0.0.1", "--port", str(port), "--sprites", str(CLASSIC)]
    with dnmonster_executor(*args, "--workers", "2"):
        yield Client(port)

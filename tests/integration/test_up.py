"""`python -m identidock_fn up` as a user runs it: a real subprocess with real servers behind it."""

from __future__ import annotations

import html
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from urllib.parse import urljoin

import psutil
import pytest
import requests

from identidock_fn.bench.events import IMAGE_ACCEPT
from identidock_fn.paths import PROJECT_ROOT

pytestmark = pytest.mark.integration

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROME_IMG_ACCEPT = IMAGE_ACCEPT
READY = re.compile(r"identidock_fn is up at (http://\S+)")
SERVER_AT = re.compile(r"identidock_fn: (dnmonster|redis-server) at \w+://[\d.]+:(\d+)")
WAIT_SECONDS = 180  # a bound against a hung start, not a speed requirement


class UpProcess:
    """The `up` subprocess, with its merged output read line by line on a thread."""

    def __init__(self, port: int, env: dict[str, str] | None = None) -> None:
        self.port = port
        self.process = subprocess.Popen(
            [sys.executable, "-m", "identidock_fn", "up", "--port", str(port)],
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, pattern: re.Pattern[str]) -> re.Match[str]:
        """Read output until a line matches; fail with the output so far if `up` ends first."""
        while True:
            try:
                line = self._queue.get(timeout=WAIT_SECONDS)
            except queue.Empty:
                pytest.fail(f"no line matching {pattern.pattern!r}:\n" + "\n".join(self.lines))
            if line is None:
                pytest.fail(f"`up` ended before {pattern.pattern!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if match := pattern.search(line):
                return match

    def wait_for_json(self, **expected: str) -> dict[str, object]:
        """Read output until a JSON log line has all the `expected` fields."""
        while True:
            match = self.wait_for(re.compile(r"^\{.*\}$"))
            entry: dict[str, object] = json.loads(match.group(0))
            if all(entry.get(key) == value for key, value in expected.items()):
                return entry

    def exit_code(self) -> int:
        """Wait for `up` to end and read the rest of its output into `lines`."""
        code = self.process.wait(timeout=WAIT_SECONDS)
        while (line := self._queue.get(timeout=WAIT_SECONDS)) is not None:
            self.lines.append(line)
        return code

    def transcript(self) -> str:
        return "\n".join(self.lines)

    def descendants(self) -> list[psutil.Process]:
        children: list[psutil.Process] = psutil.Process(self.process.pid).children(recursive=True)
        return children


def accepts_connections(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def processes_started_by(pid: int) -> list[psutil.Process]:
    """Processes carrying mirakuru's marker for executors created in process `pid`."""
    found = []
    for process in psutil.process_iter():
        try:
            marker = process.environ().get("mirakuru_uuid", "")
        except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
            continue
        if marker.startswith(f"{pid}:"):
            found.append(process)
    return found


def stop_up(up: UpProcess) -> None:
    """SIGTERM `up` (SIGKILL if it hangs), then kill anything it left behind."""
    leftovers = up.descendants() if up.process.poll() is None else []
    if up.process.poll() is None:
        up.process.send_signal(signal.SIGTERM)
        try:
            up.process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            up.process.kill()
            up.process.wait()
    for process in leftovers + processes_started_by(up.process.pid):
        if process.is_running():
            process.kill()


@pytest.fixture
def up_process(free_port: int) -> Iterator[UpProcess]:
    up = UpProcess(free_port)
    try:
        yield up
    finally:
        stop_up(up)


@pytest.fixture
def running_up(up_process: UpProcess) -> tuple[UpProcess, str]:
    """`up` once it has printed its URL; returns it and the URL."""
    url = up_process.wait_for(READY).group(1)
    return up_process, url


def test_up_serves_the_page_and_its_monster(running_up: tuple[UpProcess, str]) -> None:
    up, url = running_up
    assert url == f"http://127.0.0.1:{up.port}/"
    with requests.Session() as http:
        page = http.get(url, timeout=60)
        assert page.status_code == 200
        assert page.headers["Content-Type"].startswith("text/html")
        found = re.search(r'<img src="([^"]+)"', page.text)
        assert found, page.text
        image = http.get(
            urljoin(url, html.unescape(found.group(1))),
            headers={"Accept": CHROME_IMG_ACCEPT},
            timeout=60,
        )
    assert image.status_code == 200
    assert image.headers["Content-Type"] == "image/png"
    assert image.content.startswith(PNG_SIGNATURE)


def test_a_second_view_of_a_name_is_a_cache_hit(running_up: tuple[UpProcess, str]) -> None:
    up, url = running_up
    with requests.Session() as http:
        first = http.get(urljoin(url, "monster/ada"), timeout=60)
        assert first.status_code == 200
        assert up.wait_for_json(event="request", route="/monster/{name}")["cache"] == "miss"
        second = http.get(urljoin(url, "monster/ada"), timeout=60)
        assert second.status_code == 200
        assert up.wait_for_json(event="request", route="/monster/{name}")["cache"] == "hit"
    assert second.content == first.content


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_stops_every_server_it_started(
    up_process: UpProcess, stop_signal: signal.Signals
) -> None:
    servers: dict[str, int] = {}
    while len(servers) < 2:
        match = up_process.wait_for(SERVER_AT)
        servers[match.group(1)] = int(match.group(2))
    up_process.wait_for(READY)
    children = up_process.descendants()
    assert len(children) >= 3  # dnmonster, redis-server, chalice local
    ports = [*servers.values(), up_process.port]
    assert all(accepts_connections(port) for port in ports)

    up_process.process.send_signal(stop_signal)
    assert up_process.exit_code() == 0, up_process.transcript()

    assert [p for p in children if p.is_running()] == []
    assert processes_started_by(up_process.process.pid) == []
    assert [port for port in ports if accepts_connections(port)] == []


def test_when_one_server_dies_up_stops_the_others_and_fails(up_process: UpProcess) -> None:
    up_process.wait_for(READY)
    children = up_process.descendants()
    (redis_server,) = [p for p in children if p.name() == "redis-server"]
    redis_server.kill()

    assert up_process.exit_code() == 1, up_process.transcript()
    assert "identidock_fn: redis exited on its own: stopping" in up_process.lines
    assert [p for p in children if p.is_running()] == []
    assert processes_started_by(up_process.process.pid) == []
    assert not accepts_connections(up_process.port)


@pytest.mark.parametrize(
    ("option", "value"),
    [("--redis-url", "http://127.0.0.1:6379"), ("--dnmonster-url", "127.0.0.1:8080")],
)
def test_a_malformed_url_option_is_refused_before_anything_starts(option: str, value: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "identidock_fn", "up", option, value],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=WAIT_SECONDS,
        check=False,
    )
    assert done.returncode == 2
    assert f"Invalid value for '{option}'" in done.stderr
    assert "Traceback" not in done.stderr

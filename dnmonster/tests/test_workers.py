"""The supervisor and its workers: a socket each, replacement, stop deadlines, no orphans."""

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dnmonster import server
from dnmonster.server import KILL_AFTER_SECONDS, ServeError

from .conftest import CLASSIC, PROJECT, READY, Client, free_port
from .test_server_process import alive, children, group_members

pytestmark = pytest.mark.integration
_TCP_LISTEN = "0A"  # the state column of /proc/net/tcp


def wait_for(condition: Callable[[], bool], seconds: float = 15.0) -> bool:
    """Poll `condition()` until it is true or the deadline passes."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def supervised() -> Iterator[tuple[subprocess.Popen[str], int]]:
    """`python -m dnmonster --workers 2` on a free port, ready; killed with its group at the end."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dnmonster", "--host", "127.0.0.1", "--port", str(port),
         "--sprites", str(CLASSIC), "--workers", "2"],
        cwd=PROJECT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().startswith(READY)
        assert wait_for(lambda: len(children(proc.pid)) == 2)
        yield proc, port
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        for pid in group_members(proc.pid):
            os.kill(pid, signal.SIGKILL)


def listening_sockets(port: int) -> int:
    """How many TCP sockets listen on `port` (IPv4), from /proc/net/tcp."""
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == _TCP_LISTEN:
            count += 1
    return count


def test_each_worker_listens_on_its_own_socket(
    supervised: tuple[subprocess.Popen[str], int],
) -> None:
    """One SO_REUSEPORT socket per worker (the kernel spreads connections over them); the
    supervisor's own socket only holds the address and never listens. The ready line comes once
    one worker answers, so the second may still be starting: wait for it, within a deadline."""
    _, port = supervised
    assert wait_for(lambda: listening_sockets(port) == 2)
    time.sleep(0.2)  # and no third socket shows up after them
    assert listening_sockets(port) == 2


def test_a_dead_worker_is_replaced(supervised: tuple[subprocess.Popen[str], int]) -> None:
    proc, port = supervised
    victim = children(proc.pid)[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: victim not in children(proc.pid) and len(children(proc.pid)) == 2)
    assert wait_for(lambda: listening_sockets(port) == 2)
    for _ in range(20):  # every connection finds a worker
        assert Client(port).get("/health").status == 200
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 0
    assert f"worker {victim} exited (-9), starting another" in stderr


def test_workers_stop_when_the_supervisor_is_killed(
    supervised: tuple[subprocess.Popen[str], int],
) -> None:
    proc, port = supervised
    workers = children(proc.pid)
    proc.kill()  # no chance to stop them: they notice on their own
    proc.wait(timeout=10)
    assert wait_for(lambda: not any(alive(w) for w in workers))
    assert listening_sockets(port) == 0


def test_a_stuck_worker_is_killed_at_the_stop_deadline(
    supervised: tuple[subprocess.Popen[str], int],
) -> None:
    proc, _ = supervised
    stuck, other = children(proc.pid)
    os.kill(stuck, signal.SIGSTOP)  # cannot act on SIGTERM
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=KILL_AFTER_SECONDS + 20) == 0
    assert not alive(stuck)
    assert not alive(other)


def test_a_worker_exiting_while_starting_fails_the_start() -> None:
    """Before any worker answered, a worker's exit means the start failed: stop, say so."""
    quitter = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    quitter.wait(timeout=30)
    lifeline, spare = os.pipe()
    os.close(spare)
    worker = server._Worker(quitter, lifeline, time.monotonic())
    with pytest.raises(ServeError, match=r"a worker exited while starting \(exit code 3\)"):
        server._supervise([worker], {}, threading.Event(), threading.Event())
    os.close(lifeline)

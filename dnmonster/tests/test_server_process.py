"""`python -m dnmonster` as a process: settings, the ready line, clean stops, clear failures."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import CLASSIC, PROJECT, READY, Client, dnmonster_executor, free_port

pytestmark = pytest.mark.integration


def run_dnmonster(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dnmonster", *args],
        cwd=PROJECT,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def children(pid: int) -> list[int]:
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    return [int(p) for p in text.split()]


def workers_of(pid: int) -> list[int]:
    """The children that are dnmonster workers."""
    found = []
    for child in children(pid):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except FileNotFoundError:
            continue
        if b"dnmonster.worker" in cmdline:
            found.append(child)
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def group_members(pgid: int) -> list[int]:
    """Live processes in a process group (read from /proc: no procps needed)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(stat.parent.name))
    return members


def wait_ready(proc: subprocess.Popen) -> str:
    line = proc.stdout.readline()  # the server prints exactly this one line when ready
    assert line.startswith(READY), line
    return line


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_ready_line_then_clean_stop_on_signal(sig: signal.Signals) -> None:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "dnmonster", "--host", "127.0.0.1", "--port", str(port),
         "--sprites", str(CLASSIC), "--workers", "2"],
        cwd=PROJECT, stdout=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        line = wait_ready(proc)
        assert f"http://127.0.0.1:{port} " in line
        assert "workers=2" in line
        assert Client(port).get("/health").status == 200  # ready means serving, not starting
        deadline = time.monotonic() + 30
        while len(workers_of(proc.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)  # ready means one worker answers; the second may still be starting
        workers = children(proc.pid)
        assert len(workers) == 2
        assert sorted(workers_of(proc.pid)) == sorted(workers)  # no other helper process
        proc.send_signal(sig)  # only the main process, as `docker stop` does to PID 1
        assert proc.wait(timeout=30) == 0
        assert proc.stdout.read() == ""  # nothing after the ready line
        deadline = time.monotonic() + 10
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not any(alive(w) for w in workers)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@pytest.mark.parametrize("delay", [0.0, 0.1, 0.2, 0.4])
def test_stop_while_starting_is_clean(delay: float) -> None:
    """A stop that lands while workers are still starting must not leave one serving on."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "dnmonster", "--host", "127.0.0.1", "--port", str(free_port()),
         "--sprites", str(CLASSIC), "--workers", "2"],
        cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        time.sleep(delay)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode in (0, -signal.SIGTERM)  # before handlers: the default action
        # The stop is whole whenever it lands: nothing keeps serving, no helper is left behind.
        assert "Traceback" not in stderr
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert group_members(proc.pid) == []


def test_environment_configures_everything(tmp_path: Path) -> None:
    data = json.loads(CLASSIC.read_text())
    data["legs"][0][0][0] = 1  # a different pack: every ETag must change
    pack = tmp_path / "pack.json"
    pack.write_text(json.dumps(data))
    port = free_port()
    env = {
        "DNMONSTER_HOST": "127.0.0.1",
        "DNMONSTER_PORT": str(port),
        "DNMONSTER_SPRITES": str(pack),
        "DNMONSTER_MAX_SIZE": "64",
        "DNMONSTER_WORKERS": "1",
    }
    with dnmonster_executor(env=env) as server:
        client = Client(port)
        assert client.get("/monster/x?size=64").status == 200
        too_big = client.get("/monster/x?size=65")
        assert too_big.status == 400
        assert too_big.body == b"size must be at most 64\n"
        etag = client.get("/monster/x?size=64").headers["etag"]
    assert server.running() is False
    port2 = free_port()
    flags = ["--port", str(port2), "--sprites", str(CLASSIC), "--max-size", "100"]
    with dnmonster_executor(*flags, env=env):  # flags win over the environment
        client = Client(port2)
        assert client.get("/monster/x?size=100").status == 200
        assert client.get("/monster/x?size=64").headers["etag"] != etag


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["--port", "http"], {}, "--port must be a whole number from 1 to 65535, got 'http'"),
        ([], {"DNMONSTER_PORT": "70000"}, "DNMONSTER_PORT must be a whole number from 1 to 65535"),
        ([], {"DNMONSTER_MAX_SIZE": "5"}, "DNMONSTER_MAX_SIZE must be a whole number from 12"),
        (["--workers", "0"], {}, "--workers must be a whole number from 1 to 64"),
        (["--sprites", "/nonexistent.json"], {}, "cannot read sprite pack"),
        (["--sprites", str(PROJECT / "pyproject.toml")], {}, "not valid JSON"),
    ],
)
def test_bad_settings_fail_fast_and_clearly(args: list[str], env: dict, message: str) -> None:
    result = run_dnmonster(*args, env=env)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_port_in_use_is_a_clear_error() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = run_dnmonster(
            "--host", "127.0.0.1", "--port", str(port), "--sprites", str(CLASSIC)
        )
    assert result.returncode == 1
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


def test_default_pack_is_served_without_flags() -> None:
    port = free_port()
    with dnmonster_executor(env={"DNMONSTER_HOST": "127.0.0.1", "DNMONSTER_PORT": str(port)}):
        client = Client(port)
        ours = client.get("/monster/Joe%20Bloggs?size=80")
        assert ours.status == 200
        assert ours.headers["content-type"] == "image/png"
    with dnmonster_executor("--host", "127.0.0.1", "--port", str(port), "--sprites", str(CLASSIC)):
        classic = Client(port).get("/monster/Joe%20Bloggs?size=80")
    assert classic.headers["etag"] != ours.headers["etag"]

"""The servers `up` starts: what they see of our environment, where they listen, and that they
die with `up` even when it is killed outright."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from chalicelib.config import ENV_VARS
from identidock_fn.services import free_port
from identidock_fn.services.chalice_local import AWS_VARIABLES
from identidock_fn.services.process import BASE_VARIABLES
from tests.integration.test_up import READY, WAIT_SECONDS, UpProcess, stop_up

pytestmark = pytest.mark.integration

SECRETS = {
    "IDENTIDOCK_TEST_SECRET": "parent-only-secret-1f0c",
    "REDIS_AUTH_TOKEN": "redis-token-for-another-redis-77aa",
    "AWS_SECRET_ACCESS_KEY": "aws-secret-for-the-app-only-93be",
}
MARKER = "mirakuru_uuid"
# Beyond BASE_VARIABLES and LC_*: what each server may find in its environment.
ALLOWED = {
    "dnmonster": {"PYTHONUNBUFFERED", "DNMONSTER_WORKERS", "DNMONSTER_MAX_SIZE", MARKER},
    "redis-server": {MARKER},
    # the function's own settings, and AWS access (SSM, Secrets Manager) when a stage needs it
    "app": {"PYTHONUNBUFFERED", MARKER, *ENV_VARS, *AWS_VARIABLES},
}


def environ_of(pid: int) -> dict[str, str]:
    """The environment a process was started with, from /proc (what any local reader sees)."""
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(): value.decode(errors="replace") for key, value in pairs}


def role(process: psutil.Process) -> str:
    command = " ".join(process.cmdline())
    if process.name() == "redis-server":
        return "redis-server"
    if "-m dnmonster" in command:
        return "dnmonster"
    if "identidock_fn.services.local_server" in command:
        return "app"
    return command


def servers_of(up: UpProcess) -> dict[str, psutil.Process]:
    """`up`'s direct children by role: dnmonster, redis-server and the app server."""
    children = psutil.Process(up.process.pid).children()
    return {role(child): child for child in children}


def still_alive(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            if process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            continue
    return alive


@pytest.fixture
def up_with_secrets() -> Iterator[UpProcess]:
    up = UpProcess(free_port(), env=SECRETS)
    try:
        up.wait_for(READY)
        yield up
    finally:
        stop_up(up)


def test_each_server_gets_only_the_environment_it_needs(up_with_secrets: UpProcess) -> None:
    servers = servers_of(up_with_secrets)
    assert set(servers) == {"dnmonster", "redis-server", "app"}
    for name, server in servers.items():
        for process in [server, *server.children(recursive=True)]:
            env = environ_of(process.pid)
            leaked = [key for key, value in env.items() if value in SECRETS.values()]
            if name == "app":  # the function's AWS access is the app server's business
                leaked = [key for key in leaked if key != "AWS_SECRET_ACCESS_KEY"]
            assert leaked == [], f"{name} (pid {process.pid}) got {leaked}"
        env = environ_of(server.pid)
        extra = {
            key
            for key in env
            if key not in BASE_VARIABLES and not key.startswith("LC_") and key not in ALLOWED[name]
        }
        assert extra == set(), f"{name} got {sorted(extra)}"
        assert "PATH" in env, f"{name}: {env}"
    app_env = environ_of(servers["app"].pid)
    assert app_env["DNMONSTER_URL"].startswith("http://127.0.0.1:")
    assert app_env["REDIS_URL"].startswith("redis://127.0.0.1:")
    assert "REDIS_AUTH_TOKEN" not in app_env  # our own Redis has no password


def test_every_server_listens_on_loopback_only(up_with_secrets: UpProcess) -> None:
    servers = servers_of(up_with_secrets)
    assert set(servers) == {"dnmonster", "redis-server", "app"}
    for name, server in servers.items():
        listening = [
            conn.laddr
            for process in [server, *server.children(recursive=True)]
            for conn in process.net_connections(kind="inet")
            if conn.status == psutil.CONN_LISTEN
        ]
        assert listening, f"{name} listens nowhere"
        assert {address.ip for address in listening} == {"127.0.0.1"}, f"{name}: {listening}"


def test_killing_up_outright_stops_every_server(up_with_secrets: UpProcess) -> None:
    up = up_with_secrets
    tree = up.descendants()
    assert {role(p) for p in psutil.Process(up.process.pid).children()} == {
        "dnmonster",
        "redis-server",
        "app",
    }
    up.process.send_signal(signal.SIGKILL)
    assert up.process.wait(timeout=WAIT_SECONDS) == -signal.SIGKILL

    psutil.wait_procs(tree, timeout=WAIT_SECONDS)
    assert still_alive(tree) == []

"""The server launchers start real processes that answer, stop with no leftovers, and restart."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import psutil
import pytest
import redis
import requests

from identidock_fn.paths import PROJECT_ROOT
from identidock_fn.services import DnmonsterServer, ManagedServer, RedisServer, ServiceError
from identidock_fn.services.process import base_environment

pytestmark = pytest.mark.integration

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def accepts_connections(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def assert_gone(pid: int) -> None:
    assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def stop_and_check_gone(service: ManagedServer) -> None:
    """Stop a running service: its process is gone and its port no longer answers."""
    pid = service.pid
    assert pid is not None
    service.stop()
    assert not service.running
    assert not accepts_connections(service.port)
    assert_gone(pid)


def test_free_port_can_be_bound(free_port: int) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", free_port))
    assert not accepts_connections(free_port)


def test_redis_serves_stops_and_restarts_on_the_same_port(redis_service: RedisServer) -> None:
    client = redis_service.client()
    client.set("name", b"value")
    assert client.get("name") == b"value"
    assert redis_service.url == f"redis://127.0.0.1:{redis_service.port}/0"
    stop_and_check_gone(redis_service)

    redis_service.start()
    assert redis_service.running
    assert client.ping()  # the same client reconnects to the same port
    assert client.get("name") is None  # nothing is persisted


def test_redis_fixture_starts_empty(redis_service: RedisServer) -> None:
    assert redis_service.client().dbsize() == 0


def test_tls_redis_accepts_right_password_with_ca_verification(
    redis_tls_service: RedisServer,
) -> None:
    assert redis_tls_service.url == f"rediss://127.0.0.1:{redis_tls_service.port}/0"
    assert redis_tls_service.ca_file is not None
    client = redis.Redis.from_url(
        redis_tls_service.url,
        password=redis_tls_service.password,
        ssl_ca_certs=str(redis_tls_service.ca_file),
        ssl_cert_reqs="required",
        ssl_check_hostname=True,
    )
    assert client.set("k", b"v")
    assert client.get("k") == b"v"


def test_tls_redis_refuses_a_plain_client(redis_tls_service: RedisServer) -> None:
    plain = redis.Redis(
        port=redis_tls_service.port,
        password=redis_tls_service.password,
        socket_timeout=5,
        retry_on_error=[],
    )
    with pytest.raises(redis.ConnectionError):
        plain.ping()


@pytest.mark.parametrize("password", ["wrong-password", None])
def test_tls_redis_refuses_a_wrong_or_missing_password(
    redis_tls_service: RedisServer, password: str | None
) -> None:
    client = redis_tls_service.client(password=password)
    with pytest.raises(
        (redis.AuthenticationError, redis.ResponseError), match=r"(?i)auth|password"
    ):
        client.ping()


def test_tls_redis_is_not_trusted_without_its_ca(redis_tls_service: RedisServer) -> None:
    client = redis.Redis.from_url(
        redis_tls_service.url,
        password=redis_tls_service.password,
        ssl_cert_reqs="required",
        socket_timeout=5,
    )
    with pytest.raises(redis.ConnectionError, match=r"(?i)certificate"):
        client.ping()


def test_tls_redis_restarts_with_the_same_port_password_and_ca(
    redis_tls_service: RedisServer,
) -> None:
    client = redis_tls_service.client()
    port, password, ca_file = (
        redis_tls_service.port,
        redis_tls_service.password,
        redis_tls_service.ca_file,
    )
    redis_tls_service.stop()
    assert not accepts_connections(port)
    redis_tls_service.start()
    assert (redis_tls_service.port, redis_tls_service.password) == (port, password)
    assert redis_tls_service.ca_file == ca_file
    assert client.ping()


def test_a_taken_port_is_a_clear_error(redis_service: RedisServer, tmp_path: Path) -> None:
    second = RedisServer(port=redis_service.port, workdir=tmp_path)
    with pytest.raises(ServiceError, match="did not start"):
        second.start()
    assert not second.running
    second.close()


def test_dnmonster_serves_stops_and_restarts_on_the_same_port(
    dnmonster_service: DnmonsterServer,
) -> None:
    url = dnmonster_service.url
    assert url == f"http://127.0.0.1:{dnmonster_service.port}"
    with requests.Session() as http:
        assert http.get(f"{url}/health", timeout=10).status_code == 200
        image = http.get(f"{url}/monster/alice", params={"size": 80}, timeout=30)
        assert image.status_code == 200
        assert image.content.startswith(PNG_SIGNATURE)
    stop_and_check_gone(dnmonster_service)

    dnmonster_service.start()
    assert requests.get(f"{url}/health", timeout=10).status_code == 200


def test_dnmonster_stop_leaves_no_process_of_its_group(
    dnmonster_service: DnmonsterServer,
) -> None:
    pid = dnmonster_service.pid
    assert pid is not None
    group = [p for p in psutil.process_iter() if _pgid(p.pid) == pid]
    assert group  # the server leads its own process group
    dnmonster_service.stop()
    for process in group:
        assert_gone(process.pid)


def _pgid(pid: int) -> int | None:
    try:
        return os.getpgid(pid)
    except ProcessLookupError:
        return None


# -- what a launched server gets, and that it ends with us -----------------------------------------

SECRET = "launcher-parent-secret-5d1e"


def _environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = (item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item)
    return {key.decode(): value.decode(errors="replace") for key, value in pairs}


def test_a_launched_server_gets_only_its_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REDIS_AUTH_TOKEN", SECRET)
    monkeypatch.setenv("IDENTIDOCK_TEST_SECRET", SECRET)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    servers: list[ManagedServer] = [
        RedisServer(tls=True, workdir=tmp_path / "redis"),
        DnmonsterServer(workdir=tmp_path / "dnmonster", env={"DNMONSTER_WORKERS": "1"}),
    ]
    try:
        for server in servers:
            server.start()
            assert server.pid is not None
            env = _environ_of(server.pid)
            assert SECRET not in env.values(), f"{server.name}: {env}"
            assert env["PATH"] == os.environ["PATH"]
            assert env["LC_ALL"] == "C.UTF-8"
            assert env["mirakuru_uuid"]  # stop() finds leftovers by it
            assert set(env) <= set(base_environment()) | {
                "mirakuru_uuid",
                "PYTHONUNBUFFERED",
                "DNMONSTER_WORKERS",
            }, server.name
        assert _environ_of(servers[1].pid or 0)["DNMONSTER_WORKERS"] == "1"
    finally:
        for server in servers:
            server.close()


def test_the_redis_password_is_not_on_its_command_line(redis_tls_service: RedisServer) -> None:
    assert redis_tls_service.pid is not None
    assert redis_tls_service.password
    command = " ".join(psutil.Process(redis_tls_service.pid).cmdline())
    assert redis_tls_service.password not in command  # anyone on the machine can read it there
    (config,) = redis_tls_service.workdir.glob("*.conf")
    assert config.stat().st_mode & 0o777 == 0o600


def test_a_password_with_quotes_and_backslashes_works(tmp_path: Path) -> None:
    password = "a\"b\\c d'e\n#f"
    with RedisServer(password=password, workdir=tmp_path) as server:
        assert server.client().ping()
        with pytest.raises(redis.AuthenticationError):
            server.client(password="a").ping()


STARTER = """
import sys, time
from identidock_fn.services import DnmonsterServer, RedisServer
servers = [RedisServer().start(), DnmonsterServer().start()]
print(*[server.pid for server in servers], flush=True)
time.sleep(600)
"""


def test_servers_stop_when_the_process_that_started_them_is_killed() -> None:
    starter = subprocess.Popen(
        [sys.executable, "-c", STARTER],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert starter.stdout is not None
        pids = [int(pid) for pid in starter.stdout.readline().split()]
        assert len(pids) == 2, "the starter did not start its servers"
        tree = [psutil.Process(pid) for pid in pids]
        tree += [child for server in list(tree) for child in server.children(recursive=True)]
        starter.kill()  # SIGKILL: nothing of ours runs to stop them
        starter.wait(timeout=60)
        psutil.wait_procs(tree, timeout=60)
        alive = [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
        assert alive == []
    finally:
        if starter.poll() is None:
            starter.kill()
            starter.wait()

"""The server launchers start real processes that answer, stop with no leftovers, and restart."""

from __future__ import annotations

import os
import socket

import psutil
import pytest
import redis
import requests

from identidock_fn.services import DnmonsterServer, ManagedServer, RedisServer, ServiceError

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


def test_a_taken_port_is_a_clear_error(redis_service: RedisServer, tmp_path) -> None:
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

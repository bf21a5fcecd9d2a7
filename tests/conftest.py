"""Shared fixtures: real servers on free loopback ports, always stopped afterwards.

Each server lives for one test module; the function-scoped fixture a test asks for restarts it if
an earlier test stopped it, and empties Redis, so tests do not see each other's data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import pytest

from identidock_fn.services import DnmonsterServer, ManagedServer, RedisServer
from identidock_fn.services import free_port as _free
from tests.e2e.stack import cli_env, processes_under, run_cli
from tests.support.upstream import UpstreamServer

if TYPE_CHECKING:
    from chalice.test import Client

Server = TypeVar("Server", bound=ManagedServer)


def _serve(server: Server) -> Iterator[Server]:
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    return _free()


@pytest.fixture(scope="module")
def dnmonster_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DnmonsterServer]:
    yield from _serve(DnmonsterServer(workdir=tmp_path_factory.mktemp("dnmonster")))


@pytest.fixture(scope="module")
def redis_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from _serve(RedisServer(workdir=tmp_path_factory.mktemp("redis")))


@pytest.fixture(scope="module")
def redis_tls_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    yield from _serve(RedisServer(tls=True, workdir=tmp_path_factory.mktemp("redis-tls")))


@pytest.fixture
def dnmonster_service(dnmonster_module: DnmonsterServer) -> DnmonsterServer:
    """Our dnmonster over HTTP: `.url` is `http://127.0.0.1:PORT`."""
    return dnmonster_module.start()


@pytest.fixture
def redis_service(redis_module: RedisServer) -> RedisServer:
    """A plain, empty `redis-server`: `.url` is `redis://127.0.0.1:PORT/0`, `.client()`."""
    redis_module.start().client().flushall()
    return redis_module


@pytest.fixture
def redis_tls_service(redis_tls_module: RedisServer) -> RedisServer:
    """An empty ElastiCache-like `redis-server`: TLS only (`rediss://`), `.password`, `.ca_file`."""
    redis_tls_module.start().client().flushall()
    return redis_tls_module


@pytest.fixture
def clean_function_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No identidock variable leaks in from the shell; no cache or secret survives a test."""
    from chalicelib import aws_secrets
    from chalicelib.cache import forget_cache
    from chalicelib.config import ENV_VARS
    from chalicelib.images import forget_dnmonster

    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    forget_cache()
    forget_dnmonster()
    aws_secrets.ssm_secure_string.cache_clear()
    aws_secrets.secret_string.cache_clear()
    yield
    forget_cache()
    forget_dnmonster()


@pytest.fixture
def counted(dnmonster_service: DnmonsterServer) -> Iterator[UpstreamServer]:
    """The real dnmonster behind a small real HTTP proxy that counts the calls it receives."""
    with UpstreamServer(proxy_to=dnmonster_service.url) as proxy:
        yield proxy


@pytest.fixture
def client_on_redis(
    monkeypatch: pytest.MonkeyPatch, redis_service: RedisServer, counted: UpstreamServer
) -> Iterator[Client]:
    """Chalice's test client for the app on a real Redis and the counted real dnmonster."""
    from chalice.test import Client

    from app import app

    monkeypatch.setenv("REDIS_URL", redis_service.url)
    monkeypatch.setenv("DNMONSTER_URL", counted.url)
    with Client(app, stage_name="integration-test") as test_client:
        yield test_client


# LocalStack for the session, shared by the e2e and browser suites (started on first use).
@pytest.fixture(scope="session")
def e2e_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("e2e")


@pytest.fixture(scope="session")
def e2e_env(e2e_base: Path) -> Iterator[dict[str, str]]:
    """This suite's LocalStack, up for the session and down (with nothing left) at its end."""
    env = cli_env(e2e_base)
    run_cli(env, "localstack", "up")
    yield env
    run_cli(env, "localstack", "down")
    assert processes_under(e2e_base) == []

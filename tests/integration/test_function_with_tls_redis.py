"""The function against an ElastiCache-like redis-server: TLS only, with an AUTH token."""

from __future__ import annotations

import secrets

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

from app import app
from chalicelib.cache import RedisCache, get_cache
from chalicelib.config import get_settings
from tests.support.upstream import UpstreamServer, is_png

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_function_state")]


IMG = {"Accept": "image/webp,*/*"}


@pytest.fixture
def tls_env(monkeypatch: pytest.MonkeyPatch, redis_tls_service, counted: UpstreamServer) -> None:
    monkeypatch.setenv("REDIS_URL", redis_tls_service.url)
    monkeypatch.setenv("REDIS_CA_FILE", str(redis_tls_service.ca_file))
    monkeypatch.setenv("DNMONSTER_URL", counted.url)


def get_twice(name: str) -> list[bytes]:
    with Client(app, stage_name="integration-test") as client:
        bodies = []
        for _ in range(2):
            response = client.http.get(f"/monster/{name}", headers=IMG)
            assert response.status_code == 200
            assert is_png(response.body)
            bodies.append(response.body)
        return bodies


def test_tls_and_auth_token_cache_hit(
    tls_env: None, monkeypatch: pytest.MonkeyPatch, redis_tls_service, counted: UpstreamServer
) -> None:
    monkeypatch.setenv("REDIS_AUTH_TOKEN", redis_tls_service.password)
    name = secrets.token_hex(32)
    first, second = get_twice(name)
    assert first == second
    assert counted.calls == 1
    cache = get_cache(get_settings().cache)
    assert isinstance(cache, RedisCache)
    assert cache.breaker.state == "closed"
    assert len(redis_tls_service.client().keys("identidock:v1:monster:*")) == 1


def test_auth_token_from_secrets_manager(
    tls_env: None, monkeypatch: pytest.MonkeyPatch, redis_tls_service, counted: UpstreamServer
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        boto3.client("secretsmanager").create_secret(
            Name="identidock/redis", SecretString=f'{{"token": "{redis_tls_service.password}"}}'
        )
        monkeypatch.setenv("REDIS_AUTH_SECRET_ID", "identidock/redis")
        get_twice(secrets.token_hex(32))
    assert counted.calls == 1
    assert len(redis_tls_service.client().keys("identidock:v1:monster:*")) == 1


def test_wrong_token_fails_open(
    tls_env: None,
    monkeypatch: pytest.MonkeyPatch,
    redis_tls_service,
    counted: UpstreamServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("REDIS_AUTH_TOKEN", "not-the-token")
    get_twice(secrets.token_hex(32))
    assert counted.calls == 2  # served both times, from dnmonster
    assert "AuthenticationError" in capsys.readouterr().out
    assert get_cache(get_settings().cache).breaker.state == "open"
    assert redis_tls_service.client().keys("*") == []


def test_certificate_is_verified(
    tls_env: None,
    monkeypatch: pytest.MonkeyPatch,
    redis_tls_service,
    counted: UpstreamServer,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Without our CA the server's certificate is not trusted: no cache, still served."""
    monkeypatch.delenv("REDIS_CA_FILE")
    monkeypatch.setenv("REDIS_AUTH_TOKEN", redis_tls_service.password)
    get_twice(secrets.token_hex(32))
    assert counted.calls == 2
    assert redis_tls_service.client().keys("*") == []
    assert "CERTIFICATE_VERIFY_FAILED" in capsys.readouterr().out

"""Unit-test fixtures: the app under chalice.test.Client, a scripted upstream, clean state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from app import app
from chalicelib import aws_secrets
from chalicelib.cache import forget_cache
from chalicelib.config import ENV_VARS
from tests.unit.upstream_server import UpstreamServer


@pytest.fixture(autouse=True)
def clean_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No identidock variable leaks in from the shell; no cache or secret survives a test."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    forget_cache()
    aws_secrets.ssm_secure_string.cache_clear()
    aws_secrets.secret_string.cache_clear()
    yield
    forget_cache()


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Iterator[UpstreamServer]:
    """A real HTTP server answering valid PNGs, configured as DNMONSTER_URL."""
    with UpstreamServer() as server:
        monkeypatch.setenv("DNMONSTER_URL", server.url)
        monkeypatch.setenv("DNMONSTER_READ_TIMEOUT", "0.5")
        yield server


@pytest.fixture
def client() -> Iterator[Client]:
    # A stage that is not in .chalice/config.json: no stage variables override the test's env.
    with Client(app, stage_name="unit-test") as test_client:
        yield test_client

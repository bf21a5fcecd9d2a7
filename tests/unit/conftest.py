"""Unit-test fixtures: the app under chalice.test.Client, a scripted upstream, clean state."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from chalice.test import Client

from app import app
from tests.support.upstream import UpstreamServer


@pytest.fixture(autouse=True)
def clean_state(clean_function_state: None) -> None:
    """Every unit test starts from clean configuration, cache and secrets."""


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch) -> Iterator[UpstreamServer]:
    """A real HTTP server answering valid PNGs, configured as DNMONSTER_URL."""
    with UpstreamServer() as server:
        monkeypatch.setenv("DNMONSTER_URL", server.url)
        monkeypatch.setenv("DNMONSTER_TIMEOUT", "0.5")
        yield server


@pytest.fixture
def client() -> Iterator[Client]:
    # A stage that is not in .chalice/config.json: no stage variables override the test's env.
    with Client(app, stage_name="unit-test") as test_client:
        yield test_client

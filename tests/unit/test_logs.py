"""One structured JSON log line per request, and the start-up line naming the cache backend."""

from __future__ import annotations

import json

import pytest
from chalice.test import Client

from chalicelib.logs import finish_request, start_request
from chalicelib.startup import cold_start
from tests.support.gateway import IMAGE_ACCEPT
from tests.support.upstream import Answer, UpstreamServer


def log_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def requests_logged(text: str) -> list[dict]:
    return [line for line in log_lines(text) if line["event"] == "request"]


def test_one_line_per_request_with_cache_result(
    client: Client, upstream: UpstreamServer, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    client.http.get("/monster/abc", headers={"Accept": IMAGE_ACCEPT})
    client.http.get("/monster/abc", headers={"Accept": IMAGE_ACCEPT})
    etag = client.http.get("/monster/abc", headers={"Accept": IMAGE_ACCEPT}).headers["ETag"]
    client.http.get("/monster/abc", headers={"Accept": IMAGE_ACCEPT, "If-None-Match": etag})
    first, second, _third, fourth = requests_logged(capsys.readouterr().out)
    assert first["route"] == "/monster/{name}"
    assert first["status"] == 200
    assert first["cache"] == "miss"
    assert first["dnmonster_ms"] > 0
    assert first["total_ms"] >= first["dnmonster_ms"]
    assert second["cache"] == "hit"
    assert second["dnmonster_ms"] is None
    assert fourth["status"] == 304
    assert fourth["cache"] == "bypass"


def test_failed_dnmonster_call_is_logged_with_its_time(
    client: Client, upstream: UpstreamServer, capsys: pytest.CaptureFixture[str]
) -> None:
    upstream.answer = Answer(status=500, content_type="text/plain", body=b"boom")
    capsys.readouterr()
    client.http.get("/monster/abc", headers={"Accept": IMAGE_ACCEPT})
    (line,) = requests_logged(capsys.readouterr().out)
    assert line["status"] == 502
    assert line["cache"] == "miss"
    assert line["dnmonster_ms"] > 0


def test_start_up_line_says_which_cache(capsys: pytest.CaptureFixture[str]) -> None:
    assert cold_start() is True
    lines = log_lines(capsys.readouterr().out)
    backend = next(line for line in lines if line["event"] == "cache_backend")
    assert backend["backend"] == "memory"
    assert "in-process LRU" in backend["reason"]
    startup = next(line for line in lines if line["event"] == "startup")
    assert startup["ready"] is True
    assert startup["cache_backend"] == "memory"


def test_start_up_in_prod_without_salt_says_it_refuses(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("IDENTIDOCK_STAGE", "prod")
    assert cold_start() is False
    lines = log_lines(capsys.readouterr().out)
    startup = next(line for line in lines if line["event"] == "startup")
    assert startup["ready"] is False
    assert "refusing to serve" in startup["reason"]


def test_the_request_line_keeps_its_keys_first_and_adds_the_new_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    record = start_request("/", "GET")
    capsys.readouterr()
    finish_request(record, 200, "req-1")
    (line,) = requests_logged(capsys.readouterr().out)
    assert list(line)[:9] == [
        "event",
        "route",
        "method",
        "status",
        "cache",
        "dnmonster_ms",
        "total_ms",
        "request_id",
        "dnmonster_error",
    ]
    assert (line["dnmonster_error"], line["breakers_opened"]) == (None, [])
    assert "_aws" in line  # the EMF metadata (tests/unit/test_metrics.py checks it)

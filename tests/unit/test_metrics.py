"""EMF metadata on each request's log line: valid by the specification, and counting right.

The lines come from real handler calls (chalice.test.Client against a real upstream HTTP server)
and from `finish_request` with the fields the image service fills in.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from chalice.test import Client

from chalicelib.logs import finish_request, start_request
from chalicelib.metrics import NAMESPACE, emf_fields, status_class
from tests.support.emf import emf_problems
from tests.support.gateway import IMAGE_ACCEPT
from tests.support.upstream import Answer, UpstreamServer


def request_lines(text: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    return [line for line in lines if line["event"] == "request"]


def metrics_of(line: dict[str, Any]) -> dict[tuple[str, ...], set[str]]:
    """Dimension set -> names of the metrics extracted with it."""
    found: dict[tuple[str, ...], set[str]] = {}
    for directive in line["_aws"]["CloudWatchMetrics"]:
        assert directive["Namespace"] == NAMESPACE
        for dimensions in directive["Dimensions"]:
            found.setdefault(tuple(dimensions), set()).update(
                m["Name"] for m in directive["Metrics"]
            )
    return found


def sample_count_series(line: dict[str, Any]) -> set[tuple[tuple[str, str], ...]]:
    """The total_ms series this line adds a sample to, as (dimension, value) tuples."""
    series = set()
    for directive in line["_aws"]["CloudWatchMetrics"]:
        if [m["Name"] for m in directive["Metrics"]] == ["total_ms"]:
            for dimensions in directive["Dimensions"]:
                series.add(tuple((name, line[name]) for name in dimensions))
    return series


def test_lines_from_real_handler_calls_are_valid_emf_and_count_what_happened(
    client: Client,
    upstream: UpstreamServer,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "identidock-fn-prod-api")
    capsys.readouterr()
    client.http.get("/monster/abc", headers={"Accept": IMAGE_ACCEPT})
    etag = client.http.get("/monster/abc", headers={"Accept": IMAGE_ACCEPT}).headers["ETag"]
    client.http.get("/monster/abc", headers={"Accept": IMAGE_ACCEPT, "If-None-Match": etag})
    client.http.get("/monster/" + "x" * 5000, headers={"Accept": IMAGE_ACCEPT})
    miss, hit, not_modified, bad = request_lines(capsys.readouterr().out)
    fn = ("function", "identidock-fn-prod-api")
    for line in (miss, hit, not_modified, bad):
        assert emf_problems(line) == [], line
        assert line["function"] == "identidock-fn-prod-api"
        assert metrics_of(line)[("function",)] >= {"total_ms"}
        route = ("route", "/monster/{name}")
        assert sample_count_series(line) == {
            (fn,),
            (fn, route, ("status_class", line["status_class"])),
            (fn, ("cache", line["cache"])),
        }
    assert (miss["cache"], miss["status_class"]) == ("miss", "2xx")
    assert "dnmonster_ms" in metrics_of(miss)[("function",)]
    assert hit["cache"] == "hit"
    assert hit["dnmonster_ms"] is None  # the key the line always had
    assert "dnmonster_ms" not in metrics_of(hit)[("function",)]
    assert (not_modified["status_class"], not_modified["cache"]) == ("3xx", "bypass")
    assert bad["status_class"] == "4xx"
    for line in (miss, hit, not_modified, bad):  # nothing failed, nothing opened
        assert "dnmonster_errors" not in line
        assert not any(key.endswith("_breaker_openings") for key in line)


def test_a_failed_dnmonster_call_counts_as_a_call_in_the_5xx_class(
    client: Client, upstream: UpstreamServer, capsys: pytest.CaptureFixture[str]
) -> None:
    upstream.answer = Answer(status=500, content_type="text/plain", body=b"boom")
    capsys.readouterr()
    client.http.get("/monster/abc", headers={"Accept": IMAGE_ACCEPT})
    (line,) = request_lines(capsys.readouterr().out)
    assert emf_problems(line) == []
    assert line["status_class"] == "5xx"
    assert "dnmonster_ms" in metrics_of(line)[("function",)]  # its sample count counts calls
    assert line["function"] == "local"  # outside Lambda


def test_dnmonster_errors_and_breaker_openings_become_metrics(
    capsys: pytest.CaptureFixture[str],
) -> None:
    record = start_request("/monster/{name}", "GET")
    record.cache = "bypass"
    record.add_dnmonster_ms(3.5)
    record.dnmonster_error = "timeout"
    record.breakers_opened.extend(["redis", "dnmonster"])
    capsys.readouterr()
    finish_request(record, 504, "req-1")
    (line,) = request_lines(capsys.readouterr().out)
    assert emf_problems(line) == []
    # the keys the line always had, unchanged
    assert line["event"] == "request"
    assert line["route"] == "/monster/{name}"
    assert (line["method"], line["status"], line["request_id"]) == ("GET", 504, "req-1")
    assert (line["cache"], line["dnmonster_ms"]) == ("bypass", 3.5)
    assert isinstance(line["total_ms"], float)
    assert line["dnmonster_error"] == "timeout"
    assert line["breakers_opened"] == ["redis", "dnmonster"]
    assert line["dnmonster_errors"] == 1
    assert (line["redis_breaker_openings"], line["dnmonster_breaker_openings"]) == (1, 1)
    found = metrics_of(line)
    assert found[("function", "dnmonster_error")] == {"dnmonster_errors"}
    assert {"dnmonster_errors", "dnmonster_ms", "total_ms"} <= found[("function",)]
    assert {"redis_breaker_openings", "dnmonster_breaker_openings"} <= found[("function",)]


def test_only_known_breakers_become_metric_names() -> None:
    fields = emf_fields(
        route="/",
        status=200,
        cache="hit",
        total_ms=1.0,
        dnmonster_ms=None,
        dnmonster_error=None,
        breakers_opened=["redis", "something-else"],
        now_ms=1_700_000_000_000,
    )
    assert emf_problems(fields) == []
    assert fields["redis_breaker_openings"] == 1
    assert not any("something" in key for key in fields)
    assert fields["_aws"]["Timestamp"] == 1_700_000_000_000


@pytest.mark.parametrize(
    ("status", "expected"), [(200, "2xx"), (304, "3xx"), (429, "4xx"), (503, "5xx"), (42, "other")]
)
def test_status_classes_are_bounded(status: int, expected: str) -> None:
    assert status_class(status) == expected

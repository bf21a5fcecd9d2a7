"""CloudWatch Embedded Metric Format (EMF) metadata for the per-request log line.

CloudWatch Logs extracts metrics from any JSON log line whose `_aws` member names them, so the
function publishes its metrics by writing the line it writes anyway: no API call, no agent, no
extra latency. The metadata points at members of the line itself (EMF "target members"), in the
`identidock` namespace, and every metric carries the `function` dimension (the Lambda's name, so
two stages in one account never mix):

- `total_ms` by function; by function, route and status class; by function and cache result
  (hit, miss, bypass, error). Its sample count is the request count, so requests by route and
  status class and the cache results cost no extra member on the line;
- `dnmonster_ms` by function when the request called dnmonster (its sample count: the calls);
- `dnmonster_errors` (1) by function and by kind (`dnmonster_error`) when a call failed;
- `redis_breaker_openings` / `dnmonster_breaker_openings` (1) when that breaker opened.

The line grows by about 400 bytes, CloudWatch Logs' ingestion being the cost (docs/aws.md).
infra/template.yaml's alarms and dashboard read exactly these names. A small emitter rather than
Powertools' `Metrics` or `aws-embedded-metrics`: docs/aws.md has their measured import time and
zip size.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable
from typing import Any

NAMESPACE = "identidock"
#: The Lambda runtime sets it; outside Lambda the dimension says "local".
FUNCTION_ENV = "AWS_LAMBDA_FUNCTION_NAME"
LOCAL_FUNCTION = "local"
#: CloudWatch accepts dimension values up to 1024 characters; ours are short by construction.
MAX_DIMENSION_CHARS = 128
BREAKERS = ("redis", "dnmonster")

REQUEST_DIMENSIONS = [["function"], ["function", "route", "status_class"], ["function", "cache"]]


def status_class(status: int) -> str:
    """`2xx`, `4xx`, ...: bounded, so every route has at most five request series."""
    return f"{status // 100}xx" if 100 <= status <= 599 else "other"


def _dimension_value(value: str) -> str:
    return value[:MAX_DIMENSION_CHARS] if value else "unknown"


def function_name() -> str:
    return _dimension_value(os.environ.get(FUNCTION_ENV) or LOCAL_FUNCTION)


def _directive(dimensions: list[list[str]], name: str, unit: str) -> dict[str, Any]:
    return {
        "Namespace": NAMESPACE,
        "Dimensions": dimensions,
        "Metrics": [{"Name": name, "Unit": unit}],
    }


def emf_fields(
    *,
    route: str,
    status: int,
    cache: str,
    total_ms: float,
    dnmonster_ms: float | None,
    dnmonster_error: str | None,
    breakers_opened: Iterable[str],
    now_ms: int | None = None,
) -> dict[str, Any]:
    """The members to add to a request's log line: `_aws` and every member it refers to.

    The request line already holds route, cache, total_ms, dnmonster_ms and dnmonster_error;
    they come back here with the same values (dimension values bounded), so this can be checked
    against the specification on its own."""
    fields: dict[str, Any] = {
        "function": function_name(),
        "route": _dimension_value(route),
        "status_class": status_class(status),
        "cache": _dimension_value(cache),
        "total_ms": total_ms,
    }
    directives = [_directive(REQUEST_DIMENSIONS, "total_ms", "Milliseconds")]
    if dnmonster_ms is not None:
        fields["dnmonster_ms"] = dnmonster_ms
        directives.append(_directive([["function"]], "dnmonster_ms", "Milliseconds"))
    if dnmonster_error is not None:
        fields["dnmonster_error"] = _dimension_value(dnmonster_error)
        fields["dnmonster_errors"] = 1
        kinds = [["function"], ["function", "dnmonster_error"]]
        directives.append(_directive(kinds, "dnmonster_errors", "Count"))
    for breaker in sorted(set(breakers_opened) & set(BREAKERS)):
        fields[f"{breaker}_breaker_openings"] = 1
        directives.append(_directive([["function"]], f"{breaker}_breaker_openings", "Count"))
    timestamp = now_ms if now_ms is not None else int(time.time() * 1000)
    fields["_aws"] = {"Timestamp": timestamp, "CloudWatchMetrics": directives}
    return fields

"""The function's request lines reach CloudWatch Logs as valid Embedded Metric Format documents.

LocalStack's free edition stores a function's output in CloudWatch Logs (it does not extract
metrics from it, so this checks the documents, not the metrics): the line for a request made
through API Gateway is there, under the function's log group, and passes the EMF specification.
"""

import json
import time
import uuid
from typing import Any

import pytest
import requests

from identidock_fn.bench.events import IMAGE_ACCEPT
from tests.e2e.stack import Deployment, aws_client
from tests.support.emf import emf_problems

pytestmark = pytest.mark.e2e

FUNCTION = "identidock-fn-localstack"  # Chalice's app_name and the stage
LOG_GROUP = f"/aws/lambda/{FUNCTION}"
WAIT_SECONDS = 60.0


def request_lines(deployment: Deployment, marker: str) -> list[dict[str, Any]]:
    """The JSON request lines in the function's log group whose route or path mention marker."""
    logs = aws_client(deployment.env, "logs")
    found: list[dict[str, Any]] = []
    pages = logs.get_paginator("filter_log_events").paginate(
        logGroupName=LOG_GROUP, filterPattern='"request"'
    )
    for page in pages:
        for event in page.get("events", []):
            message = event["message"].strip()
            if not message.startswith("{"):
                continue
            line = json.loads(message)
            if line.get("event") == "request" and marker in json.dumps(line):
                found.append(line)
    return found


def test_a_request_line_in_cloudwatch_logs_is_valid_emf(deployment: Deployment) -> None:
    name = f"emf-{uuid.uuid4().hex}"
    answer = requests.get(
        f"{deployment.url}monster/{name}", headers={"Accept": IMAGE_ACCEPT}, timeout=30
    )
    assert answer.status_code == 200
    deadline = time.monotonic() + WAIT_SECONDS
    lines: list[dict[str, Any]] = []
    while time.monotonic() < deadline:
        lines = [line for line in request_lines(deployment, "/monster/") if line["status"] == 200]
        if lines:
            break
        time.sleep(1)
    assert lines, f"no request line reached {LOG_GROUP} within {WAIT_SECONDS:.0f} s"
    line = lines[-1]
    assert emf_problems(line) == []
    assert line["function"] == FUNCTION
    assert line["route"] == "/monster/{name}"
    assert line["cache"] in ("hit", "miss")

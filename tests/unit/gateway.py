"""Helpers to call the app the way API Gateway does, and the Accept headers browsers send."""

from __future__ import annotations

import base64
import json
from typing import Any

from app import app

#: What Chrome sends when navigating to a page, and for an <img> (Firefox and Safari differ a
#: little, see test_gateway_events.py).
BROWSER_PAGE_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
IMAGE_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"


def gateway_event(
    method: str = "GET",
    *,
    resource: str = "/",
    path: str = "/",
    stage_path: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    path_parameters: dict[str, str] | None = None,
    body: bytes | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """An API Gateway REST proxy event as AWS sends it (stage prefix only in requestContext)."""
    encoded: str | None = None
    if body is not None:
        encoded = base64.b64encode(body).decode() if base64_body else body.decode()
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in (headers or {}).items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": resource,
            "httpMethod": method,
            "path": stage_path if stage_path is not None else "/api" + path,
            "stage": "api",
            "requestId": "test-request",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": encoded,
        "isBase64Encoded": base64_body,
    }


def invoke(event: dict[str, Any]) -> dict[str, Any]:
    """Call the Lambda handler the way the runtime does; the result must be JSON-serializable."""
    response = app(event, None)
    json.dumps(response)
    return response

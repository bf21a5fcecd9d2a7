"""API Gateway REST (v1) proxy events and a Lambda context, as the Lambda receives them.

The one event builder for the benchmarks and the tests (`tests/support/gateway.py` calls the
handler with it), and the one table of the Accept headers browsers send.
"""

from __future__ import annotations

import base64
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

#: What browsers send, by client and kind of request (and curl's default).
BROWSER_ACCEPT = {
    "chrome-img": "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8",
    "firefox-img": "image/avif,image/webp,image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5",
    "safari-img": (
        "image/webp,image/avif,image/jxl,image/heic,image/heic-sequence,video/*;q=0.8,"
        "image/png,image/svg+xml,image/*;q=0.8,*/*;q=0.5"
    ),
    "chrome-navigate": (
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
        "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
    ),
    "firefox-navigate": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "curl": "*/*",
}
IMAGE_ACCEPT = BROWSER_ACCEPT["chrome-img"]
PAGE_ACCEPT = BROWSER_ACCEPT["firefox-navigate"]
CHROME_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
API_ID = "a1b2c3d4e5"
STAGE = "api"
REGION = "us-east-1"
DOMAIN = f"{API_ID}.execute-api.{REGION}.amazonaws.com"


def proxy_event(
    method: str = "GET",
    *,
    resource: str = "/",
    path: str = "/",
    stage: str = STAGE,
    stage_path: str | None = None,
    headers: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    path_parameters: dict[str, str] | None = None,
    body: bytes | None = None,
    base64_body: bool = False,
) -> dict[str, Any]:
    """An API Gateway REST proxy event as AWS sends it: the stage prefix only in
    requestContext.path (or `stage_path`), path parameters still percent-encoded."""
    encoded: str | None = None
    if body is not None:
        encoded = base64.b64encode(body).decode() if base64_body else body.decode()
    now = time.time()
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in (headers or {}).items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query,
        "pathParameters": path_parameters,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": resource,
            "httpMethod": method,
            "extendedRequestId": "aBcDeFgHiJkLmNo=",
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": stage_path if stage_path is not None else f"/{stage}{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": API_ID,
            "requestTimeEpoch": int(now * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {
                "sourceIp": "203.0.113.7",
                "userAgent": (headers or {}).get("User-Agent"),
                "accountId": None,
                "caller": None,
                "user": None,
                "userArn": None,
            },
            "domainName": DOMAIN,
            "apiId": API_ID,
        },
        "body": encoded,
        "isBase64Encoded": base64_body,
    }


def page_event(stage: str = STAGE) -> dict[str, Any]:
    """`GET /` as a browser navigating to the page sends it."""
    headers = {
        "Accept": PAGE_ACCEPT,
        "Accept-Language": "en-GB,en;q=0.9",
        "Host": DOMAIN,
        "User-Agent": CHROME_USER_AGENT,
        "X-Forwarded-Proto": "https",
    }
    return proxy_event(resource="/", path="/", stage=stage, headers=headers)


def monster_event(name: str, stage: str = STAGE) -> dict[str, Any]:
    """`GET /monster/{name}` from Chrome's <img>, with every header Chrome and CloudFront add."""
    segment = quote(name, safe="")
    headers = {
        "Accept": IMAGE_ACCEPT,
        "Accept-Encoding": "gzip, deflate, br, zstd",
        "Accept-Language": "en-GB,en;q=0.9",
        "Host": DOMAIN,
        "Referer": f"https://{DOMAIN}/{stage}/",
        "User-Agent": CHROME_USER_AGENT,
        "X-Amzn-Trace-Id": "Root=1-66a0b0c0-0123456789abcdef01234567",
        "X-Forwarded-For": "203.0.113.7, 130.176.0.1",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        "sec-fetch-dest": "image",
        "sec-fetch-mode": "no-cors",
        "sec-fetch-site": "same-origin",
    }
    return proxy_event(
        resource="/monster/{name}",
        path=f"/monster/{segment}",
        stage=stage,
        headers=headers,
        path_parameters={"name": segment},
    )


@dataclass
class LambdaContext:
    """The attributes of the Python runtime's context object that handlers use."""

    function_name: str = "identidock-fn-prod"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/identidock-fn-prod"
    log_stream_name: str = "2024/01/01/[$LATEST]0123456789abcdef"
    timeout_ms: int = 30_000
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:identidock-fn-prod"
    _started: float = field(default_factory=time.monotonic)

    def get_remaining_time_in_millis(self) -> int:
        elapsed = (time.monotonic() - self._started) * 1000
        return max(0, int(self.timeout_ms - elapsed))

"""A realistic API Gateway REST (v1) proxy event and Lambda context, as the Lambda receives them."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

# What Chrome sends for an <img> request.
CHROME_IMG_ACCEPT = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
CHROME_USER_AGENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)
API_ID = "a1b2c3d4e5"
STAGE = "api"
REGION = "us-east-1"
DOMAIN = f"{API_ID}.execute-api.{REGION}.amazonaws.com"


def monster_event(name: str, stage: str = STAGE) -> dict[str, Any]:
    """`GET /monster/{name}` from Chrome's <img>, through a REST API proxy integration."""
    path = f"/monster/{quote(name, safe='')}"
    headers = {
        "Accept": CHROME_IMG_ACCEPT,
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
    now = time.time()
    return {
        "resource": "/monster/{name}",
        "path": path,
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {key: [value] for key, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"name": name},
        "stageVariables": None,
        "requestContext": {
            "resourceId": "abc123",
            "resourcePath": "/monster/{name}",
            "httpMethod": "GET",
            "extendedRequestId": "aBcDeFgHiJkLmNo=",
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{stage}{path}",
            "accountId": "123456789012",
            "protocol": "HTTP/1.1",
            "stage": stage,
            "domainPrefix": API_ID,
            "requestTimeEpoch": int(now * 1000),
            "requestId": str(uuid.uuid4()),
            "identity": {
                "sourceIp": "203.0.113.7",
                "userAgent": CHROME_USER_AGENT,
                "accountId": None,
                "caller": None,
                "user": None,
                "userArn": None,
            },
            "domainName": DOMAIN,
            "apiId": API_ID,
        },
        "body": None,
        "isBase64Encoded": False,
    }


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

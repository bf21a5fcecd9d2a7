"""The function against the event shape AWS really sends, as our LocalStack plugin now sends it.

`AWS_EVENT` is a Lambda proxy event recorded on AWS (LocalStack's AWS-validated snapshot
`tests/aws/services/apigateway/test_apigateway_lambda.snapshot.json`,
`test_lambda_aws_proxy_integration`, recorded 2024-08-02; its placeholders filled in). Its headers
are the client's own (`python-requests` sent `Accept: */*` and its User-Agent) plus CloudFront's
and the X-Forwarded ones: nothing API Gateway invents, so a client without Accept gives an event
without Accept. With `*/*` among the binary media types AWS base64-encodes every request body
(the request's Content-Type matches), so a form arrives as `isBase64Encoded: true` holding the
bytes the browser sent. (docs/localstack.md, "Where LocalStack 4.13.1 differs from AWS".)
"""

from __future__ import annotations

import base64
import copy
from typing import Any

import pytest

from app import app
from tests.support.gateway import invoke
from tests.support.upstream import UpstreamServer

AWS_EVENT: dict[str, Any] = {
    "body": None,
    "headers": {
        "Accept": "*/*",
        "Accept-Encoding": "gzip, deflate",
        "CloudFront-Forwarded-Proto": "https",
        "CloudFront-Is-Desktop-Viewer": "true",
        "CloudFront-Is-Mobile-Viewer": "false",
        "CloudFront-Is-SmartTV-Viewer": "false",
        "CloudFront-Is-Tablet-Viewer": "false",
        "CloudFront-Viewer-ASN": "16509",
        "CloudFront-Viewer-Country": "US",
        "Host": "abc123.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "python-requests/testing",
        "Via": "1.1 0123456789abcdef.cloudfront.net (CloudFront)",
        "X-Amz-Cf-Id": "cf-id",
        "X-Amzn-Trace-Id": "Root=1-00000000-000000000000000000000000",
        "X-Forwarded-For": "203.0.113.7, 130.176.0.1",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
    },
    "httpMethod": "GET",
    "isBase64Encoded": False,
    "multiValueHeaders": {},  # filled from "headers" below, as AWS does for single values
    "multiValueQueryStringParameters": None,
    "path": "/",
    "pathParameters": None,
    "queryStringParameters": None,
    "requestContext": {
        "accountId": "111111111111",
        "apiId": "abc123",
        "deploymentId": "dep123",
        "domainName": "abc123.execute-api.us-east-1.amazonaws.com",
        "domainPrefix": "abc123",
        "extendedRequestId": "ext-id",
        "httpMethod": "GET",
        "identity": {"sourceIp": "203.0.113.7", "userAgent": "python-requests/testing"},
        "path": "/api/",
        "protocol": "HTTP/1.1",
        "requestId": "11111111-2222-3333-4444-555555555555",
        "requestTime": "02/Aug/2024:23:34:43 +0000",
        "requestTimeEpoch": 1722641683000,
        "resourceId": "res123",
        "resourcePath": "/",
        "stage": "api",
    },
    "resource": "/",
    "stageVariables": None,
}
FORM = "application/x-www-form-urlencoded"
PNG_AS_BASE64 = "iVBORw0KGgo"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def aws_event(
    method: str = "GET",
    *,
    name: str | None = None,
    accept: str | None = None,
    form: bytes | None = None,
) -> dict[str, Any]:
    """The recorded event for `GET /monster/{name}` or `GET|POST /`, with the client's Accept
    (none when `accept` is None) and a form body encoded as AWS encodes it with `*/*`."""
    event = copy.deepcopy(AWS_EVENT)
    headers: dict[str, str] = event["headers"]
    del headers["Accept"]
    if accept is not None:
        headers["Accept"] = accept
    if name is not None:
        event.update(
            resource="/monster/{name}", path=f"/monster/{name}", pathParameters={"name": name}
        )
        event["requestContext"].update(resourcePath="/monster/{name}", path=f"/api/monster/{name}")
    if form is not None:
        headers["Content-Type"] = FORM
        event["body"] = base64.b64encode(form).decode()
        event["isBase64Encoded"] = True
    event["httpMethod"] = event["requestContext"]["httpMethod"] = method
    event["multiValueHeaders"] = {key: [value] for key, value in headers.items()}
    return event


def test_the_binary_types_match_a_form_so_aws_base64_encodes_it() -> None:
    """Why `aws_event` base64-encodes forms: `*/*` is among the app's binary types."""
    assert "*/*" in app.api.binary_types


def test_image_without_accept_is_a_406_in_plain_text(upstream: UpstreamServer) -> None:
    response = invoke(aws_event(name="abc"))
    assert response["statusCode"] == 406
    assert not response.get("isBase64Encoded")
    assert response["headers"]["Content-Type"].startswith("text/plain")
    assert upstream.calls == 0


@pytest.mark.parametrize("accept", ["*/*", "image/png", "text/html,*/*;q=0.8"])
def test_image_for_an_accept_aws_matches_is_base64_for_the_gateway(
    upstream: UpstreamServer, accept: str
) -> None:
    response = invoke(aws_event(name="abc", accept=accept))
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]).startswith(PNG_SIGNATURE)
    assert upstream.calls == 1


@pytest.mark.parametrize(
    "accept", ["garbage", "", "image", ",image/png", ";q=1", "/", "image/png/x", "image/png x"]
)
def test_image_for_an_accept_that_is_no_media_type_is_a_406(
    upstream: UpstreamServer, accept: str
) -> None:
    """API Gateway matches the first Accept value; one that is no `type/subtype` matches no
    binary type (LocalStack's AWS-validated `test_aws_proxy_binary_response`: `application`), so
    a base64 PNG would reach the client as text labelled image/png. Needs the function to check
    the first value itself (docs/localstack.md)."""
    response = invoke(aws_event(name="abc", accept=accept))
    assert response["statusCode"] == 406, response
    assert not str(response.get("body", "")).startswith(PNG_AS_BASE64)
    assert upstream.calls == 0


@pytest.mark.parametrize("form", [b"name=%FF", b"name=%ED%A0%80", b"name=%C0%AF"])
def test_a_form_with_invalid_utf8_as_aws_sends_it_is_a_400(
    upstream: UpstreamServer, form: bytes
) -> None:
    response = invoke(aws_event("POST", accept="text/html", form=form))
    assert response["statusCode"] == 400
    assert response["headers"]["Content-Type"].startswith("text/html")
    assert upstream.calls == 0


def test_a_form_as_aws_sends_it_shows_that_name(upstream: UpstreamServer) -> None:
    response = invoke(aws_event("POST", accept="text/html", form=b"name=caf%C3%A9+%25FF"))
    assert response["statusCode"] == 200
    assert 'value="café %FF"' in response["body"]

"""The Lambda proxy event through a real LocalStack API Gateway against AWS's event shape.

A recording function answers with the event it got. AWS hands the function the client's own
headers (no Accept when the client sent none) and, with ``*/*`` among ``binaryMediaTypes``,
every request body base64-encoded exactly as sent. Stock LocalStack 4.13.1 differs on both
counts (``test_stock_*`` below run its own code in its virtual environment to show where).
"""

import base64
import http.client
import json
import subprocess
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

from identidock_fn.localstack import from_env

pytestmark = pytest.mark.integration

RECORDER = """
import json
def handle(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(event)}
"""
FORM = "application/x-www-form-urlencoded"


class Api:
    """A REST API whose every path and method goes to the recording function (AWS_PROXY)."""

    def __init__(self, stack: Any, function_arn: str, binary_media_types: list[str]) -> None:
        client = stack.client("apigateway")
        api = client.create_rest_api(name="recorder", binaryMediaTypes=binary_media_types)
        self.api_id = api["id"]
        root = client.get_resources(restApiId=self.api_id)["items"][0]["id"]
        proxy = client.create_resource(restApiId=self.api_id, parentId=root, pathPart="{proxy+}")
        uri = (
            "arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/"
            f"{function_arn}/invocations"
        )
        for resource in (root, proxy["id"]):
            client.put_method(
                restApiId=self.api_id,
                resourceId=resource,
                httpMethod="ANY",
                authorizationType="NONE",
            )
            client.put_integration(
                restApiId=self.api_id,
                resourceId=resource,
                httpMethod="ANY",
                type="AWS_PROXY",
                integrationHttpMethod="POST",
                uri=uri,
            )
        client.create_deployment(restApiId=self.api_id, stageName="test")
        self.netloc = urlsplit(stack.url).netloc
        self.prefix = f"/_aws/execute-api/{self.api_id}/test"

    def event(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None = None
    ) -> dict[str, Any]:
        """The event the function received; http.client adds no Accept of its own."""
        connection = http.client.HTTPConnection(self.netloc, timeout=60)
        try:
            connection.request(method, self.prefix + path, body=body, headers=headers)
            response = connection.getresponse()
            payload = response.read()
        finally:
            connection.close()
        assert response.status == 200, payload
        event: dict[str, Any] = json.loads(payload)
        return event


@pytest.fixture(scope="module")
def apis(localstack: Any, create_function: Any) -> Iterator[dict[str, Api]]:
    name = create_function(localstack, "event-recorder", RECORDER)
    arn = localstack.client("lambda").get_function(FunctionName=name)["Configuration"][
        "FunctionArn"
    ]
    made = {"*/*": Api(localstack, arn, ["*/*"]), "none": Api(localstack, arn, [])}
    yield made
    for api in made.values():
        localstack.client("apigateway").delete_rest_api(restApiId=api.api_id)
    localstack.client("lambda").delete_function(FunctionName=name)


def header(event: dict[str, Any], name: str) -> tuple[Any, Any]:
    """(headers value, multiValueHeaders value) of `name`, any casing; None when absent."""
    single = {k.lower(): v for k, v in (event["headers"] or {}).items()}
    multi = {k.lower(): v for k, v in (event["multiValueHeaders"] or {}).items()}
    return single.get(name.lower()), multi.get(name.lower())


def test_no_accept_from_the_client_means_no_accept_in_the_event(apis: dict[str, Api]) -> None:
    event = apis["*/*"].event("GET", "/monster/x", {})
    assert header(event, "Accept") == (None, None)
    assert header(event, "User-Agent")[0] is not None  # the other headers are still there


@pytest.mark.parametrize("accept", ["*/*", "garbage", "", "image/png,*/*;q=0.8"])
def test_the_clients_accept_reaches_the_event_unchanged(apis: dict[str, Api], accept: str) -> None:
    event = apis["*/*"].event("GET", "/monster/x", {"Accept": accept})
    assert header(event, "Accept") == (accept, [accept])


@pytest.mark.parametrize(
    "body", [b"name=%FF", b"name=%ED%A0%80", b"name=caf%C3%A9&name=x", b"name=a+b%26c"]
)
def test_a_form_body_arrives_as_sent_and_base64_encoded(apis: dict[str, Api], body: bytes) -> None:
    event = apis["*/*"].event("POST", "/", {"Content-Type": FORM, "Accept": "*/*"}, body)
    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"], validate=True) == body


def test_any_body_is_base64_when_binary_media_types_hold_star_slash_star(
    apis: dict[str, Api],
) -> None:
    body = json.dumps({"name": "zoë"}).encode()
    event = apis["*/*"].event("POST", "/", {"Content-Type": "application/json"}, body)
    assert (event["isBase64Encoded"], base64.b64decode(event["body"])) == (True, body)


def test_without_a_binary_match_a_text_body_is_text(apis: dict[str, Api]) -> None:
    event = apis["none"].event("POST", "/", {"Content-Type": FORM}, b"name=%FF")
    assert (event["isBase64Encoded"], event["body"]) == (False, "name=%FF")


def test_a_get_without_body_has_none(apis: dict[str, Api]) -> None:
    event = apis["*/*"].event("GET", "/", {"Accept": "text/html"})
    assert (event["body"], event["isBase64Encoded"]) == (None, False)


# -- stock LocalStack, run in its own virtual environment -------------------------------------
STOCK_SCRIPT = """
import json
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request
from localstack.services.apigateway.next_gen.execute_api.handlers import parse
from localstack.services.apigateway.next_gen.execute_api.handlers.integration_request import (
    IntegrationRequestHandler,
)
from localstack.aws.api.apigateway import IntegrationType
from identidock_lambda_executor.proxy_event_body import raw_payload
from werkzeug.datastructures import Headers

def form_request():
    builder = EnvironBuilder(method="POST", data=b"name=%FF",
                             content_type="application/x-www-form-urlencoded")
    return Request(builder.get_environ())

class Context:
    api_id = "api"
    trace_id = "trace"
    request = Request(EnvironBuilder(method="GET").get_environ())

headers = Headers()
IntegrationRequestHandler._apply_header_transforms(headers, IntegrationType.AWS_PROXY, Context())
print(json.dumps({
    "stock_body": parse.restore_payload(form_request()).decode(),
    "our_body": raw_payload(form_request()).decode(),
    "stock_added_accept": headers.get("Accept"),
}))
"""


@pytest.fixture(scope="module")
def stock(localstack: Any) -> dict[str, Any]:
    result = subprocess.run(
        [str(from_env().python), "-c", STOCK_SCRIPT],
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
        timeout=120,
    )
    verdict: dict[str, Any] = json.loads(result.stdout)
    return verdict


def test_stock_rebuilds_a_form_body_from_parsed_fields_ours_keeps_it(
    stock: dict[str, Any],
) -> None:
    assert stock["stock_body"] != "name=%FF"
    assert stock["our_body"] == "name=%FF"


def test_stock_adds_an_accept_to_a_proxy_request(stock: dict[str, Any]) -> None:
    assert stock["stock_added_accept"] == "application/json"

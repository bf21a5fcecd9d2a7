"""API Gateway's own answers (they never reach the function) carry the protective headers too."""

from __future__ import annotations

from typing import Any

from tests.infra.cfn_query import props

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "sandbox",
}


def test_default_4xx_and_5xx_gateway_responses_send_the_protective_headers(
    template: dict[str, Any],
) -> None:
    body = props(template, "RestAPI")["DefinitionBody"]
    assert body["paths"], "Chalice's routes are still in the merged OpenAPI body"
    responses = body["x-amazon-apigateway-gateway-responses"]
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        headers = {
            key.removeprefix("gatewayresponse.header."): value
            for key, value in responses[kind]["responseParameters"].items()
        }
        for name, value in EXPECTED.items():
            assert headers[name] == f"'{value}'", (kind, name)

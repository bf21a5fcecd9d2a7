"""Give a Lambda proxy event the request body as the client sent it, encoded the way AWS does.

Two differences from AWS in LocalStack 4.13.1, both visible with an HTML form:

- its request parser lets werkzeug parse ``application/x-www-form-urlencoded`` bodies and then
  rebuilds the body from the parsed fields (``rolo.request.restore_payload``), so the function
  gets a re-encoded form: ``name=%FF`` (not UTF-8) arrives as ``name=%25FF``, the text ``%FF``,
  and a function that rejects bad input never sees it;
- it base64-encodes a body only when it is not valid UTF-8. AWS base64-encodes it, and sets
  ``isBase64Encoded``, when the request's Content-Type matches the API's ``binaryMediaTypes``
  (with ``*/*`` listed: every body), and passes other bodies as text.

This module reads the raw body (``get_data`` before any form parsing) and encodes it by AWS's rule.
"""

import base64
from typing import Any

from localstack.runtime import hooks

from identidock_lambda_executor.binary_media import mime_type_matches_binary_media_types

PARSER_MODULE = "localstack.services.apigateway.next_gen.execute_api.handlers.parse"
_RESTORE = "restore_payload"  # the parser's name for rolo.request.restore_payload
EVENT_BUILDER = "create_lambda_input_event"  # RestApiAwsProxyIntegration's


def raw_payload(request: Any) -> bytes:
    """The request body exactly as received (never rebuilt from parsed form fields)."""
    if request.shallow:
        return b""
    data: bytes = request.get_data(cache=True, parse_form_data=False)
    return data


def aws_body(
    raw: bytes, content_type: str | None, binary_media_types: list[str]
) -> tuple[str | None, bool]:
    """The event's ``body`` and ``isBase64Encoded`` for a request body, by AWS's rule."""
    if not raw:
        return None, False
    if mime_type_matches_binary_media_types(content_type, binary_media_types):
        return base64.b64encode(raw).decode("ascii"), True
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:  # LocalStack's fallback for bytes that are not text
        return base64.b64encode(raw).decode("ascii"), True


def pass_raw_body() -> None:
    """Read raw bodies in LocalStack's request parser and encode them by AWS's rule."""
    import importlib

    from localstack.services.apigateway.next_gen.execute_api.integrations.aws import (
        RestApiAwsProxyIntegration,
    )

    parser = importlib.import_module(PARSER_MODULE)
    setattr(parser, _RESTORE, raw_payload)

    build_event = getattr(RestApiAwsProxyIntegration, EVENT_BUILDER)

    def create_lambda_input_event(self: Any, context: Any) -> Any:
        event = build_event(self, context)
        binary_types = context.deployment.rest_api.rest_api.get("binaryMediaTypes") or []
        event["body"], event["isBase64Encoded"] = aws_body(
            context.integration_request["body"] or b"",
            context.invocation_request["headers"].get("Content-Type"),
            binary_types,
        )
        return event

    setattr(RestApiAwsProxyIntegration, EVENT_BUILDER, create_lambda_input_event)


@hooks.on_infra_start()
def pass_raw_body_on_start() -> None:
    """LocalStack start-up hook (entry point ``localstack.hooks.on_infra_start``)."""
    pass_raw_body()

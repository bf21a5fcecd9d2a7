"""Give a Lambda proxy event the client's Accept header, or none when the client sent none.

LocalStack 4.13.1 adds ``Accept: application/json`` to every integration request whose client
sent no Accept, and for a Lambda proxy (``AWS_PROXY``) integration those headers become the
event's ``headers``. AWS hands the function the client's own headers (LocalStack's snapshot of a
real AWS event, ``test_lambda_aws_proxy_integration``, holds the client's Accept and User-Agent and
nothing API Gateway made up), so a request without Accept reaches the function without one. The
difference matters: a function cannot tell "no Accept" (API Gateway will not decode a base64
body) from a real ``application/json``. This module puts the client's Accept (or none) back.
"""

from typing import Any

from localstack.runtime import hooks

HEADER = "accept"
EVENT_BUILDER = "create_lambda_input_event"  # RestApiAwsProxyIntegration's


def with_client_accept(event: dict[str, Any], client_headers: Any) -> dict[str, Any]:
    """`event` whose Accept is exactly the client's (`client_headers`, a werkzeug Headers).

    No Accept when the client sent none, an empty one when it sent an empty one (LocalStack
    replaces an empty Accept with its default as well).
    """
    sent = [(name, value) for name, value in client_headers.items() if name.lower() == HEADER]
    for field in ("headers", "multiValueHeaders"):
        headers = {k: v for k, v in (event.get(field) or {}).items() if k.lower() != HEADER}
        if sent:
            name = sent[0][0]
            headers[name] = [v for _, v in sent] if field == "multiValueHeaders" else sent[-1][1]
        event[field] = headers or None
    return event


def pass_client_accept() -> None:
    """Wrap LocalStack's builder of the Lambda proxy event."""
    from localstack.services.apigateway.next_gen.execute_api.integrations.aws import (
        RestApiAwsProxyIntegration,
    )

    build_event = getattr(RestApiAwsProxyIntegration, EVENT_BUILDER)

    def create_lambda_input_event(self: Any, context: Any) -> Any:
        event = build_event(self, context)
        return with_client_accept(event, context.invocation_request["headers"])

    setattr(RestApiAwsProxyIntegration, EVENT_BUILDER, create_lambda_input_event)


@hooks.on_infra_start()
def pass_client_accept_on_start() -> None:
    """LocalStack start-up hook (entry point ``localstack.hooks.on_infra_start``)."""
    pass_client_accept()

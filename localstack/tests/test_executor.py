"""The local-process executor through a real LocalStack: functions deployed, invoked with boto3."""

import json
import textwrap
import uuid

import pytest

pytestmark = pytest.mark.integration

ECHO = textwrap.dedent(
    """
    import os, sys

    def handle(event, context):
        try:
            import werkzeug  # LocalStack's own dependency: must not leak into functions
            leaked = True
        except ImportError:
            leaked = False
        import boto3  # the Lambda runtime provides boto3
        return {
            "event": event,
            "greeting": os.environ["GREETING"],
            "endpoint": os.environ.get("AWS_ENDPOINT_URL"),
            "function_name": context.function_name,
            "request_id": context.aws_request_id,
            "remaining_ms": context.get_remaining_time_in_millis(),
            "boto3": boto3.__version__,
            "leaked": leaked,
        }
    """
)


def invoke(stack, name: str, event: object) -> tuple[dict, object]:
    response = stack.client("lambda").invoke(FunctionName=name, Payload=json.dumps(event))
    return response, json.loads(response["Payload"].read())


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_function_gets_its_event_environment_and_context(localstack, create_function) -> None:
    name = create_function(localstack, unique("echo"), ECHO, env={"GREETING": "hello"})
    response, result = invoke(localstack, name, {"name": "ada", "n": [1, 2]})
    assert "FunctionError" not in response
    assert result["event"] == {"name": "ada", "n": [1, 2]}
    assert result["greeting"] == "hello"
    assert result["endpoint"] == localstack.url
    assert result["function_name"] == name
    assert result["request_id"] == response["ResponseMetadata"]["RequestId"]
    assert 0 < result["remaining_ms"] <= 10_000
    assert result["boto3"]
    assert result["leaked"] is False


def test_boto3_inside_the_function_reaches_localstack(localstack, create_function) -> None:
    parameter = f"/executor-test/{uuid.uuid4().hex}"
    localstack.client("ssm").put_parameter(Name=parameter, Value="s3cret", Type="String")
    source = textwrap.dedent(
        """
        import boto3

        def handle(event, context):
            return boto3.client("ssm").get_parameter(Name=event["name"])["Parameter"]["Value"]
        """
    )
    name = create_function(localstack, unique("ssm"), source)
    _, result = invoke(localstack, name, {"name": parameter})
    assert result == "s3cret"


def test_handler_exception_is_a_function_error(localstack, create_function) -> None:
    source = textwrap.dedent(
        """
        def handle(event, context):
            raise ValueError(f"bad name: {event['name']}")
        """
    )
    name = create_function(localstack, unique("raiser"), source)
    response, error = invoke(localstack, name, {"name": "x"})
    assert response["FunctionError"] == "Unhandled"
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "bad name: x"
    assert any("handler.py" in line for line in error["stackTrace"])
    # The environment survives a handled error: the next invocation is served normally.
    response, error = invoke(localstack, name, {"name": "y"})
    assert error["errorMessage"] == "bad name: y"


def test_timeout_is_enforced_and_the_next_invocation_gets_a_fresh_process(
    localstack,
    create_function,
) -> None:
    source = textwrap.dedent(
        """
        import os, time

        def handle(event, context):
            time.sleep(event["sleep"])
            return {"pid": os.getpid()}
        """
    )
    name = create_function(localstack, unique("sleeper"), source, timeout=1)
    _, first = invoke(localstack, name, {"sleep": 0})
    response, error = invoke(localstack, name, {"sleep": 30})
    assert response["FunctionError"] == "Unhandled"
    assert error["errorMessage"].endswith("Task timed out after 1.00 seconds")
    response, after = invoke(localstack, name, {"sleep": 0})
    assert "FunctionError" not in response
    assert after["pid"] != first["pid"]


def test_import_error_fails_the_invocation_with_the_reason(localstack, create_function) -> None:
    name = create_function(localstack, unique("broken"), "import no_such_module_here\n")
    response, error = invoke(localstack, name, {})
    assert response.get("FunctionError")
    assert "no_such_module_here" in json.dumps(error)

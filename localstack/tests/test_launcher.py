"""`python -m identidock_fn localstack up|down|status`: a LocalStack of its own, up and down."""

import json

import psutil
import pytest
import requests

pytestmark = pytest.mark.integration

HELLO = "def handle(event, context):\n    return 'hello'\n"


def processes_under(folder: str) -> list[psutil.Process]:
    """Live processes whose command line or working directory lies in `folder`."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd", "status"]):
        if process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        cmdline = " ".join(process.info["cmdline"] or [])
        if folder in cmdline or (process.info["cwd"] or "").startswith(folder):
            found.append(process)
    return found


def test_up_status_down_leaves_no_process(
    make_localstack, create_function, run_localstack_cli
) -> None:
    stack = make_localstack()
    started = stack.up()
    assert f"LocalStack is ready at {stack.url}" in started.stdout
    again = stack.up()
    assert "already running" in again.stdout
    status = run_localstack_cli("status", *stack.args)
    assert status.returncode == 0
    assert "lambda: available" in status.stdout
    assert requests.get(f"{stack.url}/_localstack/health", timeout=5).ok

    # A function's execution environment is a process of LocalStack's group.
    create_function(stack, "hello", HELLO)
    payload = stack.client("lambda").invoke(FunctionName="hello")["Payload"].read()
    assert json.loads(payload) == "hello"
    assert len(processes_under(str(stack.state_dir))) >= 2  # LocalStack and the function

    stopped = stack.down()
    assert stopped.returncode == 0
    assert "LocalStack stopped" in stopped.stdout
    assert processes_under(str(stack.state_dir)) == []
    assert run_localstack_cli("status", *stack.args).returncode != 0
    assert "not running" in stack.down().stdout

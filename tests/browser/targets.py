"""The two running targets of the browser suite: the `make run` stack and a LocalStack deploy."""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from chalicelib.config import DEFAULT_SIZE
from identidock_fn.localstack_deploy import SALT_PARAMETER
from identidock_fn.services import UpStack
from tests.browser.page_model import Target
from tests.e2e.stack import aws_client, processes_under, run_cli


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def make_run_stack(tmp: Path, up_args: tuple[str, ...] = ()) -> Iterator[Target]:
    """`python -m identidock_fn up UP_ARGS` with a salt of its own; then nothing may be left."""
    salt = secrets.token_hex(16)
    stack = UpStack(workdir=tmp, up_args=up_args, env={"IDENTIDOCK_SALT": salt}).start()
    started = [psutil.Process(stack.pid), *_descendants(stack.pid)] if stack.pid else []
    try:
        yield Target("chalice-local", stack.url + "/", DEFAULT_SIZE, salt)
    finally:
        stack.close()
    _, alive = psutil.wait_procs(started, timeout=30)
    assert alive == [], f"left running after `up` stopped: {alive}"


def localstack_deployment(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Target]:
    """`deploy --target localstack` (the API URL, the salt it made); `destroy` afterwards."""
    env = dict(request.getfixturevalue("e2e_env"))  # the session's LocalStack (tests/conftest.py)
    env["IDENTIDOCK_DEPLOY_DIR"] = str(tmp / "deploy")
    try:
        deployed = run_cli(env, "deploy", "--target", "localstack")
        found = re.search(r"^API URL: (\S+)$", deployed.stdout, re.MULTILINE)
        assert found, deployed.stdout
        salt = aws_client(env, "ssm").get_parameter(Name=SALT_PARAMETER, WithDecryption=True)
        yield Target("localstack", found.group(1), DEFAULT_SIZE, salt["Parameter"]["Value"])
    finally:
        run_cli(env, "destroy", "--target", "localstack")
    assert processes_under(tmp) == []

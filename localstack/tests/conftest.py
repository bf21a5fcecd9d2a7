"""A real LocalStack (host mode, our executor) on a free loopback port for the executor's tests."""

import io
import socket
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::000000000000:role/identidock-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def localstack_cli(*args: str) -> subprocess.CompletedProcess[str]:
    """`python -m identidock_fn localstack ...`, the command a person runs."""
    return subprocess.run(
        [sys.executable, "-m", "identidock_fn", "localstack", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


class LocalStackUnderTest:
    def __init__(self, port: int, state_dir: Path) -> None:
        self.port = port
        self.state_dir = state_dir
        self.url = f"http://127.0.0.1:{port}"
        self.args = ("--port", str(port), "--state-dir", str(state_dir))

    def up(self) -> subprocess.CompletedProcess[str]:
        result = localstack_cli("up", *self.args)
        assert result.returncode == 0, result.stdout + result.stderr
        return result

    def down(self) -> subprocess.CompletedProcess[str]:
        return localstack_cli("down", *self.args)

    def client(self, service: str):
        return boto3.client(
            service,
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


@pytest.fixture(scope="session")
def localstack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalStackUnderTest]:
    stack = LocalStackUnderTest(free_port(), tmp_path_factory.mktemp("localstack"))
    stack.up()
    yield stack
    stack.down()


def zip_source(source: str) -> bytes:
    """A deployment package holding one module, `handler.py`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("handler.py", source)
    return buffer.getvalue()


def _create_function(
    stack: LocalStackUnderTest, name: str, source: str, timeout: int = 10, env: dict | None = None
) -> str:
    """Deploy `source` as `handler.handle` and wait until the function is Active."""
    client = stack.client("lambda")
    client.create_function(
        FunctionName=name,
        Runtime=f"python{sys.version_info.major}.{sys.version_info.minor}",
        Role=ROLE,
        Handler="handler.handle",
        Code={"ZipFile": zip_source(source)},
        Timeout=timeout,
        Environment={"Variables": env or {}},
    )
    client.get_waiter("function_active_v2").wait(FunctionName=name)
    return name


@pytest.fixture(scope="session")
def create_function():
    return _create_function


@pytest.fixture
def make_localstack(tmp_path: Path):
    """A LocalStack of the test's own (not started); stopped at the end whatever happens."""
    made: list[LocalStackUnderTest] = []

    def make() -> LocalStackUnderTest:
        stack = LocalStackUnderTest(free_port(), tmp_path / f"localstack-{len(made)}")
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.down()


@pytest.fixture
def run_localstack_cli():
    return localstack_cli

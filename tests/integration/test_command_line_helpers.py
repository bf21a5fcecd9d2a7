"""The command line's shared helpers: pid records, finding programs, the salt (issue 11, item 4).

Real processes for the pid records (a pid is only ever checked against a live kernel), moto's SSM
for the salt (both deploy targets create it through `identidock_fn.salt`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from identidock_fn import pid_record
from identidock_fn.paths import PROJECT_ROOT, executable, find_executable
from identidock_fn.salt import DESCRIPTION, ensure_salt

pytestmark = pytest.mark.integration

REGION = "us-east-1"


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def test_a_recorded_process_is_found_while_it_runs_and_not_after(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    record = tmp_path / "server.json"
    pid_record.write(record, sleeper.pid, port=4566)
    assert pid_record.running_pid(record) == sleeper.pid
    recorded = pid_record.read(record)
    assert recorded is not None
    assert (recorded["pid"], recorded["port"]) == (sleeper.pid, 4566)
    assert [path.name for path in tmp_path.iterdir()] == ["server.json"]  # no partial file left
    sleeper.kill()
    sleeper.wait(timeout=10)
    assert pid_record.running_pid(record) is None


def test_a_reused_pid_is_not_taken_for_the_recorded_process(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    """Same pid, another start time: the kernel gave the number to a different process."""
    record = tmp_path / "server.json"
    pid_record.write(record, sleeper.pid)
    recorded = json.loads(record.read_text())
    record.write_text(json.dumps({**recorded, "create_time": recorded["create_time"] - 3600}))
    assert pid_record.running_pid(record) is None


@pytest.mark.parametrize(
    "content",
    ["", "not json", "[1, 2]", '{"pid": 1}', '{"pid": "x", "create_time": 0}', "{}"],
)
def test_a_missing_or_broken_record_names_no_process(tmp_path: Path, content: str) -> None:
    record = tmp_path / "server.json"
    assert pid_record.running_pid(record) is None
    record.write_text(content)
    assert pid_record.running_pid(record) is None


def test_programs_are_found_beside_the_interpreter_first_then_on_path() -> None:
    assert find_executable("chalice") == str(Path(sys.executable).parent / "chalice")
    assert executable("chalice") == find_executable("chalice")
    sh = find_executable("sh")
    assert sh is not None
    assert Path(sh).is_file()
    assert PROJECT_ROOT.joinpath("identidock_fn", "paths.py").is_file()


def test_a_missing_program_is_none_or_an_error_saying_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    assert find_executable("redis-server") is None
    with pytest.raises(FileNotFoundError, match="redis-server is not installed: apt-get install"):
        executable("redis-server")
    with pytest.raises(FileNotFoundError, match=r"^no-such-program is not installed$"):
        executable("no-such-program")


@pytest.fixture
def ssm(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.Session(region_name=REGION).client("ssm")


def test_the_salt_is_created_once_and_never_overwritten(ssm: Any) -> None:
    assert ensure_salt(ssm, "/identidock/test/salt") is True
    first = ssm.get_parameter(Name="/identidock/test/salt", WithDecryption=True)["Parameter"]
    assert first["Type"] == "SecureString"
    assert len(first["Value"]) >= 32
    assert ensure_salt(ssm, "/identidock/test/salt") is False
    again = ssm.get_parameter(Name="/identidock/test/salt", WithDecryption=True)["Parameter"]
    assert again["Value"] == first["Value"]
    (described,) = ssm.describe_parameters()["Parameters"]
    assert described["Description"] == DESCRIPTION

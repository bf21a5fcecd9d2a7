"""Helpers of the e2e suite: the command line, LocalStack's clients, the deployment under test.

With `IDENTIDOCK_E2E_LOCALSTACK_URL` set (docker compose, see docs/localstack.md) the
suite uses that LocalStack, with its stock Docker executor, instead of starting one.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import boto3
import psutil
import redis

from identidock_fn.services import DnmonsterServer, RedisServer, free_port
from tests.support.upstream import UpstreamServer

ROOT = Path(__file__).resolve().parents[2]
EXTERNAL_LOCALSTACK = os.environ.get("IDENTIDOCK_E2E_LOCALSTACK_URL")
CLI_TIMEOUT_SECONDS = 600


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`python -m identidock_fn ARGS` with `env` added to the environment."""
    result = subprocess.run(
        [sys.executable, "-m", "identidock_fn", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
    )
    assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
    return result


def processes_under(folder: Path) -> list[psutil.Process]:
    """Live processes started from, or working in, `folder` (LocalStack, Lambdas, servers)."""
    found = []
    for process in psutil.process_iter(["cmdline", "cwd", "status"]):
        if process.info["status"] == psutil.STATUS_ZOMBIE:
            continue
        cmdline = " ".join(process.info["cmdline"] or [])
        if str(folder) in cmdline or (process.info["cwd"] or "").startswith(str(folder)):
            found.append(process)
    return found


def cli_env(base: Path) -> dict[str, str]:
    """Variables that point the command line at this suite's own LocalStack and build folders."""
    env = {"IDENTIDOCK_DEPLOY_DIR": str(base / "deploy")}
    if EXTERNAL_LOCALSTACK:
        env["IDENTIDOCK_LOCALSTACK_URL"] = EXTERNAL_LOCALSTACK
    else:
        env["IDENTIDOCK_LOCALSTACK_PORT"] = str(free_port())
        env["IDENTIDOCK_LOCALSTACK_DIR"] = str(base / "localstack")
    return env


def localstack_url(env: dict[str, str]) -> str:
    return env.get("IDENTIDOCK_LOCALSTACK_URL") or (
        f"http://127.0.0.1:{env['IDENTIDOCK_LOCALSTACK_PORT']}"
    )


def aws_client(env: dict[str, str], service: str):
    return boto3.client(
        service,
        endpoint_url=localstack_url(env),
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@dataclass
class Deployment:
    url: str
    env: dict[str, str]
    redis: RedisServer
    dnmonster: DnmonsterServer
    proxy: UpstreamServer
    salt: str

    def redis_client(self) -> redis.Redis:
        return self.redis.client()

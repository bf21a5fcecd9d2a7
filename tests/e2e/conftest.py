"""The e2e set-up: a real LocalStack, real servers, the real `deploy`, and the real `destroy`.

Everything runs through the command line a person uses (`python -m identidock_fn ...`) with its
state in pytest's temporary folder and LocalStack on a free loopback port, so it never meets a
developer's own deployment. The tests talk only to the execute-api URL; they read Redis directly
and count dnmonster's requests through a proxying `UpstreamServer` to see caching.
"""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from identidock_fn.services import DnmonsterServer, RedisServer
from tests.e2e.stack import Deployment, aws_client, run_cli
from tests.support.upstream import UpstreamServer


@pytest.fixture(scope="module")
def deployment(e2e_base: Path, e2e_env: dict[str, str]) -> Iterator[Deployment]:
    """`deploy --target localstack` with servers this suite can stop and restart; then `destroy`.

    One per test module, so no deployment outlives its module (a LocalStack shared through
    docker compose then never holds two apps of the same name).
    """
    redis_server = RedisServer(tls=True, workdir=e2e_base / "redis").start()
    dnmonster = DnmonsterServer(workdir=e2e_base / "dnmonster").start()
    proxy = UpstreamServer(proxy_to=dnmonster.url).start()
    try:
        result = run_cli(
            {**e2e_env, "IDENTIDOCK_REDIS_TOKEN": redis_server.password or ""},
            "deploy", "--target", "localstack",
            "--redis-url", redis_server.url,
            "--redis-ca-file", str(redis_server.ca_file),
            "--dnmonster-url", proxy.url,
        )  # fmt: skip
        found = re.search(r"^API URL: (\S+)$", result.stdout, re.MULTILINE)
        assert found, result.stdout
        ssm = aws_client(e2e_env, "ssm")
        salt = ssm.get_parameter(Name="/identidock/localstack/salt", WithDecryption=True)
        yield Deployment(
            found.group(1), e2e_env, redis_server, dnmonster, proxy, salt["Parameter"]["Value"]
        )
        run_cli(e2e_env, "destroy", "--target", "localstack")
        assert aws_client(e2e_env, "lambda").list_functions()["Functions"] == []
        assert aws_client(e2e_env, "apigateway").get_rest_apis()["items"] == []
    finally:
        proxy.stop()
        dnmonster.close()
        redis_server.close()

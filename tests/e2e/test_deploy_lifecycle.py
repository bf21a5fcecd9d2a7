"""A newcomer's `deploy --target localstack`: from nothing to a working URL, again, then gone.

Runs on a LocalStack of its own (another free port and folder): deploy starts LocalStack, the
salt, the token, a TLS redis-server and dnmonster; a second deploy updates in place; destroy
removes it all and leaves no process behind.
"""

import json
import re
import secrets
from pathlib import Path

import psutil
import pytest
import requests

from identidock_fn.localstack_deploy import TOKEN_SECRET
from tests.e2e.stack import EXTERNAL_LOCALSTACK, aws_client, cli_env, processes_under, run_cli
from tests.e2e.test_keeper_environment import CANARY, assert_only_what_they_need

pytestmark = pytest.mark.e2e

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def api_url(output: str) -> str:
    found = re.search(r"^API URL: (\S+)$", output, re.MULTILINE)
    assert found, output
    return found.group(1)


def assert_localstack_listens_on_loopback_only(state_dir: Path) -> None:
    """Every listening socket of LocalStack and its function processes is on 127.0.0.1 or ::1."""
    main = psutil.Process(json.loads((state_dir / "localstack.json").read_text())["pid"])
    addresses = {
        connection.laddr.ip
        for process in [main, *main.children(recursive=True)]
        for connection in process.net_connections("inet")
        if connection.status == psutil.CONN_LISTEN
    }
    assert addresses
    assert addresses <= {"127.0.0.1", "::1"}, addresses


def test_deploy_twice_then_destroy(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    canary = secrets.token_hex(8)
    try:
        first = run_cli({**env, CANARY: canary}, "deploy", "--target", "localstack")
        url = api_url(first.stdout)
        if not EXTERNAL_LOCALSTACK:
            assert "starting LocalStack" in first.stdout
            assert_localstack_listens_on_loopback_only(Path(env["IDENTIDOCK_LOCALSTACK_DIR"]))
        assert "created the salt" in first.stdout
        token = aws_client(env, "secretsmanager").get_secret_value(SecretId=TOKEN_SECRET)
        services = Path(env["IDENTIDOCK_DEPLOY_DIR"]) / "services"
        assert_only_what_they_need(services, token["SecretString"], canary)

        page = requests.get(url, headers={"Accept": "text/html"}, timeout=30)
        assert page.status_code == 200
        src = re.search(r'<img src="\./([^"]+)"', page.text)
        assert src, page.text
        image = requests.get(url + src.group(1), headers={"Accept": "image/*"}, timeout=30)
        assert image.content.startswith(PNG_SIGNATURE)

        second = run_cli(env, "deploy", "--target", "localstack")
        assert api_url(second.stdout) == url
        assert "created the salt" not in second.stdout
        assert "starting a TLS redis-server" not in second.stdout
        functions = aws_client(env, "lambda").list_functions()["Functions"]
        assert [f["FunctionName"] for f in functions] == ["identidock-fn-localstack"]
        assert len(aws_client(env, "apigateway").get_rest_apis()["items"]) == 1
        again = requests.get(url + src.group(1), headers={"Accept": "image/*"}, timeout=30)
        assert again.content == image.content  # same salt, same monster
    finally:
        destroyed = run_cli(env, "destroy", "--target", "localstack")
    assert "destroyed" in destroyed.stdout
    assert processes_under(tmp_path) == []

"""A newcomer's `deploy --target localstack`: from nothing to a working URL, again, then gone.

Runs on a LocalStack of its own (another free port and folder): deploy starts LocalStack, the
salt, the token, a TLS redis-server and dnmonster; a second deploy updates in place; destroy
removes it all and leaves no process behind.
"""

import re
from pathlib import Path

import pytest
import requests

from tests.e2e.stack import EXTERNAL_LOCALSTACK, aws_client, cli_env, processes_under, run_cli

pytestmark = pytest.mark.e2e

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def api_url(output: str) -> str:
    found = re.search(r"^API URL: (\S+)$", output, re.MULTILINE)
    assert found, output
    return found.group(1)


def test_deploy_twice_then_destroy(tmp_path: Path) -> None:
    env = cli_env(tmp_path)
    try:
        first = run_cli(env, "deploy", "--target", "localstack")
        url = api_url(first.stdout)
        if not EXTERNAL_LOCALSTACK:
            assert "starting LocalStack" in first.stdout
        assert "created the salt" in first.stdout

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

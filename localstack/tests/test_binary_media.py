"""The `*/*` binary media type: LocalStack's stock matcher against ours (AWS's documented rule).

Both run inside LocalStack's own virtual environment (the main one has no localstack package).
"""

import json
import subprocess

import pytest

from identidock_fn.localstack import from_env

pytestmark = pytest.mark.integration

CASES = [
    # (first Accept / Content-Type value, binaryMediaTypes, what AWS does)
    ("*/*", ["*/*"], True),
    ("text/html,application/xhtml+xml", ["*/*"], True),
    ("application/json", ["image/*", "*/*"], True),
    ("image/avif,image/webp,*/*;q=0.8", ["image/*"], True),
    ("image/png", ["image/png"], True),
    ("text/html", ["image/*"], False),
    ("*/*", ["image/*", "text/*"], False),
    ("image/png", [], False),
    (None, ["*/*"], False),
]

SCRIPT = """
import json, sys
from localstack.services.apigateway.next_gen.execute_api import helpers
from identidock_lambda_executor import binary_media
cases = json.loads(sys.stdin.read())
print(json.dumps([
    [helpers.mime_type_matches_binary_media_types(m, t),
     binary_media.mime_type_matches_binary_media_types(m, t)]
    for m, t, _ in cases
]))
"""


@pytest.fixture(scope="module")
def verdicts(localstack) -> list[list[bool]]:
    python = str(from_env().python)
    result = subprocess.run(
        [python, "-c", SCRIPT],
        input=json.dumps(CASES),
        capture_output=True,
        text=True,
        check=True,
        cwd="/",
        timeout=120,
    )
    return json.loads(result.stdout)


def test_ours_follows_aws(verdicts: list[list[bool]]) -> None:
    assert [ours for _, ours in verdicts] == [aws for _, _, aws in CASES]


def test_stock_differs_only_where_an_entry_is_star_slash_star(verdicts: list[list[bool]]) -> None:
    differing = [case for case, (stock, ours) in zip(CASES, verdicts, strict=True) if stock != ours]
    assert differing == [case for case in CASES if case[0] and "*/*" in case[1]]
    assert all(
        not stock for (stock, _), case in zip(verdicts, CASES, strict=True) if case in differing
    )

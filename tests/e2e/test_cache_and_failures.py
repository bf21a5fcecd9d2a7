"""Caching in Redis, and what a user sees while Redis or dnmonster is down and after they return."""

import time
import uuid
from collections.abc import Callable
from urllib.parse import quote

import pytest
import requests

from chalicelib.cache import monster_key
from identidock_fn.bench.events import IMAGE_ACCEPT
from tests.e2e.stack import Deployment

pytestmark = pytest.mark.e2e

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SIZE = 80  # the localstack stage's IDENTICON_SIZE (the function's default)
ART_VERSION = "1"
RECOVERY_ATTEMPTS = 60  # x 1 s: the function's breakers re-try after 10 s by default


def fresh_name() -> str:
    return f"e2e-{uuid.uuid4().hex}"


def get_monster(deployment: Deployment, name: str) -> requests.Response:
    url = f"{deployment.url}monster/{quote(name, safe='')}"
    return requests.get(url, headers={"Accept": IMAGE_ACCEPT}, timeout=30)


def eventually(check: Callable[[], bool]) -> bool:
    """True once `check` passes; gives up after RECOVERY_ATTEMPTS seconds."""
    for _ in range(RECOVERY_ATTEMPTS):
        if check():
            return True
        time.sleep(1)
    return False


def test_second_request_is_a_cache_hit(deployment: Deployment) -> None:
    name = fresh_name()
    first = get_monster(deployment, name)
    second = get_monster(deployment, name)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert first.content.startswith(PNG_SIGNATURE)
    assert deployment.proxy.count(name) == 1
    assert deployment.redis_client().get(monster_key(ART_VERSION, SIZE, name)) == first.content


def test_outages_and_recovery_without_redeploying(deployment: Deployment) -> None:
    redis_server, dnmonster = deployment.redis, deployment.dnmonster

    # Redis down: images are still served (fail-open), straight from dnmonster.
    redis_server.stop()
    name = fresh_name()
    response = get_monster(deployment, name)
    assert response.status_code == 200
    assert response.content.startswith(PNG_SIGNATURE)
    assert deployment.proxy.count(name) == 1

    # dnmonster down as well: the image route answers 503 with a short text; the page still 200.
    dnmonster.stop()
    response = get_monster(deployment, fresh_name())
    assert response.status_code == 503
    assert response.headers["Content-Type"].startswith("text/plain")
    assert "Traceback" not in response.text
    page = requests.get(deployment.url, headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")

    # Both back: new monsters are drawn and cached again, with no redeploy.
    redis_server.start()
    dnmonster.start()

    def cached_again() -> bool:
        name = fresh_name()
        response = get_monster(deployment, name)
        key = monster_key(ART_VERSION, SIZE, name)
        return (
            response.status_code == 200
            and response.content.startswith(PNG_SIGNATURE)
            and deployment.redis_client().get(key) == response.content
        )

    assert eventually(cached_again)

"""What a cache miss costs (issue 12, item 1), against a real redis-server and a real dnmonster:
three Redis commands (GET, the claim script, the store script) and a hit one, counted by the
app's cache as it sends them (the server's own count would include the commands inside the
scripts), all over one pinned connection that is replaced when the server closes it; proxy
variables in the environment never route the loopback/VPC dnmonster call; one PNG check per
dnmonster answer."""

from __future__ import annotations

import secrets

import pytest
import redis
from chalice.test import Client

from chalicelib import image_check
from chalicelib.cache import RedisCache, get_cache
from chalicelib.config import get_settings
from identidock_fn.bench.events import IMAGE_ACCEPT
from tests.support.upstream import UpstreamServer, is_png

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_function_state")]

IMG = {"Accept": IMAGE_ACCEPT}
#: Nothing listens on port 9 (discard): a proxy there would refuse every connection.
DEAD_PROXY = "http://127.0.0.1:9"


def test_a_miss_makes_three_redis_commands_and_a_hit_one(
    client_on_redis: Client, redis_service
) -> None:
    path = f"/monster/{secrets.token_hex(32)}"
    # connects
    assert client_on_redis.http.get("/monster/warm-up", headers=IMG).status_code == 200
    cache = get_cache(get_settings().cache)
    assert isinstance(cache, RedisCache)

    before = cache.attempts
    first = client_on_redis.http.get(path, headers=IMG)
    after_miss = cache.attempts
    second = client_on_redis.http.get(path, headers=IMG)
    after_hit = cache.attempts

    assert first.status_code == second.status_code == 200
    assert first.body == second.body
    assert after_miss - before == 3  # GET, claim, store
    assert after_hit - after_miss == 1  # GET
    assert redis_service.client().keys("identidock:v1:lock:*") == []  # the store unlocked


def _other_clients(admin: redis.Redis) -> set[int]:
    """The ids of the server's client connections, but for `admin`'s own."""
    return {int(entry["id"]) for entry in admin.client_list()} - {admin.client_id()}


def test_a_warm_instance_sends_every_command_over_one_connection(
    client_on_redis: Client, redis_service
) -> None:
    admin = redis_service.client()
    before = _other_clients(admin)

    for name in ("one", "two", "one", "three", "two"):  # misses and hits: 11 commands
        assert client_on_redis.http.get(f"/monster/{name}", headers=IMG).status_code == 200

    assert len(_other_clients(admin) - before) == 1


def test_a_connection_the_server_closed_is_replaced_before_the_next_command(
    client_on_redis: Client, redis_service, counted: UpstreamServer
) -> None:
    admin = redis_service.client()
    before = _other_clients(admin)
    assert (
        client_on_redis.http.get("/monster/joe", headers=IMG).status_code == 200
    )  # a miss: connects
    cache = get_cache(get_settings().cache)
    assert isinstance(cache, RedisCache)
    (app_connection,) = _other_clients(admin) - before
    assert admin.client_kill_filter(_id=app_connection) == 1  # as a failover would

    answer = client_on_redis.http.get("/monster/joe", headers=IMG)

    assert answer.status_code == 200
    assert counted.calls == 1  # a hit: the new connection read the stored PNG
    assert cache.breaker.state == "closed"  # no failed command, so nothing opened the breaker


def test_proxy_variables_do_not_route_the_dnmonster_call(
    client_on_redis: Client, counted: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(variable, DEAD_PROXY)
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)

    answer = client_on_redis.http.get(f"/monster/{secrets.token_hex(32)}", headers=IMG)

    assert answer.status_code == 200
    assert is_png(answer.body)
    assert counted.calls == 1  # straight to dnmonster


def test_a_miss_checks_the_png_once(
    client_on_redis: Client, counted: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    checked: list[int] = []
    real_check = image_check.check_png

    def counting_check(data: bytes, side: int) -> None:
        checked.append(len(data))
        real_check(data, side)

    monkeypatch.setattr(image_check, "check_png", counting_check)

    answer = client_on_redis.http.get(f"/monster/{secrets.token_hex(32)}", headers=IMG)

    assert answer.status_code == 200
    assert counted.calls == 1
    assert checked == [len(answer.body)]  # dnmonster's answer, checked once, then stored as is

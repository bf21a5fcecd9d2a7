"""The function against a real redis-server and a real dnmonster process.

dnmonster calls are counted by a small real HTTP proxy (tests/unit/upstream_server.py) in front
of the real dnmonster; the app's own Redis cache object exposes `attempts` (commands actually
sent to Redis) and its circuit breaker's state.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import threading
import time
import urllib.request
from html import unescape
from urllib.parse import urljoin

import pytest
from chalice.test import Client

from app import app
from chalicelib import single_flight
from chalicelib.breaker import CircuitBreaker
from chalicelib.cache import RedisCache, get_cache, make_redis_client
from chalicelib.config import get_settings
from chalicelib.dnmonster_client import DnmonsterClient
from chalicelib.images import get_monster
from identidock_fn.bench.events import IMAGE_ACCEPT, PAGE_ACCEPT
from tests.support.upstream import Answer, UpstreamServer, is_png

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_function_state")]


IMG = {"Accept": IMAGE_ACCEPT}
PAGE = {"Accept": PAGE_ACCEPT}


def app_redis_cache() -> RedisCache:
    cache = get_cache(get_settings().cache)
    assert isinstance(cache, RedisCache)
    return cache


def fresh_name() -> str:
    return secrets.token_hex(32)


def real_png(dnmonster_url: str, name: str, size: int = 80) -> bytes:
    with urllib.request.urlopen(f"{dnmonster_url}/monster/{name}?size={size}", timeout=10) as r:
        return r.read()


def test_whole_flow_page_then_image_then_cache_hit(
    client_on_redis: Client, counted: UpstreamServer, redis_service, dnmonster_service
) -> None:
    page = client_on_redis.http.get("/?name=alice", headers=PAGE)
    assert page.status_code == 200
    src = unescape(re.search(r'<img src="([^"]*)"', page.body.decode()).group(1))
    image_path = urljoin("/", src)
    assert counted.calls == 1  # the page drew (and cached) the monster

    first = client_on_redis.http.get(image_path, headers=IMG)
    second = client_on_redis.http.get(image_path, headers=IMG)
    assert first.status_code == second.status_code == 200
    assert first.body == second.body == real_png(dnmonster_service.url, image_path.split("/")[-1])
    assert counted.calls == 1  # both images came from Redis

    cache = app_redis_cache()
    attempts = cache.attempts
    etag = second.headers["ETag"]
    revalidated = client_on_redis.http.get(image_path, headers={**IMG, "If-None-Match": etag})
    assert revalidated.status_code == 304
    assert cache.attempts == attempts  # a 304 touches neither Redis...
    assert counted.calls == 1  # ...nor dnmonster

    keys = redis_service.client().keys("identidock:*")
    assert len(keys) == 1
    assert keys[0].startswith(b"identidock:v1:monster:80:")
    ttl = redis_service.client().ttl(keys[0])
    assert 0 < ttl <= 7 * 24 * 3600


def test_twenty_concurrent_misses_make_one_dnmonster_call(
    redis_service, counted: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 simulated Lambda instances (threads, each with its own Redis connection pool, circuit
    breaker and HTTP session, as separate instances would have) miss the same name at once."""
    monkeypatch.setenv("REDIS_URL", redis_service.url)
    settings = get_settings()
    name = fresh_name()
    barrier = threading.Barrier(20)
    results: list[tuple[str, bytes]] = []
    errors: list[BaseException] = []

    def instance() -> None:
        assert settings.cache.redis is not None
        cache = RedisCache(make_redis_client(settings.cache.redis, None), CircuitBreaker("r", 10))
        own = settings.dnmonster._replace(url=counted.url, timeout=10.0)
        client = DnmonsterClient(own, CircuitBreaker("d", 5, failures=3))
        try:
            barrier.wait(10)
            monster = get_monster(name, settings=settings, cache=cache, client=client)
            results.append((monster.cache, monster.png))
        except BaseException as error:
            errors.append(error)
        finally:
            cache.client.close()

    threads = [threading.Thread(target=instance) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert len(results) == 20
    assert counted.calls == 1
    assert sorted(kind for kind, _ in results) == ["hit"] * 19 + ["miss"]
    assert len({png for _, png in results}) == 1
    assert is_png(results[0][1])
    assert not redis_service.client().keys("identidock:v1:lock:*")  # the lock was released


def test_redis_stopped_mid_test_images_still_served_and_breaker_skips_redis(
    client_on_redis: Client, redis_service, counted: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail-open with bounded latency, shown without timing asserts: after the first failure
    the breaker is open and later requests make no Redis attempt at all (the latencies are
    printed for a human to look at)."""
    monkeypatch.setenv("REDIS_BREAKER_RESET_SECONDS", "3600")  # stays open until we say so
    cached = fresh_name()
    assert client_on_redis.http.get(f"/monster/{cached}", headers=IMG).status_code == 200
    cache = app_redis_cache()
    assert cache.breaker.state == "closed"

    redis_service.stop()
    latencies = []
    started = time.perf_counter()
    first = client_on_redis.http.get(f"/monster/{fresh_name()}", headers=IMG)
    latencies.append(time.perf_counter() - started)
    assert first.status_code == 200
    assert is_png(first.body)
    assert cache.breaker.state == "open"
    attempts_when_opened = cache.attempts
    calls_when_opened = counted.calls

    for name in [cached] + [fresh_name() for _ in range(9)]:
        started = time.perf_counter()
        response = client_on_redis.http.get(f"/monster/{name}", headers=IMG)
        latencies.append(time.perf_counter() - started)
        assert response.status_code == 200
        assert is_png(response.body)
    assert cache.attempts == attempts_when_opened  # no Redis attempt while open
    assert counted.calls == calls_when_opened + 10  # all drawn by dnmonster instead
    print("latencies with Redis down (ms):", [round(s * 1000, 1) for s in latencies])

    redis_service.start()
    cache.breaker.reset_seconds = 0.05  # let a trial call through soon
    for _ in range(100):  # bounded: the breaker closes after a successful trial
        time.sleep(0.05)
        response = client_on_redis.http.get(f"/monster/{cached}", headers=IMG)
        assert response.status_code == 200
        if cache.breaker.state == "closed":
            break
    assert cache.breaker.state == "closed"
    assert cache.attempts > attempts_when_opened


def test_dnmonster_stopped_cached_images_still_served(
    monkeypatch: pytest.MonkeyPatch, redis_service, dnmonster_service
) -> None:
    monkeypatch.setenv("REDIS_URL", redis_service.url)
    monkeypatch.setenv("DNMONSTER_URL", dnmonster_service.url)
    with Client(app, stage_name="integration-test") as client:
        cached = fresh_name()
        assert client.http.get(f"/monster/{cached}", headers=IMG).status_code == 200
        dnmonster_service.stop()

        again = client.http.get(f"/monster/{cached}", headers=IMG)
        assert again.status_code == 200
        assert is_png(again.body)

        missing = client.http.get(f"/monster/{fresh_name()}", headers=IMG)
        assert missing.status_code == 503
        assert missing.headers["Retry-After"] == "5"
        assert missing.headers["Content-Type"] == "text/plain; charset=utf-8"

        page = client.http.get("/?name=nobody-cached-this", headers=PAGE)
        assert page.status_code == 200
        assert "could not draw this monster" in page.body.decode()


@pytest.mark.parametrize(
    "answer",
    [
        Answer(content_type="text/html", body=b"<html>not a monster</html>"),
        Answer(status=500, content_type="image/png", body=b"TypeError: at Object.<anonymous>"),
        Answer(body=b"\x89PNG\r\n\x1a\n truncated"),
    ],
    ids=["html", "500-labelled-png", "truncated"],
)
def test_dnmonster_answering_garbage_is_502_and_nothing_is_cached(
    monkeypatch: pytest.MonkeyPatch, redis_service, answer: Answer
) -> None:
    monkeypatch.setattr(single_flight, "FAILURE_MARKER_MS", 300)
    with UpstreamServer(answer) as garbage:
        monkeypatch.setenv("REDIS_URL", redis_service.url)
        monkeypatch.setenv("DNMONSTER_URL", garbage.url)
        with Client(app, stage_name="integration-test") as client:
            name = fresh_name()
            for pause, calls in ((0, 1), (0, 1), (0.5, 2)):
                time.sleep(pause)
                response = client.http.get(f"/monster/{name}", headers=IMG)
                assert response.status_code == 502
                assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
                # the failure marker answers at once; once it expires dnmonster is asked again
                assert garbage.calls == calls
    assert redis_service.client().keys("identidock:*:monster:*") == []  # nothing was cached


def test_redis_hanging_costs_one_timeout_then_the_breaker_skips_it(
    client_on_redis: Client, redis_service, counted: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A frozen redis-server (SIGSTOP: connections are accepted, nothing answers) is the slow
    case: the first request waits for REDIS_TIMEOUT once, then requests skip Redis."""
    monkeypatch.setenv("REDIS_BREAKER_RESET_SECONDS", "3600")
    assert client_on_redis.http.get(f"/monster/{fresh_name()}", headers=IMG).status_code == 200
    cache = app_redis_cache()
    os.kill(redis_service.pid, signal.SIGSTOP)
    try:
        latencies = []
        for _ in range(5):
            started = time.perf_counter()
            response = client_on_redis.http.get(f"/monster/{fresh_name()}", headers=IMG)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200
            assert is_png(response.body)
            if len(latencies) == 1:
                assert cache.breaker.state == "open"
                attempts_when_opened = cache.attempts
        assert cache.attempts == attempts_when_opened
        print("latencies with Redis frozen (ms):", [round(s * 1000, 1) for s in latencies])
    finally:
        os.kill(redis_service.pid, signal.SIGCONT)

"""dnmonster's answers are untrusted and every wait has a deadline (issue 10, items 1-3).

Real redis-server, and a small real HTTP server that misbehaves on purpose in place of
dnmonster: oversized, corrupt, wrong-size or encoded answers, an answer that drips one byte at a
time, a slow one. Nothing bad is cached, no request outlives its deadline (shown by how few bytes
the dripping server got to send, not by timing), and a failing dnmonster is not stampeded.
"""

from __future__ import annotations

import base64
import gzip
import secrets
import struct
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
from chalice.test import Client

from app import app
from chalicelib.breaker import CircuitBreaker
from chalicelib.cache import RedisCache, get_cache, make_redis_client
from chalicelib.config import get_settings
from chalicelib.dnmonster_client import DnmonsterClient
from chalicelib.errors import DnmonsterError, DnmonsterTimeout
from chalicelib.images import get_dnmonster, get_monster
from chalicelib.responses import IMAGE_CACHE_CONTROL
from tests.support.gateway import IMAGE_ACCEPT, invoke, proxy_event
from tests.support.upstream import Answer, UpstreamServer, make_png

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_function_state")]

IMG = {"Accept": IMAGE_ACCEPT}


def name() -> str:
    return secrets.token_hex(32)


def bad_crc(png: bytes) -> bytes:
    at = png.index(b"IDAT") + 6
    return png[:at] + bytes([png[at] ^ 0xFF]) + png[at + 1 :]


def garbage_idat(side: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    idat = secrets.token_bytes(300)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


@pytest.fixture
def upstream(monkeypatch: pytest.MonkeyPatch, redis_service: Any) -> Iterator[UpstreamServer]:
    with UpstreamServer() as server:
        monkeypatch.setenv("DNMONSTER_URL", server.url)
        monkeypatch.setenv("REDIS_URL", redis_service.url)
        yield server


@pytest.fixture
def client() -> Iterator[Client]:
    with Client(app, stage_name="integration-test") as test_client:
        yield test_client


BAD_ANSWERS = {
    "50MB-announced": Answer(body=make_png(80) + b"\0" * (50 * 1024 * 1024)),
    "2MB-chunked": Answer(body=make_png(80) + b"\0" * (2 * 1024 * 1024), chunked=True),
    "bad-crc": Answer(body=bad_crc(make_png(80))),
    "garbage-idat": Answer(body=garbage_idat(80)),
    "1024px-when-80-asked": Answer(body=make_png(1024)),
    "gzip-coded": Answer(body=gzip.compress(make_png(80)), headers={"Content-Encoding": "gzip"}),
    "status-203": Answer(status=203),
    "image/gif": Answer(content_type="image/gif"),
}


@pytest.mark.parametrize("answer", BAD_ANSWERS.values(), ids=BAD_ANSWERS.keys())
def test_a_bad_answer_is_502_and_never_cached(
    client: Client, upstream: UpstreamServer, redis_service: Any, answer: Answer
) -> None:
    upstream.answer = answer
    response = client.http.get(f"/monster/{name()}", headers=IMG)
    assert response.status_code == 502
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Cache-Control"] != IMAGE_CACHE_CONTROL
    assert len(response.body) < 200
    assert redis_service.client().keys("identidock:*:monster:*") == []
    assert upstream.calls == 1


def test_a_dnmonster_that_hangs_up_without_answering_is_503(
    client: Client, upstream: UpstreamServer
) -> None:
    """Twice: the second request finds its pooled connection closed and opens a fresh one."""
    upstream.answer = Answer(hang_up=True)
    for _ in range(2):
        response = client.http.get(f"/monster/{name()}", headers=IMG)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "5"


def test_the_size_cap_is_a_setting(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    png = make_png(80)
    monkeypatch.setenv("DNMONSTER_MAX_BYTES", str(max(len(png) - 1, 1024)))
    upstream.answer = Answer(body=png + b"\0" * 1024)  # over the cap, whatever the PNG's size
    assert client.http.get(f"/monster/{name()}", headers=IMG).status_code == 502


def test_what_redis_hands_back_is_checked_too(
    client: Client, upstream: UpstreamServer, redis_service: Any
) -> None:
    """A corrupt cache entry (another writer, a bit flip) is a miss and is replaced."""
    wanted = name()
    assert client.http.get(f"/monster/{wanted}", headers=IMG).status_code == 200
    (key,) = redis_service.client().keys("identidock:*:monster:*")
    redis_service.client().set(key, bad_crc(make_png(80)))
    again = client.http.get(f"/monster/{wanted}", headers=IMG)
    assert again.status_code == 200
    assert again.body == make_png(80)
    assert redis_service.client().get(key) == make_png(80)
    assert upstream.calls == 2


def test_a_dripping_dnmonster_is_cut_off_at_the_deadline(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One byte every 50 ms: each read succeeds, so only a wall-clock deadline ends it."""
    monkeypatch.setenv("DNMONSTER_TIMEOUT", "0.5")
    upstream.answer = Answer(drip_seconds=0.05)
    response = client.http.get(f"/monster/{name()}", headers=IMG)
    assert response.status_code == 504
    deadline = time.monotonic() + 10
    while not upstream.dripped and time.monotonic() < deadline:
        time.sleep(0.05)
    total = len(make_png(80)) + 60  # the body and at least 60 bytes of headers
    # 0.5 s at 50 ms a byte is about 10 bytes; far below the whole answer in any case
    assert upstream.dripped[0] < total // 2


def test_the_page_is_not_held_by_a_dripping_dnmonster(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DNMONSTER_TIMEOUT", "0.5")
    upstream.answer = Answer(drip_seconds=0.05)
    page = client.http.get("/?name=drip", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "could not draw this monster" in page.body.decode()


class LambdaContext:
    """What the Lambda runtime passes: only the remaining time matters here."""

    def __init__(self, remaining_ms: int) -> None:
        self.remaining_ms = remaining_ms
        self.aws_request_id = "test"

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def image_event(monster: str) -> dict[str, Any]:
    return proxy_event(
        resource="/monster/{name}",
        path=f"/monster/{monster}",
        path_parameters={"name": monster},
        headers={"Accept": IMAGE_ACCEPT},
    )


def test_lambdas_remaining_time_bounds_the_call(
    upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """DNMONSTER_TIMEOUT is 30 s, but Lambda will end this invocation in 0.8 s: the function
    answers 504 itself first (0.3 s are kept back), having let dnmonster drip only briefly."""
    monkeypatch.setenv("DNMONSTER_TIMEOUT", "30")
    upstream.answer = Answer(drip_seconds=0.05)
    response = app(image_event(name()), LambdaContext(800))
    assert response["statusCode"] == 504
    deadline = time.monotonic() + 10
    while not upstream.dripped and time.monotonic() < deadline:
        time.sleep(0.05)
    assert upstream.dripped[0] < (len(make_png(80)) + 60) // 2


def test_no_time_left_means_504_without_calling(upstream: UpstreamServer) -> None:
    response = app(image_event(name()), LambdaContext(100))
    assert response["statusCode"] == 504
    assert upstream.calls == 0


def test_twenty_misses_on_a_slow_dnmonster_make_one_call(
    upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """20 simulated Lambda instances (own Redis pool, breakers and connections) miss one name
    while dnmonster takes 6 s and the deadline is 1 s: the leader times out and leaves a failure
    marker; the followers answer 504 from it instead of each calling dnmonster again."""
    monkeypatch.setenv("DNMONSTER_TIMEOUT", "1")
    upstream.answer = Answer(delay_seconds=6)
    settings = get_settings()
    assert settings.cache.redis is not None
    wanted = name()
    barrier = threading.Barrier(20)
    outcomes: list[str] = []

    def instance() -> None:
        assert settings.cache.redis is not None
        cache = RedisCache(make_redis_client(settings.cache.redis, None), CircuitBreaker("r", 10))
        own = DnmonsterClient(settings.dnmonster, CircuitBreaker("d", 5, failures=3))
        try:
            barrier.wait(10)
            get_monster(wanted, settings=settings, cache=cache, client=own)
            outcomes.append("image")
        except DnmonsterError as problem:
            outcomes.append(type(problem).__name__)
        finally:
            cache.client.close()
            own.close()

    threads = [threading.Thread(target=instance) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert upstream.calls == 1
    assert outcomes == [DnmonsterTimeout.__name__] * 20


def test_the_breaker_answers_503_at_once_then_lets_one_trial_through(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DNMONSTER_BREAKER_FAILURES", "2")
    monkeypatch.setenv("DNMONSTER_BREAKER_RESET_SECONDS", "1")
    cached = name()
    assert client.http.get(f"/monster/{cached}", headers=IMG).status_code == 200
    upstream.answer = Answer(status=500, content_type="text/plain", body=b"down")
    for _ in range(2):
        assert client.http.get(f"/monster/{name()}", headers=IMG).status_code == 502
    calls = upstream.calls
    for _ in range(5):
        refused = client.http.get(f"/monster/{name()}", headers=IMG)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == "1"
    assert upstream.calls == calls  # open: dnmonster was not called
    assert client.http.get(f"/monster/{cached}", headers=IMG).status_code == 200  # still served
    breaker = get_dnmonster(get_settings().dnmonster).breaker
    give_up = time.monotonic() + 10
    while breaker.state == "open" and time.monotonic() < give_up:
        time.sleep(0.05)
    upstream.answer = Answer()
    assert client.http.get(f"/monster/{name()}", headers=IMG).status_code == 200  # the trial
    assert upstream.calls == calls + 1
    assert breaker.state == "closed"


def test_a_full_redis_keeps_serving_hits(
    client: Client, upstream: UpstreamServer, redis_service: Any
) -> None:
    """maxmemory with noeviction: writes are refused (OOM), which is not an outage, so the
    breaker stays closed and what is cached keeps coming from Redis."""
    redis = redis_service.client()
    names = [name() for _ in range(5)]
    for each in names:
        assert client.http.get(f"/monster/{each}", headers=IMG).status_code == 200
    used = int(redis.info("memory")["used_memory"])
    redis.config_set("maxmemory-policy", "noeviction")
    redis.config_set("maxmemory", str(used))
    try:
        calls = upstream.calls
        for _ in range(3):
            for each in names:
                response = client.http.get(f"/monster/{each}", headers=IMG)
                assert response.status_code == 200
        assert upstream.calls == calls  # all 15 were hits
        fresh = client.http.get(f"/monster/{name()}", headers=IMG)
        assert fresh.status_code == 200  # a miss is drawn; storing it is refused
        cache = get_cache(get_settings().cache)
        assert isinstance(cache, RedisCache)
        assert cache.breaker.state == "closed"
        assert client.http.get(f"/monster/{names[0]}", headers=IMG).status_code == 200
        assert upstream.calls == calls + 1
    finally:
        redis.config_set("maxmemory", "0")
        redis.config_set("maxmemory-policy", "allkeys-lru")


def test_base64_of_a_checked_png_is_what_the_gateway_gets(upstream: UpstreamServer) -> None:
    response = invoke(image_event(name()))
    assert response["statusCode"] == 200
    assert base64.b64decode(response["body"]) == make_png(80)

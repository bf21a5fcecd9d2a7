"""The sizing benchmark with tiny numbers, through a real redis-server (no timing asserts).

With room for every name the cache must hit exactly on the repeats the stream holds; with less
room than the names need, allkeys-lru must evict and the hit ratio must fall.
"""

from __future__ import annotations

import time

import pytest
from click.testing import CliRunner

from chalicelib.breaker import CircuitBreaker
from chalicelib.cache import RedisCache
from identidock_fn.bench import bench
from identidock_fn.bench.sizing import (
    EdgeModel,
    ZipfNames,
    replay,
    sample_pngs,
    through_edge,
)
from identidock_fn.services import RedisServer

pytestmark = pytest.mark.integration

NAMES = 400
REQUESTS = 3000
WARMUP = 600
SIDE = 80
TINY_RUN = ["sizing", "--names", "200", "--requests", "1500", "--samples", "5"]


def repeats_after(stream: list[int], warmup: int) -> int:
    """Requests after warm-up whose name was asked for before: the hits of an unbounded cache."""
    seen: set[int] = set()
    repeats = 0
    for index, rank in enumerate(stream):
        repeats += index >= warmup and rank in seen
        seen.add(rank)
    return repeats


def test_zipf_stream_favours_the_first_names_and_is_reproducible() -> None:
    zipf = ZipfNames(NAMES, 1.0)
    stream = zipf.stream(REQUESTS, seed=7)
    assert stream == zipf.stream(REQUESTS, seed=7)
    assert all(0 <= rank < NAMES for rank in stream)
    assert stream.count(0) > stream.count(1) > stream.count(NAMES - 1)
    assert stream.count(0) > REQUESTS / 10  # rank 1 of 400 at exponent 1: about 15%
    assert zipf.names_for_share(0.5) < zipf.names_for_share(0.9) <= NAMES


def test_the_edge_model_is_an_lru() -> None:
    edge = EdgeModel(2)
    hits = [edge.hit(rank) for rank in (1, 2, 1, 3, 2, 1)]
    assert hits == [False, False, True, False, False, False]  # 3 evicted 2, then 2 evicted 1
    origin, warmup, edge_hits = through_edge([1, 2, 1, 3, 2, 1], 2, warmup=2)
    assert (origin, warmup, edge_hits) == ([1, 2, 3, 2, 1], 2, 1)


def test_hit_ratio_through_real_redis_matches_the_stream_then_falls_when_memory_is_short(
    redis_service: RedisServer,
) -> None:
    stream = ZipfNames(NAMES, 1.0).stream(REQUESTS, seed=3)
    pngs = sample_pngs(20, SIDE)
    client = redis_service.client()
    cache = RedisCache(redis_service.client(), CircuitBreaker("redis", reset_seconds=1.0))
    deadline = time.perf_counter() + 120
    ample = replay(cache, client, 64 << 20, stream, pngs, SIDE, WARMUP, deadline)
    assert ample.replayed == REQUESTS
    assert ample.requests == REQUESTS - WARMUP
    assert ample.evicted == ample.refused == 0
    assert ample.keys == len(set(stream))
    assert ample.hits == repeats_after(stream, WARMUP)
    assert 200 < ample.bytes_per_key < 5000
    # two thirds of the cached PNGs' memory less than the ample pass ended with
    short_memory = ample.used_memory - int(ample.keys * ample.bytes_per_key * 2 / 3)
    short = replay(cache, client, short_memory, stream, pngs, SIDE, WARMUP, deadline)
    assert short.evicted > 0
    assert short.keys < ample.keys
    assert short.hit_ratio < ample.hit_ratio
    assert client.config_get("maxmemory-policy")["maxmemory-policy"] == "allkeys-lru"


def test_the_command_reports_every_pass() -> None:
    result = CliRunner().invoke(
        bench,
        [*TINY_RUN, "--memory", "8mb,16mb", "--edge-items", "20", "--max-seconds", "60"],
    )
    assert result.exit_code == 0, result.output
    assert "edge model: an LRU of 20 images" in result.output
    rows = [line.split() for line in result.output.splitlines()]
    passes = [row for row in rows if row[:2] in (["8.0", "MB"], ["16.0", "MB"])]
    assert len(passes) == 2
    for row in passes:
        assert row[-1].split("/")[0] == row[-1].split("/")[1]  # the whole stream replayed
    assert "99% of requests: the top" in result.output


def test_the_command_refuses_nonsense() -> None:
    result = CliRunner().invoke(bench, ["sizing", "--names", "0"])
    assert result.exit_code != 0
    assert "must be positive" in result.output

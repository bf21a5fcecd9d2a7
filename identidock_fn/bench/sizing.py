"""`python -m identidock_fn bench sizing`: how much cache memory a Zipf-distributed audience needs.

A stream of names drawn from a Zipf distribution (a few names asked for very often, a long tail
asked for once) is replayed through the project's own cache code (`chalicelib.cache.RedisCache`,
`Keys`: the GET, single-flight claim and store the function makes) against a real `redis-server`
with `maxmemory` and `allkeys-lru` set at run time (`CONFIG SET`, as ElastiCache's parameter
group does). The values are real dnmonster PNGs drawn in process (a sample, reused in turn, so
the run does not spend its time drawing). For each memory size it reports the hit ratio after a
warm-up and the dnmonster render rate it leaves at a given request rate; optionally an LRU model
of the edge (a CloudFront cache of N images) in front shows how much of the stream reaches the
origin at all. Every pass stops at its deadline (`--max-seconds`) and says how far it got.
"""

from __future__ import annotations

import bisect
import itertools
import random
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import click
import redis

from chalicelib.breaker import CircuitBreaker
from chalicelib.cache import CacheUnavailable, Keys, RedisCache
from dnmonster.images import Images
from dnmonster.sprites import load_pack
from identidock_fn.services import RedisServer

ART_VERSION = "1"
TTL_SECONDS = 604800  # the prod stage's CACHE_TTL_SECONDS: longer than any run, as in production
LOCK_MS = 5000
MIB = 1024 * 1024
KEY_SAMPLES = 200


@dataclass(frozen=True)
class ZipfNames:
    """Ranks 1..count with P(rank k) proportional to 1 / k**exponent, sampled by inverse CDF."""

    count: int
    exponent: float

    def cumulative(self) -> list[float]:
        weights = (1.0 / (rank**self.exponent) for rank in range(1, self.count + 1))
        totals = list(itertools.accumulate(weights))
        return [total / totals[-1] for total in totals]

    def stream(self, requests: int, seed: int) -> list[int]:
        """`requests` ranks (0-based), reproducible for a seed."""
        cdf = self.cumulative()
        rng = random.Random(seed)
        last = self.count - 1
        return [min(bisect.bisect_left(cdf, rng.random()), last) for _ in range(requests)]

    def names_for_share(self, share: float) -> int:
        """How many of the most asked-for names make up `share` of all requests."""
        return min(bisect.bisect_left(self.cumulative(), share) + 1, self.count)


class EdgeModel:
    """An LRU of `capacity` images: a stand-in for the CDN's cache of this distribution."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._items: OrderedDict[int, None] = OrderedDict()

    def hit(self, rank: int) -> bool:
        """True when the edge had it; on a miss it now has it (the origin answered)."""
        if rank in self._items:
            self._items.move_to_end(rank)
            return True
        self._items[rank] = None
        if len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return False


@dataclass(frozen=True)
class PassResult:
    memory_bytes: int
    requests: int  # requests that reached the cache after warm-up
    hits: int
    replayed: int  # of the whole stream, before the deadline
    keys: int
    used_memory: int  # the server's INFO used_memory at the end
    bytes_per_key: float  # MEMORY USAGE of cached PNGs, averaged over a sample
    evicted: int
    refused: int  # stores Redis refused (out of memory with nothing left to evict)
    seconds: float

    @property
    def hit_ratio(self) -> float:
        return self.hits / self.requests if self.requests else 0.0


def sample_pngs(count: int, side: int) -> list[bytes]:
    """Real dnmonster PNGs for `count` distinct names (what the cache would hold)."""
    images = Images(load_pack())
    return [images.body(uuid.UUID(int=n).hex, side, "png") for n in range(count)]


def parse_size(text: str) -> int:
    """`512kb`, `8mb`, `1gb` or a byte count."""
    units = {"kb": 1024, "mb": MIB, "gb": 1024 * MIB}
    lowered = text.strip().lower()
    for suffix, factor in units.items():
        if lowered.endswith(suffix):
            return int(float(lowered[: -len(suffix)]) * factor)
    return int(lowered)


def _sample_keys(client: redis.Redis, count: int) -> list[bytes]:
    """Up to `count` cached PNG keys, chosen at random by the server."""
    found: list[bytes] = []
    for _ in range(count):
        key = client.randomkey()
        if not isinstance(key, bytes):  # None: the database is empty
            break
        if b":monster:" in key:
            found.append(key)
    return found


def replay(
    cache: RedisCache,
    client: redis.Redis,
    memory_bytes: int,
    stream: Sequence[int],
    pngs: Sequence[bytes],
    side: int,
    warmup: int,
    deadline: float,
) -> PassResult:
    """One memory size: an empty cache, then the stream as the function would serve it."""
    client.flushall()
    client.config_set("maxmemory", str(memory_bytes))
    client.config_set("maxmemory-policy", "allkeys-lru")
    client.config_resetstat()
    hits = counted = replayed = refused = 0
    started = time.perf_counter()
    for index, rank in enumerate(stream):
        if time.perf_counter() > deadline:
            break
        keys = Keys.for_monster(ART_VERSION, side, f"name-{rank}")
        found = cache.get(keys.value) is not None
        if not found:
            token = uuid.uuid4().hex
            try:
                if cache.claim(keys, token, LOCK_MS).leader:
                    cache.store(keys, token, pngs[rank % len(pngs)], TTL_SECONDS)
            except CacheUnavailable:
                refused += 1
        if index >= warmup:
            counted += 1
            hits += found
        replayed += 1
    info = client.info()
    sampled = [client.memory_usage(k, samples=0) for k in _sample_keys(client, KEY_SAMPLES)]
    sizes = [int(size) for size in sampled if size]
    return PassResult(
        memory_bytes=memory_bytes,
        requests=counted,
        hits=hits,
        replayed=replayed,
        keys=int(client.dbsize()),
        used_memory=int(info["used_memory"]),
        bytes_per_key=sum(sizes) / len(sizes) if sizes else 0.0,
        evicted=int(info["evicted_keys"]),
        refused=refused,
        seconds=time.perf_counter() - started,
    )


def through_edge(stream: Sequence[int], capacity: int, warmup: int) -> tuple[list[int], int, int]:
    """What reaches the origin behind an edge LRU of `capacity` images: the requests it missed
    (in order), how many of them fall in the warm-up, and the edge's hits after warm-up."""
    edge = EdgeModel(capacity)
    origin: list[int] = []
    origin_warmup = edge_hits = 0
    for index, rank in enumerate(stream):
        if edge.hit(rank):
            edge_hits += index >= warmup
            continue
        origin.append(rank)
        origin_warmup += index < warmup
    return origin, origin_warmup, edge_hits


def run_sizing(
    names: int,
    exponent: float,
    requests: int,
    memories: Sequence[int],
    side: int = 80,
    samples: int = 200,
    warmup_share: float = 0.2,
    rate: float = 1000.0,
    edge_items: int = 0,
    seed: int = 1,
    max_seconds: float = 120.0,
) -> Iterator[str]:
    """Run every pass; yield the report line by line."""
    zipf = ZipfNames(names, exponent)
    stream = zipf.stream(requests, seed)
    warmup = int(len(stream) * warmup_share)
    pngs = sample_pngs(samples, side)
    mean_png = sum(map(len, pngs)) / len(pngs)
    yield (
        f"{names} distinct names, Zipf exponent {exponent}, {requests} requests "
        f"(first {warmup} warm the cache), PNGs of {side} px: {mean_png:.0f} bytes on average"
    )
    origin_share = 1.0
    if edge_items:
        counted = len(stream) - warmup
        stream, warmup, edge_hits = through_edge(stream, edge_items, warmup)
        origin_share = 1.0 - edge_hits / max(counted, 1)
        yield (
            f"edge model: an LRU of {edge_items} images answers {1 - origin_share:.1%}; "
            f"{origin_share:.1%} of requests reach the function"
        )
    yield (
        f"at {rate:.0f} requests/s from viewers ({rate * origin_share:.0f}/s reach the function), "
        "dnmonster renders on every cache miss:"
    )
    header = "memory      keys    bytes/key  evicted  refused  hit ratio  renders/s  replayed"
    yield header
    with RedisServer() as server:  # started on enter, stopped and removed on exit
        client = server.client()
        cache = RedisCache(server.client(), CircuitBreaker("redis", reset_seconds=1.0))
        results = []
        for memory in memories:
            deadline = time.perf_counter() + max_seconds
            result = replay(cache, client, memory, stream, pngs, side, warmup, deadline)
            results.append(result)
            renders = (1 - result.hit_ratio) * rate * origin_share
            yield (
                f"{memory / MIB:7.1f} MB {result.keys:8d} {result.bytes_per_key:10.0f} "
                f"{result.evicted:8d} {result.refused:8d} {result.hit_ratio:10.1%} "
                f"{renders:10.1f} {result.replayed}/{len(stream)}"
            )
        full = [r for r in results if r.evicted and r.keys]
        per_key = (full or results)[-1].bytes_per_key
        yield f"sizing by the most asked-for names ({per_key:.0f} bytes per cached PNG measured):"
        for share in (0.8, 0.9, 0.95, 0.99):
            top = zipf.names_for_share(share)
            megabytes = top * per_key / MIB
            yield f"  {share:.0%} of requests: the top {top} names, about {megabytes:.1f} MB"


@click.command()
@click.option("--names", default=100_000, show_default=True, help="Distinct names.")
@click.option("--exponent", default=1.0, show_default=True, help="Zipf exponent.")
@click.option("--requests", default=300_000, show_default=True, help="Requests replayed.")
@click.option(
    "--memory",
    "memory_sizes",
    default="2mb,8mb,32mb",
    show_default=True,
    help="Comma-separated maxmemory sizes, one pass each.",
)
@click.option("--side", default=80, show_default=True, help="PNG side in pixels.")
@click.option("--samples", default=200, show_default=True, help="Distinct real PNGs drawn.")
@click.option("--rate", default=1000.0, show_default=True, help="Viewer requests per second.")
@click.option("--edge-items", default=0, show_default=True, help="Edge LRU model size (0: none).")
@click.option("--seed", default=1, show_default=True)
@click.option("--max-seconds", default=120.0, show_default=True, help="Deadline of each pass.")
def sizing(
    names: int,
    exponent: float,
    requests: int,
    memory_sizes: str,
    side: int,
    samples: int,
    rate: float,
    edge_items: int,
    seed: int,
    max_seconds: float,
) -> None:
    """Hit ratio and dnmonster render rate for several cache memory sizes (Zipf names)."""
    if names < 1 or requests < 1 or samples < 1 or exponent <= 0:
        raise click.BadParameter("names, requests and samples must be positive, exponent > 0")
    memories = [parse_size(part) for part in memory_sizes.split(",") if part.strip()]
    for line in run_sizing(
        names, exponent, requests, memories, side, samples, 0.2, rate, edge_items, seed, max_seconds
    ):
        click.echo(line)

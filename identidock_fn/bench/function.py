"""`python -m identidock_fn bench function`: the Lambda handler against its own dependencies.

In one run, with a real redis-server and a real dnmonster started on loopback ports:
- cache hit: `app.app(event, context)` for an API Gateway REST proxy event (stage `api`, Chrome's
  `<img>` Accept), against a bare redis-py `GET` of the same PNG bytes (goal: within 2x);
- cache miss: the handler for a never-seen name, against a direct keep-alive `http.client` GET of
  another never-seen name from the same dnmonster (goal: within 1.3x), and against the floor of
  any shared cache: a redis-py GET that misses, that dnmonster GET and a SET of the image, over
  one pinned connection like the handler's;
- cold start: import and first request (the page, a cached image, a new image), against a
  hello-world Chalice app (goal: within 1.15x for each);
- the deployment zip `deploy --target aws` ships: its size (goal: at most 2 MB) and the app's
  import from it unpacked, with its bytecode and without.
Handler and baseline calls alternate, so a noisy neighbour slows both alike.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import http.client
import importlib
import json
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import click
import redis

from identidock_fn.bench.cold_start import bench_cold_start
from identidock_fn.bench.errors import BenchError
from identidock_fn.bench.events import LambdaContext, monster_event, page_event
from identidock_fn.bench.package import bench_package, package_report
from identidock_fn.bench.stats import ratio, summarize
from identidock_fn.paths import PROJECT_ROOT
from identidock_fn.services import DnmonsterServer, RedisServer

HIT_GOAL_RATIO = 2.0
MISS_GOAL_RATIO = 1.3
SIZE = 80


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Send fd 1 to /dev/null: the app still writes its JSON log lines (a real cost), unseen."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def stage_environment(stage: str) -> dict[str, str]:
    """The environment variables `.chalice/config.json` gives a stage (top level, then stage)."""
    config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
    env = dict(config.get("environment_variables", {}))
    env.update(config["stages"][stage].get("environment_variables", {}))
    return env


def load_app() -> Any:
    """Import `app.py` from the project root, as the Lambda runtime does on a cold start."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    return importlib.import_module("app").app


def png_body(response: dict[str, Any]) -> bytes:
    if response.get("statusCode") != 200:
        raise BenchError(f"handler answered {response.get('statusCode')}: {response.get('body')}")
    body = response["body"]
    return base64.b64decode(body) if response.get("isBase64Encoded") else body.encode("latin-1")


def timed(call: Callable[[], Any]) -> tuple[int, Any]:
    started = time.perf_counter_ns()
    result = call()
    return time.perf_counter_ns() - started, result


def key_holding(client: redis.Redis, value: bytes) -> str:
    """The one cache key whose value is `value` (the app's key scheme stays the app's business)."""
    keys = [key for key in client.scan_iter(count=1000) if client.get(key) == value]
    if len(keys) != 1:
        raise BenchError(f"expected one Redis key holding the PNG, found {len(keys)}")
    return bytes(keys[0]).decode()


def bench_hit(app: Any, client: redis.Redis, iterations: int) -> dict[str, Any]:
    event = monster_event("Joe Bloggs")
    with quiet_stdout():
        first = png_body(app(copy.deepcopy(event), LambdaContext()))  # a miss: fills the cache
    key = key_holding(client, first)
    handler_ns, bare_ns = [], []
    with quiet_stdout():
        for _ in range(iterations):
            request = copy.deepcopy(event)
            context = LambdaContext()
            elapsed, response = timed(lambda: app(request, context))  # noqa: B023
            handler_ns.append(elapsed)
            if png_body(response) != first:
                raise BenchError("a cache hit returned other bytes than the cached PNG")
            elapsed, value = timed(lambda: client.get(key))
            bare_ns.append(elapsed)
            if value != first:
                raise BenchError("the bare GET returned other bytes than the cached PNG")
    handler, bare = summarize(handler_ns), summarize(bare_ns)
    return {
        "png_bytes": len(first),
        "handler": handler.as_dict(),
        "bare_redis_get": bare.as_dict(),
        "ratio_median": ratio(handler, bare),
        "goal_ratio": HIT_GOAL_RATIO,
        "goal_met": ratio(handler, bare) <= HIT_GOAL_RATIO,
    }


def bench_miss(
    app: Any, client: redis.Redis, dnmonster_url: str, iterations: int
) -> dict[str, Any]:
    run = uuid.uuid4().hex[:8]
    keys_before = client.dbsize()
    handler_ns, direct_ns, floor_ns = [], [], []
    origin = urlsplit(dnmonster_url)
    conn = http.client.HTTPConnection(origin.hostname or "", origin.port, timeout=30)
    # The floor's Redis client is as lean as the handler's: one pinned connection, no pool.
    pinned = redis.Redis(connection_pool=client.connection_pool, single_connection_client=True)
    with contextlib.closing(conn), contextlib.closing(pinned), quiet_stdout():
        for i in range(iterations):
            request = monster_event(f"bench miss {run} {i}")
            context = LambdaContext()
            elapsed, response = timed(lambda: app(request, context))  # noqa: B023
            handler_ns.append(elapsed)
            png_body(response)
            name = hashlib.sha256(f"bench direct {run} {i}".encode()).hexdigest()
            target = f"/monster/{name}?size={SIZE}"
            elapsed, (status, _) = timed(lambda: direct_get(conn, target))  # noqa: B023
            direct_ns.append(elapsed)
            if status != 200:
                raise BenchError(f"dnmonster answered {status}")
            name = hashlib.sha256(f"bench floor {run} {i}".encode()).hexdigest()
            elapsed, _ = timed(lambda: cache_aside_miss(pinned, conn, name))  # noqa: B023
            floor_ns.append(elapsed)
    stored = client.dbsize() - keys_before
    if stored != 2 * iterations:  # the handler's images and the floor's
        raise BenchError(f"{iterations} misses and floors stored {stored} new images in Redis")
    handler, direct, floor = summarize(handler_ns), summarize(direct_ns), summarize(floor_ns)
    return {
        "handler": handler.as_dict(),
        "direct_dnmonster": direct.as_dict(),
        "cache_aside_floor": floor.as_dict(),
        "ratio_median": ratio(handler, direct),
        "floor_ratio_median": ratio(floor, direct),
        "handler_to_floor_ratio_median": ratio(handler, floor),
        "overhead_median_us": round(handler.median_us - direct.median_us, 1),
        "goal_ratio": MISS_GOAL_RATIO,
        "goal_met": ratio(handler, direct) <= MISS_GOAL_RATIO,
    }


def cache_aside_miss(client: redis.Redis, conn: http.client.HTTPConnection, name: str) -> None:
    """The least any shared cache does on a miss, as plain redis-py and `http.client` calls: a
    GET that finds nothing, the dnmonster GET, a SET of the image. No lock, no checks, no HTTP
    layer around it."""
    key = f"bench:floor:{name}"
    if client.get(key) is not None:
        raise BenchError(f"{key} was already cached")
    status, png = direct_get(conn, f"/monster/{name}?size={SIZE}")
    if status != 200:
        raise BenchError(f"dnmonster answered {status}")
    client.set(key, png, ex=3600)


def direct_get(conn: http.client.HTTPConnection, target: str) -> tuple[int, bytes]:
    """One keep-alive GET, body read: the leanest client there is (the baseline)."""
    conn.request("GET", target, headers={"Accept": "image/png"})
    answer = conn.getresponse()
    return answer.status, answer.read()


def run_benchmarks(
    iterations: int, miss_iterations: int, import_runs: int, stage: str, package_stage: str | None
) -> dict[str, Any]:
    results: dict[str, Any] = {"python": sys.version.split()[0], "cpus": os.cpu_count()}
    with contextlib.ExitStack() as stack:
        redis_server = stack.enter_context(RedisServer())
        dnmonster = stack.enter_context(DnmonsterServer())
        env = stage_environment(stage) | {
            "DNMONSTER_URL": dnmonster.url,
            "REDIS_URL": redis_server.url,
        }
        os.environ.update(env)
        with quiet_stdout():
            app = load_app()
        client = redis_server.client()
        click.echo(f"cache hit: {iterations} iterations", err=True)
        results["hit"] = bench_hit(app, client, iterations)
        click.echo(f"cache miss: {miss_iterations} iterations", err=True)
        results["miss"] = bench_miss(app, client, dnmonster.url, miss_iterations)
        click.echo(f"cold start: {import_runs} runs of each app", err=True)
        run = uuid.uuid4().hex[:8]
        first_requests = {
            "the page": lambda sample: page_event(),
            "a cached image": lambda sample: monster_event("Joe Bloggs"),  # cached above
            "a new image": lambda sample: monster_event(f"bench cold miss {run} {sample}"),
        }
        results["cold_start"] = bench_cold_start(import_runs, first_requests, {**os.environ, **env})
    if package_stage is not None:
        click.echo(f"deployment zip for stage {package_stage}", err=True)
        results["package"] = bench_package(package_stage)
    return results


def report(results: dict[str, Any]) -> str:
    hit, miss, cold = results["hit"], results["miss"], results["cold_start"]
    lines = [
        f"python {results['python']}, {results['cpus']} CPUs; times in microseconds",
        f"{'measurement':<34}{'n':>6}{'median':>10}{'p99':>10}",
    ]
    rows = [
        ("cache hit: handler", hit["handler"]),
        ("cache hit: bare redis-py GET", hit["bare_redis_get"]),
        ("cache miss: handler", miss["handler"]),
        ("cache miss: direct dnmonster GET", miss["direct_dnmonster"]),
        ("cache miss: cache-aside floor", miss["cache_aside_floor"]),
    ]
    for label, row in rows:
        lines.append(f"{label:<34}{row['n']:>6}{row['median_us']:>10}{row['p99_us']:>10}")
    met = "met" if hit["goal_met"] else "NOT met"
    lines.append(
        f"hit/bare GET median ratio: {hit['ratio_median']}x (goal <= {HIT_GOAL_RATIO}x: {met})"
    )
    lines.append(
        f"miss/direct dnmonster median ratio: {miss['ratio_median']}x "
        f"(+{miss['overhead_median_us']} us)"
    )
    met = "met" if miss["goal_met"] else "NOT met"
    lines[-1] += f" (goal <= {MISS_GOAL_RATIO}x: {met})"
    lines.append(
        f"cache-aside floor (GET, dnmonster GET, SET)/direct dnmonster: "
        f"{miss['floor_ratio_median']}x; the handler's miss/that floor: "
        f"{miss['handler_to_floor_ratio_median']}x"
    )
    met = "met" if cold["goal_met"] else "NOT met"
    firsts = ", ".join(
        f"{label} {row['median_ms']} ms (+{row['added_ms']} ms: {row['ratio_median']}x)"
        for label, row in cold["first_requests"].items()
    )
    lines.append(
        f"cold start (import + first request), against a hello-world Chalice app's "
        f"{cold['hello_world_median_ms']} ms: {firsts} (goal <= {cold['goal_ratio']}x for "
        f"each: {met}; median of {cold['runs']} runs)"
    )
    lines.append(
        f"collector paused while loading (app.py): hello-world {cold['hello_world_median_ms']} "
        f"ms, {cold['stock_hello_world_median_ms']} ms without the pause"
    )
    if "package" in results:
        lines.append(package_report(results["package"]))
    return "\n".join(lines)


@click.command()
@click.option("-n", "--iterations", default=2000, show_default=True, type=click.IntRange(2))
@click.option("--miss-iterations", default=200, show_default=True, type=click.IntRange(2))
@click.option(
    "--import-runs",
    default=15,
    show_default=True,
    type=click.IntRange(1),
    help="Cold-start samples of each app.",
)
@click.option(
    "--stage", default="local", show_default=True, help="Whose environment variables the app gets."
)
@click.option(
    "--package-stage",
    default="prod",
    show_default=True,
    help="Stage whose deployment zip to build and measure (needs PyPI); empty to skip.",
)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, path_type=Path))
def function(
    iterations: int,
    miss_iterations: int,
    import_runs: int,
    stage: str,
    package_stage: str,
    json_path: Path | None,
) -> None:
    """Time the handler's cache hit and miss paths, cold start and deployment zip size."""
    try:
        results = run_benchmarks(
            iterations, miss_iterations, import_runs, stage, package_stage or None
        )
    except BenchError as error:
        raise click.ClickException(str(error)) from error
    click.echo(report(results))
    if json_path is not None:
        json_path.write_text(json.dumps(results, indent=2) + "\n")

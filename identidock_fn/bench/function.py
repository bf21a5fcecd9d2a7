"""`python -m identidock_fn bench function`: the Lambda handler against its own dependencies.

In one run, with a real redis-server and a real dnmonster started on loopback ports:
- cache hit: `app.app(event, context)` for an API Gateway REST proxy event (stage `api`, Chrome's
  `<img>` Accept), against a bare redis-py `GET` of the same PNG bytes (goal: within 3x);
- cache miss: the handler for a never-seen name, against a direct dnmonster request;
- the app's cold import time (`python -X importtime -c "import app"`, fresh interpreters);
- the `chalice package` deployment zip size (goal: at most 1.5 MB).
Handler and baseline calls alternate, so a noisy neighbour slows both alike.
"""

from __future__ import annotations

import base64
import contextlib
import copy
import hashlib
import importlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import click
import redis
import requests

from identidock_fn.bench.events import LambdaContext, monster_event
from identidock_fn.bench.stats import ratio, summarize
from identidock_fn.services import PROJECT_ROOT, DnmonsterServer, RedisServer

HIT_GOAL_RATIO = 3.0
ZIP_GOAL_BYTES = 1_500_000
SIZE = 80


class BenchError(RuntimeError):
    """The handler did not behave as the measurement assumes (e.g. a hit was not a hit)."""


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
    return keys[0].decode()


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
    handler_ns, direct_ns = [], []
    with requests.Session() as http, quiet_stdout():
        for i in range(iterations):
            request = monster_event(f"bench miss {run} {i}")
            context = LambdaContext()
            elapsed, response = timed(lambda: app(request, context))  # noqa: B023
            handler_ns.append(elapsed)
            png_body(response)
            name = hashlib.sha256(f"bench direct {run} {i}".encode()).hexdigest()
            url = f"{dnmonster_url}/monster/{name}?size={SIZE}"
            elapsed, direct = timed(lambda: http.get(url, timeout=30))  # noqa: B023
            direct_ns.append(elapsed)
            direct.raise_for_status()
    stored = client.dbsize() - keys_before
    if stored != iterations:
        raise BenchError(f"{iterations} misses stored {stored} new images in Redis")
    handler, direct = summarize(handler_ns), summarize(direct_ns)
    return {
        "handler": handler.as_dict(),
        "direct_dnmonster": direct.as_dict(),
        "ratio_median": ratio(handler, direct),
        "overhead_median_us": round(handler.median_us - direct.median_us, 1),
    }


def app_import_us(stderr: str) -> tuple[int, dict[str, int]]:
    """From `-X importtime` output: `app`'s cumulative microseconds and its direct imports'."""
    children: dict[str, int] = {}
    for line in stderr.splitlines():
        parts = line.split("|")
        if not line.startswith("import time:") or len(parts) != 3:
            continue
        cumulative, name = parts[1].strip(), parts[2]
        if not cumulative.isdigit():
            continue  # the header line
        depth = (len(name) - len(name.lstrip(" ")) - 1) // 2
        if depth == 1:
            children[name.strip()] = int(cumulative)
        elif depth == 0 and name.strip() == "app":
            return int(cumulative), children
        elif depth == 0:
            children = {}
    raise BenchError("`import app` did not show up in -X importtime output")


def bench_cold_import(runs: int, env: dict[str, str]) -> dict[str, Any]:
    command = [sys.executable, "-X", "importtime", "-c", "import app"]
    totals: list[int] = []
    per_import: dict[str, list[int]] = {}
    for attempt in range(runs + 1):  # the first run only warms the .pyc files and page cache
        done = subprocess.run(
            command, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise BenchError(f"`import app` failed:\n{done.stderr[-2000:]}")
        total, children = app_import_us(done.stderr)
        if attempt:
            totals.append(total)
            for name, us in children.items():
                per_import.setdefault(name, []).append(us)
    medians = {name: statistics.median(values) for name, values in per_import.items()}
    top = sorted(medians.items(), key=lambda item: item[1], reverse=True)[:5]
    return {
        "runs": runs,
        "median_ms": round(statistics.median(totals) / 1000, 1),
        "max_ms": round(max(totals) / 1000, 1),
        "heaviest_direct_imports_ms": {name: round(us / 1000, 1) for name, us in top},
    }


def bench_package(stage: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="identidock-package-") as out:
        done = subprocess.run(
            [str(Path(sys.executable).parent / "chalice"), "package", "--stage", stage, out],
            cwd=PROJECT_ROOT,
            # packaging talks to no AWS API, but chalice insists on knowing a region
            env={"AWS_DEFAULT_REGION": "us-east-1", **os.environ},
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise BenchError(f"`chalice package` failed:\n{(done.stderr or done.stdout)[-2000:]}")
        zip_path = Path(out) / "deployment.zip"
        with zipfile.ZipFile(zip_path) as archive:
            files = archive.infolist()
        size = zip_path.stat().st_size
    return {
        "stage": stage,
        "zip_bytes": size,
        "files": len(files),
        "unzipped_bytes": sum(info.file_size for info in files),
        "goal_bytes": ZIP_GOAL_BYTES,
        "goal_met": size <= ZIP_GOAL_BYTES,
    }


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
        click.echo(f"cold import: {import_runs} runs", err=True)
        results["cold_import"] = bench_cold_import(import_runs, {**os.environ, **env})
    if package_stage is not None:
        click.echo(f"chalice package --stage {package_stage}", err=True)
        results["package"] = bench_package(package_stage)
    return results


def report(results: dict[str, Any]) -> str:
    hit, miss, cold = results["hit"], results["miss"], results["cold_import"]
    lines = [
        f"python {results['python']}, {results['cpus']} CPUs; times in microseconds",
        f"{'measurement':<34}{'n':>6}{'median':>10}{'p99':>10}",
    ]
    rows = [
        ("cache hit: handler", hit["handler"]),
        ("cache hit: bare redis-py GET", hit["bare_redis_get"]),
        ("cache miss: handler", miss["handler"]),
        ("cache miss: direct dnmonster GET", miss["direct_dnmonster"]),
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
    lines.append(f"cold `import app`: median {cold['median_ms']} ms over {cold['runs']} runs")
    lines.append(f"  heaviest direct imports (ms): {cold['heaviest_direct_imports_ms']}")
    if "package" in results:
        package = results["package"]
        met = "met" if package["goal_met"] else "NOT met"
        lines.append(
            f"chalice package --stage {package['stage']}: deployment.zip {package['zip_bytes']} "
            f"bytes, {package['files']} files (goal <= {ZIP_GOAL_BYTES} bytes: {met})"
        )
    return "\n".join(lines)


@click.command()
@click.option("-n", "--iterations", default=2000, show_default=True, type=click.IntRange(2))
@click.option("--miss-iterations", default=200, show_default=True, type=click.IntRange(2))
@click.option("--import-runs", default=5, show_default=True, type=click.IntRange(1))
@click.option(
    "--stage", default="local", show_default=True, help="Whose environment variables the app gets."
)
@click.option(
    "--package-stage",
    default="prod",
    show_default=True,
    help="Stage to `chalice package` (needs PyPI); empty to skip.",
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
    """Time the handler's cache hit and miss paths, cold import and deployment zip size."""
    try:
        results = run_benchmarks(
            iterations, miss_iterations, import_runs, stage, package_stage or None
        )
    except BenchError as error:
        raise click.ClickException(str(error)) from error
    click.echo(report(results))
    if json_path is not None:
        json_path.write_text(json.dumps(results, indent=2) + "\n")

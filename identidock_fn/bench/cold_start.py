"""Cold start: our app against a hello-world Chalice app importing the same runtime libraries.

Each sample is a fresh interpreter that imports the app and handles its first request (so a lazy
import cannot hide a cost). Ours is measured twice: a first request that is a cache hit (`GET
/monster/{name}` from Redis, whose client connects on that request) and one that is a miss (a
never-seen name: the claim, a dnmonster call, the store). The hello-world app answers `GET /`
with a short text. Samples alternate, so a busy machine slows all alike. The difference is what
our own code adds; the goal holds only if both first requests meet it.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from identidock_fn.paths import PROJECT_ROOT

GOAL_RATIO = 1.15

# The runtime libraries our app imports, so only our own code differs: Chalice, redis-py, and
# the standard library's HTTP client that our dnmonster client is built on (where `requests`
# was before issue 12).
HELLO_APP = """
import http.client
import redis
from chalice import Chalice

app = Chalice(app_name="hello")


@app.route("/")
def index():
    return {"hello": "world"}
"""

# Runs in the fresh interpreter: import the app, handle one event, print the elapsed time.
PROBE = """
import json, os, sys, time
started = time.perf_counter()
sys.path.insert(0, os.getcwd())
out = sys.stdout
sys.stdout = open(os.devnull, "w")
import app
response = app.app(json.loads(sys.argv[1]), None)
elapsed = time.perf_counter() - started
sys.stdout = out
print(json.dumps({"ms": elapsed * 1000, "status": response["statusCode"]}))
"""


def _sample(cwd: Path, event: dict[str, Any], env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(event)],
        cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(f"cold start probe failed:\n{done.stderr[-2000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["status"] != 200:
        raise RuntimeError(f"the first request answered {result['status']}")
    return float(result["ms"])


def hello_event() -> dict[str, Any]:
    return {
        "resource": "/", "path": "/", "httpMethod": "GET", "headers": {"Accept": "*/*"},
        "multiValueHeaders": {"Accept": ["*/*"]}, "queryStringParameters": None,
        "multiValueQueryStringParameters": None, "pathParameters": None,
        "stageVariables": None, "body": None, "isBase64Encoded": False,
        "requestContext": {"resourcePath": "/", "httpMethod": "GET", "path": "/api/",
                           "stage": "api", "requestId": "cold"},
    }  # fmt: skip


def bench_cold_start(
    runs: int,
    hit_event: dict[str, Any],
    miss_event: Callable[[int], dict[str, Any]],
    env: dict[str, str],
) -> dict[str, Any]:
    """Median milliseconds from interpreter start to the first answer: ours (a hit, a miss for
    `miss_event(sample)`, a new name each time) and hello-world's.

    Bytecode is allowed (PYTHONDONTWRITEBYTECODE is dropped): the libraries were compiled when
    pip installed them, and our modules must be compared compiled too (the warm-up round writes
    their .pyc files; `chalice package` ships them in the zip)."""
    env = {key: value for key, value in env.items() if key != "PYTHONDONTWRITEBYTECODE"}
    hits: list[float] = []
    misses: list[float] = []
    hello: list[float] = []
    with tempfile.TemporaryDirectory(prefix="identidock-hello-") as folder:
        hello_dir = Path(folder)
        (hello_dir / "app.py").write_text(HELLO_APP)
        for attempt in range(runs + 1):  # the first round only warms .pyc files and page cache
            hit = _sample(PROJECT_ROOT, hit_event, env)
            miss = _sample(PROJECT_ROOT, miss_event(attempt), env)
            theirs = _sample(hello_dir, hello_event(), env)
            if attempt:
                hits.append(hit)
                misses.append(miss)
                hello.append(theirs)
    hello_ms = statistics.median(hello)
    hit_ms, miss_ms = statistics.median(hits), statistics.median(misses)
    hit_ratio, miss_ratio = round(hit_ms / hello_ms, 2), round(miss_ms / hello_ms, 2)
    return {
        "runs": runs,
        "ours_median_ms": round(hit_ms, 1),
        "ours_miss_median_ms": round(miss_ms, 1),
        "hello_world_median_ms": round(hello_ms, 1),
        "ratio_median": hit_ratio,
        "miss_ratio_median": miss_ratio,
        "goal_ratio": GOAL_RATIO,
        "goal_met": max(hit_ratio, miss_ratio) <= GOAL_RATIO,
    }

"""2,000 requests at 8 concurrent connections over 200 names, through API Gateway: zero errors."""

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from identidock_fn.bench.events import IMAGE_ACCEPT
from tests.e2e.stack import Deployment

pytestmark = pytest.mark.e2e

REQUESTS = 2000
CONNECTIONS = 8
NAMES = 200


def test_load_has_no_errors_and_reports_latency(
    deployment: Deployment, capsys: pytest.CaptureFixture[str]
) -> None:
    local = threading.local()

    def one(i: int) -> tuple[float, int, bool]:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        started = time.perf_counter()
        response = session.get(
            f"{deployment.url}monster/load-{i % NAMES}",
            headers={"Accept": IMAGE_ACCEPT},
            timeout=60,
        )
        elapsed = time.perf_counter() - started
        return elapsed, response.status_code, response.content.startswith(b"\x89PNG")

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        results = list(pool.map(one, range(REQUESTS)))
    wall = time.perf_counter() - started

    errors = [(status, png) for _, status, png in results if status != 200 or not png]
    latencies = sorted(seconds * 1000 for seconds, _, _ in results)
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    with capsys.disabled():
        print(
            f"\nLocalStack e2e load: {REQUESTS} requests, {CONNECTIONS} connections, {NAMES} names:"
            f" p50 {p50:.1f} ms, p99 {p99:.1f} ms, {REQUESTS / wall:.0f} req/s,"
            f" {len(errors)} errors"
        )
    assert errors == []

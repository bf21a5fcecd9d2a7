"""`bench function` with tiny numbers, in its own process (it imports the app with the stage's
environment): every measurement runs and checks what it measures (hits return the cached bytes,
each miss stores one new image, every cold-start probe answers 200), and the deployment zip's
import from it unpacked, with and without bytecode. No timing asserts.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from identidock_fn.bench.package import bench_package, package_report
from identidock_fn.paths import PROJECT_ROOT

pytestmark = pytest.mark.integration

TINY_RUN = ["-n", "3", "--miss-iterations", "3", "--import-runs", "1", "--package-stage", ""]


def test_bench_function_measures_every_path_against_its_baseline(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    command = [sys.executable, "-m", "identidock_fn", "bench", "function", *TINY_RUN]
    done = subprocess.run(
        [*command, "--json", str(out)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=240, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["hit"]["handler"]["n"] == 3
    assert results["hit"]["bare_redis_get"]["n"] == 3
    assert results["miss"]["handler"]["n"] == 3
    assert results["miss"]["direct_dnmonster"]["n"] == 3
    assert results["miss"]["cache_aside_floor"]["n"] == 3
    for ratio in (results["hit"]["ratio_median"], results["miss"]["ratio_median"]):
        assert ratio > 0
    cold = results["cold_start"]
    assert cold["runs"] == 1
    assert set(cold["first_requests"]) == {"the page", "a cached image", "a new image"}
    assert min(row["median_ms"] for row in cold["first_requests"].values()) > 0
    assert min(cold["hello_world_median_ms"], cold["stock_hello_world_median_ms"]) > 0
    assert "package" not in results  # --package-stage "" skips `chalice package`
    assert "cold start (import + first request), against a hello-world" in done.stdout
    assert "cache-aside floor (GET, dnmonster GET, SET)/direct dnmonster" in done.stdout


def test_bench_package_measures_the_zip_the_aws_deploy_ships() -> None:
    result = bench_package("prod", runs=1)
    assert result["bytecode_files"] == result["modules"] > 0  # every module has its bytecode
    assert result["zip_bytes"] > 0
    assert min(result["import_with_bytecode_ms"], result["import_without_bytecode_ms"]) > 0
    assert "importing the app from it unpacked" in package_report(result)

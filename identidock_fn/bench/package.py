"""The Lambda deployment zip, as `deploy --target aws` builds it: its size, and how long the app
takes to import from it unpacked, with the bytecode we add and without (as `chalice package`
alone would ship it).

Lambda unpacks the zip into a read-only directory, so Python cannot cache what it compiles; each
probe here is a fresh interpreter that imports `app` from the unpacked zip alone (`-S`: no
site-packages, so redis-py and Chalice come from the zip, as on Lambda) and writes no bytecode.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from identidock_fn.bench.errors import BenchError
from infra.bytecode import DEPLOYMENT_ZIP
from infra.package import PackagingError, package_stack

ZIP_GOAL_BYTES = 2_000_000

PROBE = """
import os, sys, time
started = time.perf_counter()
sys.path.insert(0, os.getcwd())
sys.stdout = open(os.devnull, "w")
import app
sys.stderr.write(repr((time.perf_counter() - started) * 1000))
"""


def _import_ms(folder: Path) -> float:
    done = subprocess.run(
        [sys.executable, "-B", "-S", "-E", "-c", PROBE],
        cwd=folder, env={"PATH": "/usr/bin:/bin"}, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"importing the app from the unpacked zip failed:\n{done.stderr[-2000:]}")
    return float(done.stderr.strip().splitlines()[-1])


def _unpack(zip_path: Path, folder: Path, bytecode: bool) -> None:
    with zipfile.ZipFile(zip_path) as archive:
        for info in archive.infolist():
            if bytecode or not info.filename.endswith(".pyc"):
                archive.extract(info, folder)


def bench_package(stage: str, runs: int = 5) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="identidock-package-") as tmp:
        out = Path(tmp, "out")
        try:
            package_stack(out, stage=stage)
        except PackagingError as error:
            raise BenchError(str(error)) from error
        zip_path = out / DEPLOYMENT_ZIP
        with zipfile.ZipFile(zip_path) as archive:
            files = archive.infolist()
        with_dir, without_dir = Path(tmp, "with"), Path(tmp, "without")
        _unpack(zip_path, with_dir, bytecode=True)
        _unpack(zip_path, without_dir, bytecode=False)
        with_ms: list[float] = []
        without_ms: list[float] = []
        for _ in range(runs):  # alternating, so a busy machine slows both alike
            with_ms.append(_import_ms(with_dir))
            without_ms.append(_import_ms(without_dir))
        size = zip_path.stat().st_size
    with_median, without_median = statistics.median(with_ms), statistics.median(without_ms)
    return {
        "stage": stage,
        "zip_bytes": size,
        "files": len(files),
        "modules": sum(info.filename.endswith(".py") for info in files),
        "bytecode_files": sum(info.filename.endswith(".pyc") for info in files),
        "unzipped_bytes": sum(info.file_size for info in files),
        "goal_bytes": ZIP_GOAL_BYTES,
        "goal_met": size <= ZIP_GOAL_BYTES,
        "import_runs": runs,
        "import_with_bytecode_ms": round(with_median, 1),
        "import_without_bytecode_ms": round(without_median, 1),
        "bytecode_speedup": round(without_median / with_median, 2),
    }


def package_report(package: dict[str, Any]) -> str:
    met = "met" if package["goal_met"] else "NOT met"
    return (
        f"deployment zip (stage {package['stage']}): {package['zip_bytes']} bytes, "
        f"{package['files']} files, {package['bytecode_files']} of them bytecode "
        f"(goal <= {ZIP_GOAL_BYTES} bytes: {met}); importing the app from it unpacked: "
        f"{package['import_with_bytecode_ms']} ms with that bytecode, "
        f"{package['import_without_bytecode_ms']} ms without: "
        f"{package['bytecode_speedup']}x (median of {package['import_runs']})"
    )

"""The Lambda deployment zip that `chalice package` builds: its size against the goal."""

from __future__ import annotations

import os
import subprocess
import tempfile
import zipfile
from pathlib import Path
from typing import Any

from identidock_fn.bench.errors import BenchError
from identidock_fn.paths import PROJECT_ROOT, executable

ZIP_GOAL_BYTES = 1_500_000


def bench_package(stage: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="identidock-package-") as out:
        done = subprocess.run(
            [executable("chalice"), "package", "--stage", stage, out],
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


def package_report(package: dict[str, Any]) -> str:
    met = "met" if package["goal_met"] else "NOT met"
    return (
        f"chalice package --stage {package['stage']}: deployment.zip {package['zip_bytes']} "
        f"bytes, {package['files']} files (goal <= {ZIP_GOAL_BYTES} bytes: {met})"
    )

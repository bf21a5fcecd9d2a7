"""`python -m dnmonster.bench` runs end to end (tiny durations; figures are not asserted)."""

import re
import subprocess
import sys

import pytest

from .conftest import CLASSIC, PROJECT

pytestmark = pytest.mark.integration


def test_bench_reports_both_parts() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dnmonster.bench", "--sprites", str(CLASSIC), "--images", "200",
         "--reference-images", "5", "--duration", "1", "--connections", "1", "4", "--workers", "1"],
        cwd=PROJECT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert re.search(r"dnmonster\s+[\d,]+ images/s", out)
    assert re.search(r"reference\s+[\d,]+ images/s", out)
    rows = re.findall(r"^\s+(\d+)\s+([\d,]+)\s+[\d.]+\s+[\d.]+\s+0\s", out, re.M)
    assert [int(conns) for conns, _ in rows] == [1, 4]
    assert all(int(rps.replace(",", "")) > 0 for _, rps in rows)

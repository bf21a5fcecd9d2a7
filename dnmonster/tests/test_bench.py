"""`python -m dnmonster.bench` runs end to end (tiny durations; figures are not asserted)."""

import re
import subprocess
import sys

import pytest

from dnmonster.bench import ORIGINAL_RPS

from .conftest import CLASSIC, PROJECT, SHARED

pytestmark = pytest.mark.integration


def test_bench_reports_both_parts() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dnmonster.bench", "--sprites", str(CLASSIC), "--images", "200",
         "--reference-images", "5", "--duration", "1", "--connections", "1", "4", "--workers", "1"],
        cwd=PROJECT, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "generator OpenSSL RC4" in out
    assert re.search(r"dnmonster\s+[\d,]+ images/s .* goal 40,000: (met|NOT met)", out)
    assert re.search(r"reference\s+[\d,]+ images/s .* -> dnmonster \d+x", out)
    rows = re.findall(
        r"^\s+(\d+)\s+([\d,]+)\s+[\d.]+\s+[\d.]+\s+0\s+\d+%\s+\d+\s+([\d,]+)\s+\d+\s+\d+%"
        r"\s+(\S+)\s+(.*)$",
        out,
        re.M,
    )
    assert [int(row[0]) for row in rows] == [1, 4]
    assert all(int(rps.replace(",", "")) > 0 for _, rps, *_ in rows)
    assert all(int(health.replace(",", "")) > 0 for _, _, health, *_ in rows)
    (_, _, _, vs_original, goal), (_, _, _, vs_unpublished, no_goal) = rows
    assert re.fullmatch(r"\d+\.\d\dx", vs_original)  # 1 connection: a published figure
    assert re.fullmatch(r"4x (met|NOT met)", goal)
    assert (vs_unpublished, no_goal) == ("-", "-")  # none published for 4 connections


def test_original_figures_are_the_published_ones() -> None:
    text = " ".join((SHARED / "README.md").read_text(encoding="utf-8").split())
    published = re.search(
        r"about ([\d,]+) requests/s at 1 connection, ([\d,]+) at 8 and ([\d,]+) at 32", text
    )
    assert published, "the shared README no longer states the original's figures"
    figures = [int(n.replace(",", "")) for n in published.groups()]
    assert figures == [ORIGINAL_RPS[1], ORIGINAL_RPS[8], ORIGINAL_RPS[32]]

"""Latency summaries: median and p99 of a list of durations, and their ratio to a baseline."""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Summary:
    n: int
    median_us: float
    p99_us: float
    mean_us: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def summarize(durations_ns: list[int]) -> Summary:
    """Median, p99 (inclusive method) and mean, in microseconds."""
    if len(durations_ns) < 2:
        raise ValueError("need at least two samples")
    micros = [d / 1000 for d in durations_ns]
    return Summary(
        n=len(micros),
        median_us=round(statistics.median(micros), 1),
        p99_us=round(statistics.quantiles(micros, n=100, method="inclusive")[98], 1),
        mean_us=round(statistics.fmean(micros), 1),
    )


def ratio(measured: Summary, baseline: Summary) -> float:
    """How many times the baseline's median the measured median is."""
    return round(measured.median_us / baseline.median_us, 2)

"""The circuit breaker: opens after N failures in a row, one trial call after the pause."""

from __future__ import annotations

from chalicelib.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_one_failure_and_allows_one_trial() -> None:
    clock = Clock()
    opened: list[str] = []
    breaker = CircuitBreaker("redis", 10, clock=clock, on_open=opened.append)
    assert breaker.state == "closed"
    assert breaker.allow()
    breaker.record_failure()
    assert breaker.state == "open"
    assert opened == ["redis"]
    assert not breaker.allow()
    assert breaker.retry_after() == 10
    clock.now += 10
    assert breaker.state == "half-open"
    assert breaker.allow()  # the one trial
    assert not breaker.allow()  # nobody else while it runs
    breaker.record_failure()
    assert not breaker.allow()
    assert opened == ["redis"]  # a failed trial keeps it open; it did not open again
    clock.now += 10
    assert breaker.allow()
    breaker.record_success()
    assert breaker.state == "closed"
    assert breaker.retry_after() == 0
    assert breaker.allow()


def test_counts_failures_in_a_row() -> None:
    breaker = CircuitBreaker("dnmonster", 5, failures=3, clock=Clock())
    breaker.record_failure()
    breaker.record_failure()
    breaker.record_success()  # the count starts again
    breaker.record_failure()
    breaker.record_failure()
    assert breaker.state == "closed"
    breaker.record_failure()
    assert breaker.state == "open"

"""The EMF checker itself can fail: broken documents are rejected, the function's are not."""

from __future__ import annotations

from typing import Any

import pytest

from chalicelib.metrics import emf_fields
from tests.support.emf import emf_problems


def valid_document() -> dict[str, Any]:
    return emf_fields(
        route="/monster/{name}",
        status=200,
        cache="miss",
        total_ms=12.5,
        dnmonster_ms=10.0,
        dnmonster_error=None,
        breakers_opened=[],
    )


@pytest.mark.parametrize(
    ("breakage", "complaint"),
    [
        (lambda d: d["_aws"].pop("Timestamp"), "Timestamp"),
        (lambda d: d.update(total_ms="12.5"), "'total_ms' is not a number"),
        (lambda d: d.update(total_ms=None), "'total_ms' is not a number"),
        (lambda d: d.pop("route"), "'route' is not a string"),
        (
            lambda d: d["_aws"]["CloudWatchMetrics"][0]["Metrics"][0].update(Unit="ms"),
            "is not one of",
        ),
        (lambda d: d["_aws"]["CloudWatchMetrics"][0].update(Extra=1), "Additional properties"),
        (lambda d: d["_aws"]["CloudWatchMetrics"][0].update(Dimensions=[["a"] * 31]), "too long"),
    ],
)
def test_the_spec_checker_rejects_broken_documents(breakage: Any, complaint: str) -> None:
    document = valid_document()
    assert emf_problems(document) == []
    breakage(document)
    problems = emf_problems(document)
    assert any(complaint in problem for problem in problems), problems

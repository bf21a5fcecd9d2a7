"""Calling the app the way API Gateway does. The events and the browsers' Accept headers come
from the benchmarks' builder (`identidock_fn/bench/events.py`), so tests and benchmarks send the
same events."""

from __future__ import annotations

import json
from typing import Any

from app import app
from identidock_fn.bench.events import BROWSER_ACCEPT, IMAGE_ACCEPT, PAGE_ACCEPT, proxy_event

__all__ = ["BROWSER_ACCEPT", "IMAGE_ACCEPT", "PAGE_ACCEPT", "invoke", "proxy_event"]


def invoke(event: dict[str, Any], context: object | None = None) -> dict[str, Any]:
    """Call the Lambda handler the way the runtime does; the result must be JSON-serializable."""
    response: dict[str, Any] = app(event, context)
    json.dumps(response)
    return response

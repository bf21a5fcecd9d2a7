"""What a cold start does not pay for (issue 12): measured by `bench function`, guarded here.

The page's template and the SVG checker load on first use, and the page does not load `html`
(1.3 ms); building the Redis client does not look up redis-py's version in the installed
packages' metadata (that scan cost 3-4 ms); importing the app runs no garbage collection and
leaves what it loaded frozen, with the collector back on.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from typing import Any

import pytest

from chalicelib.cache import make_redis_client
from chalicelib.config import build_settings
from identidock_fn.paths import PROJECT_ROOT

LOADED_ON_FIRST_USE = ("chalicelib.page", "chalicelib.page_style", "chalicelib.svg_check")

PROBE = """
import gc, json, sys
collections = []

def counted(phase, info):  # from app.py's first line (`import gc`) on: not while it compiles
    if "gc" in getattr(sys.modules.get("app"), "__dict__", {}):
        collections.append(phase)

gc.callbacks.append(counted)
import app
imported = sorted(sys.modules)
import chalicelib.page
print(json.dumps({
    "imported": imported,
    "with_page": sorted(sys.modules),
    "collections": len(collections),
    "enabled": gc.isenabled(),
    "frozen": gc.get_freeze_count(),
}))
"""


@pytest.fixture(scope="module")
def fresh_import() -> dict[str, Any]:
    """What a fresh interpreter saw while it imported the app (then the page)."""
    env = {"PATH": os.environ.get("PATH", ""), "REDIS_URL": "redis://127.0.0.1:1/0"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    seen: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return seen


def test_importing_the_app_leaves_the_page_and_the_svg_checker_unloaded(
    fresh_import: dict[str, Any],
) -> None:
    loaded = set(fresh_import["imported"])
    assert "chalicelib.images" in loaded  # the probe really imported the app
    assert loaded.isdisjoint(LOADED_ON_FIRST_USE)


def test_the_page_does_not_load_the_html_module(fresh_import: dict[str, Any]) -> None:
    with_page = set(fresh_import["with_page"])
    assert "chalicelib.page" in with_page
    assert "html" not in with_page


def test_importing_the_app_collects_no_garbage_and_freezes_what_it_loaded(
    fresh_import: dict[str, Any],
) -> None:
    assert fresh_import["collections"] == 0  # about 75 without the pause
    assert fresh_import["frozen"] > 10_000  # the libraries' objects and ours
    assert fresh_import["enabled"]


def test_the_redis_client_is_built_without_reading_package_metadata(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_scan(name: str) -> str:
        raise AssertionError(f"package metadata looked up for {name!r}")

    monkeypatch.setattr(importlib.metadata, "version", no_scan)
    settings = build_settings({"REDIS_URL": "redis://127.0.0.1:1/0"}).cache.redis
    assert settings is not None
    client = make_redis_client(settings, None)
    try:
        assert client.get_connection_kwargs()["driver_info"].lib_version
    finally:
        client.close()

"""What a cold start does not pay for (issue 12): measured by `bench function`, guarded here.

The page's template and the SVG checker load on first use, and building the Redis client does
not look up redis-py's version in the installed packages' metadata (that scan cost 3-4 ms).
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys

import pytest

from chalicelib.cache import make_redis_client
from chalicelib.config import build_settings
from identidock_fn.paths import PROJECT_ROOT

LOADED_ON_FIRST_USE = ("chalicelib.page", "chalicelib.page_style", "chalicelib.svg_check")

PROBE = """
import json, sys
import app
print(json.dumps(sorted(sys.modules)))
"""


def test_importing_the_app_leaves_the_page_and_the_svg_checker_unloaded() -> None:
    env = {"PATH": os.environ.get("PATH", ""), "REDIS_URL": "redis://127.0.0.1:1/0"}
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    assert "chalicelib.images" in loaded  # the probe really imported the app
    assert loaded.isdisjoint(LOADED_ON_FIRST_USE)


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

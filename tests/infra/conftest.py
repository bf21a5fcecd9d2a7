"""The stack template, built once per session by the real `chalice package --merge-template`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.package import PROJECT_DIR, load_template, package_stack

BUILD_DIR = PROJECT_DIR / "build" / "infra" / "prod"


@pytest.fixture(scope="session")
def template_path() -> Path:
    """build/infra/prod/sam.yaml: the prod stage packaged with infra/template.yaml merged in."""
    return package_stack(BUILD_DIR, stage="prod")


@pytest.fixture(scope="session")
def template(template_path: Path) -> dict[str, Any]:
    return load_template(template_path)

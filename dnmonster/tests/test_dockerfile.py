"""The container definition: linted by hadolint (no Docker engine here), checked for its rules."""

import re
import shutil
import subprocess
from pathlib import Path

DNMONSTER = Path(__file__).resolve().parents[1]
DOCKERFILE = DNMONSTER / "Dockerfile"


def test_hadolint_passes_with_warnings_as_failures() -> None:
    hadolint = shutil.which("hadolint") or str(Path(__file__).parents[2] / ".venv/bin/hadolint")
    result = subprocess.run(
        [hadolint, "--failure-threshold", "warning", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_container_rules() -> None:
    text = DOCKERFILE.read_text()
    assert re.search(r"^FROM python:3\.11-slim-bookworm$", text, re.M)
    assert re.search(r"^USER (?!root|0\b)\S+", text, re.M)
    assert re.search(r"^EXPOSE 8080$", text, re.M)
    assert re.search(r"^HEALTHCHECK .*\n?.*/health", text, re.M)
    assert 'CMD ["python", "-m", "dnmonster"]' in text
    assert "pip install --no-cache-dir -r" in text


def test_runtime_dependencies_are_pinned() -> None:
    lines = (DNMONSTER / "requirements.txt").read_text().splitlines()
    requirements = [line for line in lines if line.strip() and not line.startswith("#")]
    assert requirements
    assert all(re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[\w.]+", line) for line in requirements)


def test_build_context_leaves_tests_out() -> None:
    ignored = (DNMONSTER / ".dockerignore").read_text().splitlines()
    assert "tests/" in ignored

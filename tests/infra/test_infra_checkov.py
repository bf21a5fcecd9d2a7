"""checkov on the merged template: no failed check, and every suppression explained and needed.

checkov pins many libraries of its own, so it lives in its own virtual environment,
build/checkov-venv (created here on first use, about 30 s from PyPI; or by `make checkov-venv`),
never in the project's .venv. It runs offline (--skip-download).
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.package import PROJECT_DIR

CHECKOV_PIN = "checkov==3.3.30"
VENV = Path(os.environ.get("IDENTIDOCK_CHECKOV_VENV", PROJECT_DIR / "build" / "checkov-venv"))
STAMP = VENV / ".identidock-stamp"
SCAN_OPTIONS = ["--skip-download", "--output", "json"]


@pytest.fixture(scope="session")
def checkov() -> Path:
    """The checkov script of build/checkov-venv, installed (once) at CHECKOV_PIN."""
    script = VENV / "bin" / "checkov"
    if not (STAMP.exists() and STAMP.read_text() == CHECKOV_PIN and script.exists()):
        subprocess.run(
            [sys.executable, "-m", "venv", "--clear", str(VENV)], check=True, timeout=120
        )
        pip = [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q"]
        subprocess.run([*pip, "--disable-pip-version-check", CHECKOV_PIN], check=True, timeout=600)
        STAMP.write_text(CHECKOV_PIN)
    return script


def scan(checkov: Path, path: Path) -> dict[str, Any]:
    done = subprocess.run(
        [str(checkov), "-f", str(path), "--framework", "cloudformation", *SCAN_OPTIONS],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "ERROR"},
    )
    assert done.returncode in (0, 1), done.stderr[-2000:]
    report = json.loads(done.stdout)
    found: dict[str, Any] = report[0] if isinstance(report, list) else report
    return found


def suppressions(template: dict[str, Any]) -> dict[tuple[str, str], str]:
    """(logical id, check id) -> the comment explaining it."""
    found = {}
    for name, body in template["Resources"].items():
        for skip in body.get("Metadata", {}).get("checkov", {}).get("skip", []):
            found[(name, skip["id"])] = skip.get("comment", "")
    return found


def test_checkov_finds_nothing_unexplained_in_the_merged_template(
    checkov: Path, template_path: Path, template: dict[str, Any]
) -> None:
    report = scan(checkov, template_path)
    assert report["summary"]["parsing_errors"] == 0
    failed = [(c["check_id"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] > 40
    skipped = {
        (c["resource"].split(".", 1)[1], c["check_id"]) for c in report["results"]["skipped_checks"]
    }
    explained = suppressions(template)
    assert set(explained) == skipped
    for key, comment in explained.items():
        assert len(comment.split()) >= 8, f"{key}: say why in the comment"


def test_every_suppression_silences_a_real_finding(
    checkov: Path, template: dict[str, Any], tmp_path: Path
) -> None:
    """Without its suppressions, checkov fails exactly the suppressed checks (none is stale)."""
    bare = copy.deepcopy(template)
    for body in bare["Resources"].values():
        body.get("Metadata", {}).pop("checkov", None)
    path = tmp_path / "bare.yaml"
    path.write_text(yaml.safe_dump(bare))
    report = scan(checkov, path)
    failed = {
        (c["resource"].split(".", 1)[1], c["check_id"]) for c in report["results"]["failed_checks"]
    }
    assert set(suppressions(template)) == failed


def test_the_sam_expansion_adds_no_finding_beyond_the_apis_suppressed_ones(
    checkov: Path, template: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SAM translator makes the API's stage a resource of its own, where RestAPI's
    suppressions do not follow; those same checks, and nothing else, fail there."""
    from tests.infra.test_infra_cfn_lint import sam_transform

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    expanded = sam_transform(template)
    path = tmp_path / "expanded.json"
    path.write_text(json.dumps(expanded))
    report = scan(checkov, path)
    assert report["summary"]["parsing_errors"] == 0
    (stage,) = [
        k for k, v in expanded["Resources"].items() if v["Type"] == "AWS::ApiGateway::Stage"
    ]
    failed = {
        (c["resource"].split(".", 1)[1], c["check_id"]) for c in report["results"]["failed_checks"]
    }
    api_checks = {check for name, check in suppressions(template) if name == "RestAPI"}
    assert failed == {(stage, check) for check in api_checks}

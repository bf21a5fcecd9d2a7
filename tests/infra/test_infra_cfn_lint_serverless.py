"""cfn-lint with the serverless rules (cfn-lint-serverless, awslabs/serverless-rules) on the
merged template: clean, and only because of the suppressions explained in infra/template.yaml."""

from __future__ import annotations

import copy
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

CFN_LINT = str(Path(sys.executable).with_name("cfn-lint"))
SERVERLESS_RULES = "cfn_lint_serverless.rules"


def lint_serverless(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CFN_LINT, str(path), "--append-rules", SERVERLESS_RULES],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def ignored(template: dict[str, Any]) -> set[str]:
    found: set[str] = set()
    for body in template["Resources"].values():
        config = body.get("Metadata", {}).get("cfn-lint", {}).get("config", {})
        found.update(config.get("ignore_checks", []))
    return found


def test_the_merged_template_passes_the_serverless_rules(template_path: Path) -> None:
    result = lint_serverless(template_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_its_suppressions_the_serverless_rules_fire(
    template: dict[str, Any], tmp_path: Path
) -> None:
    bare = copy.deepcopy(template)
    for body in bare["Resources"].values():
        body.get("Metadata", {}).pop("cfn-lint", None)
    path = tmp_path / "bare.yaml"
    path.write_text(yaml.safe_dump(bare))
    result = lint_serverless(path)
    assert result.returncode != 0
    fired = {line.split()[0] for line in result.stdout.splitlines() if line[:2] in ("WS", "ES")}
    serverless_ignores = {rule for rule in ignored(template) if rule[:2] in ("WS", "ES")}
    assert fired == serverless_ignores

"""cfn-lint over the generated template, as AWS's own schemas and rules see it (offline)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

CFN_LINT = str(Path(sys.executable).with_name("cfn-lint"))


def cfn_lint(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([CFN_LINT, str(path)], capture_output=True, text=True, check=False)


def test_generated_template_passes_cfn_lint(template_path):
    result = cfn_lint(template_path)
    assert result.returncode == 0, result.stdout + result.stderr


def test_cfn_lint_rejects_a_broken_copy_of_the_template(template, tmp_path):
    broken = dict(template)
    resources = dict(broken["Resources"])
    group = dict(resources["CacheReplicationGroup"])
    group["Properties"] = {
        **group["Properties"],
        "NumCacheClusters": "two",
        "SecurityGroupIds": [{"Ref": "NoSuchSecurityGroup"}],
    }
    resources["CacheReplicationGroup"] = group
    broken["Resources"] = resources
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(broken))
    result = cfn_lint(path)
    assert result.returncode != 0
    assert "NoSuchSecurityGroup" in result.stdout
    assert "'two'" in result.stdout

"""infra/package.py: the template build that `make test` and the deploy command share."""

from __future__ import annotations

import subprocess
import sys

import pytest
from cfnlint.decode import cfn_yaml

from infra.package import MERGE_TEMPLATE, PROJECT_DIR, PackagingError, package_stack


def test_the_package_holds_the_lambda_zip_beside_the_merged_template(template_path, template):
    assert template_path.name == "sam.yaml"
    assert (template_path.parent / "deployment.zip").stat().st_size > 0
    assert template["Transform"] == "AWS::Serverless-2016-10-31"
    merged = cfn_yaml.load(str(MERGE_TEMPLATE))
    assert set(merged["Resources"]) <= set(template["Resources"])
    assert set(merged["Parameters"]) == set(template["Parameters"])
    assert {"APIHandler", "RestAPI", "ApiHandlerRole"} <= set(template["Resources"])


def test_a_chalice_failure_is_reported_with_its_output(tmp_path):
    with pytest.raises(PackagingError, match="Cannot find template file"):
        package_stack(tmp_path / "out", merge_template=tmp_path / "missing.yaml")


def test_the_module_builds_the_template_for_review(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "infra.package", "prod", str(tmp_path / "review")],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(tmp_path / "review" / "sam.yaml")
    assert (tmp_path / "review" / "deployment.zip").exists()

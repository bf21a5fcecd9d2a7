"""cfn-lint over the generated template, before and after the real SAM transform (offline).

CloudFormation expands `Transform: AWS::Serverless-2016-10-31` with AWS's own SAM translator;
running that same translator here shows the template expands, and lets cfn-lint and the tests see
the plain CloudFormation resources AWS will actually create.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from samtranslator.translator.transform import transform

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


class NoManagedPolicies:
    """The translator's managed-policy lookup (an IAM call); our template names none."""

    def load(self) -> dict[str, str]:
        return {}


def sam_transform(template: dict[str, Any]) -> dict[str, Any]:
    sam = copy.deepcopy(template)
    # What the deploy command puts there after uploading the zip.
    sam["Resources"]["APIHandler"]["Properties"]["CodeUri"] = "s3://artifacts/prod/code.zip"
    return transform(sam, {}, NoManagedPolicies())


def test_the_sam_transform_expands_it_into_cloudformation_that_passes_cfn_lint(
    template, tmp_path, monkeypatch
):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")  # the translator picks the partition
    expanded = sam_transform(template)
    kinds = {body["Type"] for body in expanded["Resources"].values()}
    assert not any(kind.startswith("AWS::Serverless::") for kind in kinds)
    function = expanded["Resources"]["APIHandler"]
    assert function["Type"] == "AWS::Lambda::Function"
    assert (
        function["Properties"]["VpcConfig"]
        == template["Resources"]["APIHandler"]["Properties"]["VpcConfig"]
    )
    assert function["Properties"]["ReservedConcurrentExecutions"] >= 1
    assert function["Properties"]["Role"] == {"Fn::GetAtt": ["ApiHandlerRole", "Arn"]}
    assert function["Properties"]["Code"] == {"S3Bucket": "artifacts", "S3Key": "prod/code.zip"}
    assert "ApiHandlerLogGroup" in function["DependsOn"]
    path = tmp_path / "expanded.json"
    path.write_text(json.dumps(expanded))
    result = cfn_lint(path)
    assert result.returncode == 0, result.stdout + result.stderr

"""infra/package.py: the template build that `make test` and the deploy command share."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile

import pytest
from cfnlint.decode import cfn_yaml

from infra.bytecode import DEPLOYMENT_ZIP, this_runtime
from infra.package import (
    MERGE_TEMPLATE,
    PROJECT_DIR,
    PackagingError,
    lambda_runtime,
    package_stack,
)


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


def test_every_module_in_the_lambda_zip_ships_with_checked_hash_bytecode(template_path):
    with zipfile.ZipFile(template_path.parent / DEPLOYMENT_ZIP) as archive:
        names = set(archive.namelist())
        sources = {name for name in names if name.endswith(".py")}
        assert {"app.py", "chalicelib/images.py", "redis/client.py", "chalice/app.py"} <= sources
        for source in sources:
            cached = importlib.util.cache_from_source(source)
            assert cached in names, f"no bytecode for {source}"
            flags = int.from_bytes(archive.read(cached)[4:8], "little")
            assert flags == 0b11, f"{cached} is not checked-hash bytecode"
        assert {name for name in names if name.endswith(".pyc")} == {
            importlib.util.cache_from_source(source) for source in sources
        }


def test_the_template_names_the_runtime_the_bytecode_is_for(template):
    assert lambda_runtime(template) == this_runtime()

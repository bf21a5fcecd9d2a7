"""Build the stack's template: Chalice's SAM output for a stage with infra/template.yaml merged in.

`chalice package --merge-template` deep-merges our template into the one Chalice generates, so the
API, the Lambda and its role stay Chalice's (routes, handler, binary types, permissions) and we add
or override only what Chalice cannot express: the VPC, the cache, dnmonster, the exact policy.
The code zip then gets compiled bytecode for every module (infra/bytecode.py: a cold start
otherwise compiles them all).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from infra.bytecode import DEPLOYMENT_ZIP, BytecodeError, add_bytecode

MERGE_TEMPLATE = Path(__file__).with_name("template.yaml")
PROJECT_DIR = Path(__file__).resolve().parent.parent
#: Chalice refuses to package without a region; the template uses ${AWS::Region}, so for an
#: offline build (tests, review) any region gives the same template.
OFFLINE_REGION = "us-east-1"


class PackagingError(RuntimeError):
    """`chalice package` failed; the message carries its output."""


def chalice_command() -> str:
    """The `chalice` script of the project's virtualenv (else the one on PATH)."""
    from identidock_fn.paths import executable

    return executable("chalice")


def package_stack(
    out_dir: Path,
    stage: str = "prod",
    region: str = OFFLINE_REGION,
    project_dir: Path = PROJECT_DIR,
    merge_template: Path = MERGE_TEMPLATE,
) -> Path:
    """Run `chalice package` into a fresh out_dir, add bytecode to its zip; return the merged
    template (sam.yaml)."""
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "AWS_DEFAULT_REGION": region}
    command = [
        chalice_command(),
        "--project-dir",
        str(project_dir),
        "package",
        "--stage",
        stage,
        "--merge-template",
        str(merge_template),
        str(out_dir),
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    template = out_dir / "sam.yaml"
    if done.returncode != 0 or not template.exists():
        raise PackagingError(
            f"chalice package failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
        )
    try:
        add_bytecode(out_dir / DEPLOYMENT_ZIP, lambda_runtime(load_template(template)))
    except BytecodeError as error:
        raise PackagingError(str(error)) from error
    return template


def lambda_runtime(template: dict[str, Any]) -> str:
    """The one Python runtime of the template's functions."""
    runtimes = {
        resource.get("Properties", {}).get("Runtime")
        for resource in template.get("Resources", {}).values()
        if resource.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    }
    python = {runtime for runtime in runtimes if str(runtime).startswith("python")}
    if len(python) != 1:
        raise PackagingError(f"expected one Python runtime in the template, found {sorted(python)}")
    return str(python.pop())


def load_template(path: Path) -> dict[str, Any]:
    """The packaged template as plain data (Chalice writes intrinsics in their long form)."""
    with path.open(encoding="utf-8") as handle:
        loaded = yaml.safe_load(handle)
    if not isinstance(loaded, dict):
        raise PackagingError(f"{path} is not a template")
    return loaded


if __name__ == "__main__":  # python -m infra.package [STAGE [OUT_DIR]]: build it for review
    stage_name = sys.argv[1] if len(sys.argv) > 1 else "prod"
    out = Path(sys.argv[2]) if len(sys.argv) > 2 else PROJECT_DIR / "build" / "infra" / stage_name
    print(package_stack(out, stage=stage_name))

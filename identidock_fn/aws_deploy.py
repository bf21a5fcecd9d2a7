"""`deploy --target aws` and `destroy --target aws`: the whole stack on real AWS from one command.

deploy, in order (each step is idempotent, so a failed deploy can simply be run again):
  1. the salt: an SSM SecureString created once with a random value (CloudFormation cannot create
     SecureStrings) and never overwritten, since a new salt would change every monster;
  2. the dnmonster image: built from dnmonster/Dockerfile and pushed to an ECR repository, tagged
     with a hash of its build context, so an unchanged service is not rebuilt;
  3. the template: `chalice package --merge-template infra/template.yaml` (infra/package.py);
  4. the artifacts: the Lambda zip and the template uploaded to an S3 bucket of our own;
  5. the stack: a CloudFormation change set, created and executed, waited for; then the URLs
     (API Gateway's, and CloudFront's, the one to share) and the dashboard's.
destroy deletes the stack, the image repository, the artifact bucket and (unless kept) the salt.

All AWS calls go through boto3 clients made from one Session; docker runs as a subprocess.
"""

from __future__ import annotations

import json
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from identidock_fn.aws_common import AwsDeployError, Runner
from identidock_fn.aws_image import publish_dnmonster
from identidock_fn.aws_stack import (
    deploy_stack,
    empty_and_delete_bucket,
    ensure_bucket,
    stack_status,
    upload_artifacts,
    wait_for,
)
from identidock_fn.echo import Echo
from identidock_fn.salt import ensure_salt
from infra.package import PROJECT_DIR, load_template, package_stack

#: Keeps every derived name valid (S3 bucket names stop at 63 characters).
STAGE_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,9}")


@dataclass(frozen=True)
class StackNames:
    """Every name the deploy and destroy commands use for one stage, in one place."""

    stage: str
    account: str
    region: str

    def __post_init__(self) -> None:
        if not STAGE_PATTERN.fullmatch(self.stage):
            raise AwsDeployError(f"stage {self.stage!r} must match {STAGE_PATTERN.pattern}")

    @property
    def stack(self) -> str:
        return f"identidock-fn-{self.stage}"

    @property
    def repository(self) -> str:
        return f"identidock-fn-{self.stage}/dnmonster"

    @property
    def salt_parameter(self) -> str:
        return f"/identidock/{self.stage}/salt"  # as .chalice/policy-prod.json names it

    @property
    def artifact_bucket(self) -> str:
        return f"identidock-fn-{self.stage}-artifacts-{self.account}-{self.region}"


# ------------------------------------------------------------------ the commands


def require_chalice_stage(stage: str, project_dir: Path = PROJECT_DIR) -> None:
    """Chalice packages an unknown stage with its defaults; refuse it instead."""
    config = json.loads((project_dir / ".chalice" / "config.json").read_text())
    if stage not in config.get("stages", {}):
        known = ", ".join(sorted(config.get("stages", {})))
        raise AwsDeployError(f"stage {stage!r} is not in .chalice/config.json (it has: {known})")


def _names(session: boto3.Session, stage: str) -> StackNames:
    if not session.region_name:
        raise AwsDeployError("no AWS region: pass --region or set AWS_REGION / AWS_DEFAULT_REGION")
    account = session.client("sts").get_caller_identity()["Account"]
    return StackNames(stage=stage, account=account, region=session.region_name)


def check_stack_parameters(extra: dict[str, str], template: dict[str, Any]) -> None:
    """Only parameters the template declares, and none of the ones the deploy computes."""
    computed = {"DnmonsterImage", "DnmonsterRepositoryName", "SaltParameterName"}
    declared = set(template.get("Parameters", {}))
    for key in extra:
        if key in computed:
            raise AwsDeployError(f"stack parameter {key} is set by the deploy command itself")
        if key not in declared:
            known = ", ".join(sorted(declared - computed))
            raise AwsDeployError(f"the template has no parameter {key!r} (it has: {known})")


def _deploy(
    stage: str,
    region: str | None,
    echo: Echo,
    run: Runner,
    session: boto3.Session | None,
    build_dir: Path,
    extra_parameters: dict[str, str] | None = None,
) -> str:
    require_chalice_stage(stage)
    session = session or boto3.Session(region_name=region)
    names = _names(session, stage)
    echo(f"deploying {names.stack} to account {names.account} in {names.region}")
    if ensure_salt(session.client("ssm"), names.salt_parameter):
        echo(f"created the salt {names.salt_parameter} (SecureString)")
    image = publish_dnmonster(session.client("ecr"), names.repository, echo, run)
    echo("packaging the Chalice app with infra/template.yaml merged in")
    package_stack(build_dir / stage, stage=stage, region=names.region)
    check_stack_parameters(extra_parameters or {}, load_template(build_dir / stage / "sam.yaml"))
    s3 = session.client("s3")
    ensure_bucket(s3, names.artifact_bucket, names.region)
    template_url = upload_artifacts(
        s3, names.artifact_bucket, names.region, stage, build_dir / stage
    )
    parameters = {
        **(extra_parameters or {}),
        "DnmonsterImage": image,
        "DnmonsterRepositoryName": names.repository,
        "SaltParameterName": names.salt_parameter,
    }
    outputs = deploy_stack(
        session.client("cloudformation"), names.stack, template_url, parameters, echo
    )
    url = outputs.get("EndpointURL")
    if not url:
        raise AwsDeployError(f"stack {names.stack} has no EndpointURL output")
    echo(f"API URL: {url}")
    edge = outputs.get("EdgeURL")
    if edge:
        echo(f"Edge URL (CloudFront, the one to share): {edge}")
    if outputs.get("DashboardURL"):
        echo(f"Dashboard: {outputs['DashboardURL']}")
    return edge or url


def _destroy(
    stage: str,
    region: str | None,
    keep_salt: bool,
    echo: Echo,
    session: boto3.Session | None,
) -> None:
    session = session or boto3.Session(region_name=region)
    names = _names(session, stage)
    cfn = session.client("cloudformation")
    if stack_status(cfn, names.stack) is not None:
        echo(f"deleting stack {names.stack} (the VPC's Lambda interfaces can take 20 minutes)")
        cfn.delete_stack(StackName=names.stack)
        wait_for(cfn, "stack_delete_complete", StackName=names.stack)
    try:
        session.client("ecr").delete_repository(repositoryName=names.repository, force=True)
        echo(f"deleted repository {names.repository}")
    except ClientError as error:
        if error.response["Error"]["Code"] != "RepositoryNotFoundException":
            raise
    empty_and_delete_bucket(session.client("s3"), names.artifact_bucket)
    if keep_salt:
        echo(f"kept the salt {names.salt_parameter}: a new deploy draws the same monsters")
        return
    try:
        session.client("ssm").delete_parameter(Name=names.salt_parameter)
        echo(f"deleted the salt {names.salt_parameter}")
    except ClientError as error:
        if error.response["Error"]["Code"] != "ParameterNotFound":
            raise


def deploy_aws(
    stage: str,
    region: str | None = None,
    echo: Echo = print,
    run: Runner = subprocess.run,
    session: boto3.Session | None = None,
    build_dir: Path = PROJECT_DIR / "build" / "aws",
    extra_parameters: dict[str, str] | None = None,
) -> str:
    """Deploy the whole stack for a Chalice stage, print the URLs, return the public one (the
    CloudFront URL). extra_parameters set template parameters (AlarmEmail, EnableWaf, ...);
    every other parameter takes its default."""
    try:
        return _deploy(stage, region, echo, run, session, build_dir, extra_parameters)
    except (ClientError, BotoCoreError) as error:
        raise AwsDeployError(f"AWS refused a deploy step: {error}") from error


def destroy_aws(
    stage: str,
    region: str | None = None,
    keep_salt: bool = False,
    echo: Echo = print,
    session: boto3.Session | None = None,
) -> None:
    """Delete the stack and everything deploy made around it (the salt unless keep_salt)."""
    try:
        _destroy(stage, region, keep_salt, echo, session)
    except (ClientError, BotoCoreError) as error:
        raise AwsDeployError(f"AWS refused a destroy step: {error}") from error

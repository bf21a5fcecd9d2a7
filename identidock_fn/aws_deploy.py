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

import base64
import hashlib
import json
import re
import secrets
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import click
from botocore.exceptions import BotoCoreError, ClientError, WaiterError

from infra.package import PROJECT_DIR, load_template, package_stack

DNMONSTER_CONTEXT = PROJECT_DIR / "dnmonster"
DNMONSTER_DOCKERFILE = DNMONSTER_CONTEXT / "Dockerfile"
#: Must match the task definition's RuntimePlatform.CpuArchitecture in infra/template.yaml.
IMAGE_PLATFORM = "linux/amd64"
CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
#: ElastiCache and the first ECS deployment take 10-20 minutes; allow an hour.
STACK_WAIT = {"Delay": 20, "MaxAttempts": 180}
#: Keeps every derived name valid (S3 bucket names stop at 63 characters).
STAGE_PATTERN = re.compile(r"[a-z][a-z0-9-]{0,9}")
#: Left out of the image by dnmonster/.dockerignore, so left out of its tag's hash too.
CONTEXT_SKIP = {"__pycache__", ".pytest_cache", ".hypothesis", "tests"}

Echo = Callable[[str], None]
Runner = Callable[..., subprocess.CompletedProcess[str]]


class AwsDeployError(click.ClickException):
    """A deploy or destroy step failed; the message says which and why (no traceback)."""


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


# ------------------------------------------------------------------ the salt


def ensure_salt(ssm: Any, name: str) -> bool:
    """Create the SecureString salt if it does not exist; True when this call created it."""
    try:
        ssm.put_parameter(
            Name=name,
            Value=secrets.token_urlsafe(32),
            Type="SecureString",
            Overwrite=False,
            Description="identidock salt: changing it changes every monster",
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ParameterAlreadyExists":
            return False
        raise
    return True


# ------------------------------------------------------------------ the dnmonster image


def ensure_repository(ecr: Any, name: str) -> str:
    """The URI of the ECR repository, created (scan on push, immutable tags) when missing."""
    try:
        found = ecr.describe_repositories(repositoryNames=[name])["repositories"][0]
    except ClientError as error:
        if error.response["Error"]["Code"] != "RepositoryNotFoundException":
            raise
        found = ecr.create_repository(
            repositoryName=name,
            imageTagMutability="IMMUTABLE",
            imageScanningConfiguration={"scanOnPush": True},
        )["repository"]
    return str(found["repositoryUri"])


def _context_files(context: Path) -> Iterable[Path]:
    for path in sorted(context.rglob("*")):
        if path.is_file() and not CONTEXT_SKIP.intersection(path.relative_to(context).parts):
            yield path


def context_tag(context: Path) -> str:
    """A tag that changes exactly when a file of the build context does."""
    digest = hashlib.sha256()
    for path in _context_files(context):
        digest.update(str(path.relative_to(context)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return "src-" + digest.hexdigest()[:16]


def pushed_digest(ecr: Any, repository: str, tag: str) -> str | None:
    """The digest of repository:tag in ECR, or None when no such image was pushed."""
    try:
        images = ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
    except ClientError as error:
        if error.response["Error"]["Code"] == "ImageNotFoundException":
            return None
        raise
    details = images.get("imageDetails", [])
    return details[0]["imageDigest"] if details else None


def _run(run: Runner, command: list[str], stdin: str | None = None) -> str:
    done = run(command, input=stdin, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shown = " ".join(command[:3])
        raise AwsDeployError(
            f"`{shown} ...` failed (exit {done.returncode}): {done.stderr.strip()}"
        )
    return str(done.stdout)


def docker_login(ecr: Any, run: Runner) -> None:
    """`docker login` to our account's registry with a 12-hour ECR token, via stdin."""
    auth = ecr.get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(auth["authorizationToken"]).decode().split(":", 1)
    registry = auth["proxyEndpoint"]
    _run(run, ["docker", "login", "--username", user, "--password-stdin", registry], password)


def build_and_push(image: str, run: Runner) -> None:
    """Build dnmonster/Dockerfile for the Fargate platform and push it as image (uri:tag)."""
    build = ["docker", "build", "--platform", IMAGE_PLATFORM, "--file", str(DNMONSTER_DOCKERFILE)]
    _run(run, [*build, "--tag", image, str(DNMONSTER_CONTEXT)])
    _run(run, ["docker", "push", image])


def publish_dnmonster(ecr: Any, repository: str, echo: Echo, run: Runner) -> str:
    """The dnmonster image reference pinned by digest, building and pushing it if needed."""
    uri = ensure_repository(ecr, repository)
    tag = context_tag(DNMONSTER_CONTEXT)
    digest = pushed_digest(ecr, repository, tag)
    if digest is None:
        echo(f"building and pushing {uri}:{tag}")
        docker_login(ecr, run)
        build_and_push(f"{uri}:{tag}", run)
        digest = pushed_digest(ecr, repository, tag)
        if digest is None:
            raise AwsDeployError(f"pushed {uri}:{tag} but ECR does not list it")
    else:
        echo(f"dnmonster image {uri}:{tag} is already in ECR")
    return f"{uri}@{digest}"


# ------------------------------------------------------------------ artifacts


def ensure_bucket(s3: Any, name: str, region: str) -> None:
    """A private artifact bucket for the Lambda zip and the template, created when missing."""
    try:
        s3.head_bucket(Bucket=name)
        return
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("404", "NoSuchBucket", "NotFound"):
            raise
    create: dict[str, Any] = {"Bucket": name}
    if region != "us-east-1":
        create["CreateBucketConfiguration"] = {"LocationConstraint": region}
    s3.create_bucket(**create)
    s3.put_public_access_block(
        Bucket=name,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True,
        },
    )


def _upload(s3: Any, bucket: str, prefix: str, body: bytes, suffix: str) -> str:
    key = f"{prefix}/{hashlib.sha256(body).hexdigest()[:20]}{suffix}"
    s3.put_object(Bucket=bucket, Key=key, Body=body)
    return key


def upload_artifacts(s3: Any, bucket: str, region: str, stage: str, package_dir: Path) -> str:
    """Upload the Lambda zip, point CodeUri at it, upload the template; return its URL."""
    template = load_template(package_dir / "sam.yaml")
    function = template["Resources"]["APIHandler"]["Properties"]
    zip_key = _upload(s3, bucket, stage, (package_dir / "deployment.zip").read_bytes(), ".zip")
    function["CodeUri"] = {"Bucket": bucket, "Key": zip_key}
    body = json.dumps(template, indent=1, sort_keys=True).encode()
    template_key = _upload(s3, bucket, stage, body, ".template.json")
    return f"https://{bucket}.s3.{region}.amazonaws.com/{template_key}"


# ------------------------------------------------------------------ the stack


def stack_status(cfn: Any, stack: str) -> str | None:
    """The stack's status, or None when there is no such stack."""
    try:
        return str(cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
    except ClientError as error:
        if "does not exist" in error.response["Error"]["Message"]:
            return None
        raise


def _wait(cfn: Any, waiter: str, **kwargs: Any) -> None:
    try:
        cfn.get_waiter(waiter).wait(WaiterConfig=STACK_WAIT, **kwargs)
    except WaiterError as error:
        last: Any = error.last_response
        stacks = (last.get("Stacks") if isinstance(last, dict) else None) or [{}]
        reason = stacks[0].get("StackStatusReason") or str(error)
        raise AwsDeployError(
            f"{waiter} did not happen: {reason} (the stack's events in the CloudFormation "
            "console say which resource failed)"
        ) from error


def _no_changes(description: dict[str, Any]) -> bool:
    reason = description.get("StatusReason", "")
    return "didn't contain changes" in reason or "No updates are to be performed" in reason


def deploy_stack(
    cfn: Any, stack: str, template_url: str, parameters: dict[str, str], echo: Echo
) -> dict[str, str]:
    """Create or update the stack through a change set; return its outputs."""
    status = stack_status(cfn, stack)
    if status == "ROLLBACK_COMPLETE":  # a failed first create: it can only be deleted
        echo(f"stack {stack} is in ROLLBACK_COMPLETE; deleting it before creating it again")
        cfn.delete_stack(StackName=stack)
        _wait(cfn, "stack_delete_complete", StackName=stack)
        status = None
    kind = "CREATE" if status in (None, "REVIEW_IN_PROGRESS") else "UPDATE"
    change_set = f"deploy-{int(time.time())}"
    cfn.create_change_set(
        StackName=stack,
        ChangeSetName=change_set,
        ChangeSetType=kind,
        TemplateURL=template_url,
        Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()],
        Capabilities=CAPABILITIES,
        Tags=[{"Key": "app", "Value": "identidock_fn"}],
    )
    try:
        cfn.get_waiter("change_set_create_complete").wait(
            StackName=stack, ChangeSetName=change_set, WaiterConfig={"Delay": 5, "MaxAttempts": 120}
        )
    except WaiterError as error:
        description = cfn.describe_change_set(StackName=stack, ChangeSetName=change_set)
        if not _no_changes(description):
            raise AwsDeployError(f"change set failed: {description.get('StatusReason')}") from error
        cfn.delete_change_set(StackName=stack, ChangeSetName=change_set)
        echo(f"stack {stack} is already up to date")
        return stack_outputs(cfn, stack)
    echo(f"{kind.lower()} of stack {stack} started (10-20 minutes on a first deploy)")
    cfn.execute_change_set(StackName=stack, ChangeSetName=change_set)
    waiter = "stack_create_complete" if kind == "CREATE" else "stack_update_complete"
    _wait(cfn, waiter, StackName=stack)
    return stack_outputs(cfn, stack)


def stack_outputs(cfn: Any, stack: str) -> dict[str, str]:
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {item["OutputKey"]: item["OutputValue"] for item in described.get("Outputs", [])}


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


def empty_and_delete_bucket(s3: Any, name: str) -> None:
    """Delete every object version in the bucket, then the bucket; no-op when it is gone."""
    try:
        pages = s3.get_paginator("list_object_versions").paginate(Bucket=name)
        for page in pages:
            doomed = [
                {"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in page.get("Versions", []) + page.get("DeleteMarkers", [])
            ]
            if doomed:
                s3.delete_objects(Bucket=name, Delete={"Objects": doomed, "Quiet": True})
        s3.delete_bucket(Bucket=name)
    except ClientError as error:
        if error.response["Error"]["Code"] != "NoSuchBucket":
            raise


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
        _wait(cfn, "stack_delete_complete", StackName=names.stack)
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

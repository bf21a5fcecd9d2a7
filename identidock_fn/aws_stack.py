"""The CloudFormation side of the AWS deploy: artifacts in S3, a change set, its outputs."""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError, WaiterError

from identidock_fn.aws_common import AwsDeployError
from identidock_fn.echo import Echo
from infra.package import load_template

CAPABILITIES = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]
#: ElastiCache and the first ECS deployment take 10-20 minutes; allow an hour.
STACK_WAIT = {"Delay": 20, "MaxAttempts": 180}


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


def stack_status(cfn: Any, stack: str) -> str | None:
    """The stack's status, or None when there is no such stack."""
    try:
        return str(cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"])
    except ClientError as error:
        if "does not exist" in error.response["Error"]["Message"]:
            return None
        raise


def wait_for(cfn: Any, waiter: str, **kwargs: Any) -> None:
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
        wait_for(cfn, "stack_delete_complete", StackName=stack)
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
    wait_for(cfn, waiter, StackName=stack)
    return stack_outputs(cfn, stack)


def stack_outputs(cfn: Any, stack: str) -> dict[str, str]:
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {item["OutputKey"]: item["OutputValue"] for item in described.get("Outputs", [])}

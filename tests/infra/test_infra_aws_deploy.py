"""`deploy/destroy --target aws` orchestration, offline.

No AWS account and no Docker engine are reachable here, so: SSM, ECR, S3 and STS are moto's
in-process fakes; CloudFormation (which moto cannot run with the SAM transform) is a botocore
Stubber that checks every request the deploy makes; `docker` is a small recording script on PATH,
and the "registry" receiving a push is moto's ECR (the test's runner puts the image there).
"""

from __future__ import annotations

import base64
import json
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from botocore.stub import ANY, Stubber
from moto import mock_aws

from identidock_fn import aws_image, aws_stack
from identidock_fn.aws_common import AwsDeployError
from identidock_fn.aws_deploy import StackNames, check_stack_parameters, deploy_aws, destroy_aws
from identidock_fn.aws_image import context_tag, ensure_repository, publish_dnmonster
from identidock_fn.aws_stack import deploy_stack, upload_artifacts
from identidock_fn.salt import ensure_salt

REGION = "eu-west-1"
ACCOUNT = "123456789012"  # moto's account
URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/api/"
EDGE_URL = "https://d111111abcdef8.cloudfront.net/api/"
TEMPLATE_URL = "https://bucket.s3.eu-west-1.amazonaws.com/prod/t.template.json"
MANIFEST = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {
            "mediaType": "application/vnd.docker.container.image.v1+json",
            "size": 7,
            "digest": "sha256:" + "1" * 64,
        },
        "layers": [],
    }
)
FAKE_DOCKER = """#!{python}
import json, sys
secret = sys.stdin.read() if "--password-stdin" in sys.argv else None
record = {{"argv": sys.argv[1:], "stdin": secret}}
with open({log!r}, "a") as log:
    log.write(json.dumps(record) + "\\n")
if {fail!r} and sys.argv[1] == {fail!r}:
    sys.stderr.write("Cannot connect to the Docker daemon at unix:///var/run/docker.sock\\n")
    sys.exit(1)
"""


@pytest.fixture
def session(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield boto3.Session(region_name=REGION)


class Docker:
    """A recording `docker` on PATH; a push lands the image in (moto's) ECR."""

    def __init__(self, directory: Path, ecr: Any, fail: str = "") -> None:
        self.log = directory / "docker.log"
        self.ecr = ecr
        script = directory / "docker"
        script.write_text(FAKE_DOCKER.format(python=sys.executable, log=str(self.log), fail=fail))
        script.chmod(script.stat().st_mode | stat.S_IEXEC)
        self.path = f"{directory}:"

    def run(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
        done = subprocess.run(command, **kwargs)
        if command[:2] == ["docker", "push"] and done.returncode == 0:
            repository_uri, tag = command[2].rsplit(":", 1)
            repository = repository_uri.split("/", 1)[1]
            self.ecr.put_image(repositoryName=repository, imageManifest=MANIFEST, imageTag=tag)
        return done

    def calls(self) -> list[dict[str, Any]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


@pytest.fixture
def docker(tmp_path, monkeypatch, session):
    fake = Docker(tmp_path, session.client("ecr"))
    monkeypatch.setenv("PATH", fake.path + str(Path(sys.executable).parent) + ":/usr/bin:/bin")
    return fake


def no_docker(*args: Any, **kwargs: Any) -> subprocess.CompletedProcess:
    raise AssertionError(f"docker must not run: {args}")


class WithCloudFormation(boto3.Session):
    """A session whose CloudFormation client is the given (stubbed) one; all else is moto."""

    def __init__(self, cfn: Any) -> None:
        super().__init__(region_name=REGION)
        self._cfn = cfn

    def client(self, service_name: str, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if service_name == "cloudformation":
            return self._cfn
        return super().client(service_name, *args, **kwargs)


def missing_stack(stubber: Stubber, name: str) -> None:
    stubber.add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message=f"Stack with id {name} does not exist",
        expected_params={"StackName": name},
    )


def stack(stubber: Stubber, name: str, status: str, outputs: dict[str, str] | None = None) -> None:
    described: dict[str, Any] = {
        "StackName": name,
        "StackStatus": status,
        "CreationTime": "2026-01-01T00:00:00Z",
    }
    if outputs is not None:
        described["Outputs"] = [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]
    stubber.add_response("describe_stacks", {"Stacks": [described]}, {"StackName": name})


def change_set_created(stubber: Stubber, name: str, kind: str, parameters: Any = ANY) -> None:
    stubber.add_response(
        "create_change_set",
        {"Id": "arn:cs", "StackId": "arn:stack"},
        {
            "StackName": name,
            "ChangeSetName": ANY,
            "ChangeSetType": kind,
            "TemplateURL": ANY,
            "Parameters": parameters,
            "Capabilities": ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
            "Tags": ANY,
        },
    )


def change_set_status(stubber: Stubber, status: str, reason: str = "") -> None:
    stubber.add_response(
        "describe_change_set",
        {"Status": status, "StatusReason": reason, "ExecutionStatus": "AVAILABLE"},
        {"StackName": ANY, "ChangeSetName": ANY},
    )


# ------------------------------------------------------------------ names and the salt


def test_stage_names_are_checked_so_every_derived_name_is_valid():
    names = StackNames("prod", ACCOUNT, "ap-southeast-2")
    assert names.stack == "identidock-fn-prod"
    assert names.salt_parameter == "/identidock/prod/salt"
    assert len(StackNames("abcdefghij", ACCOUNT, "ap-southeast-2").artifact_bucket) <= 63
    for bad in ("Prod", "prod_1", "", "abcdefghijk", "1prod"):
        with pytest.raises(AwsDeployError):
            StackNames(bad, ACCOUNT, REGION)


def test_the_salt_is_a_secure_string_created_once_and_never_overwritten(session):
    ssm = session.client("ssm")
    assert ensure_salt(ssm, "/identidock/prod/salt") is True
    first = ssm.get_parameter(Name="/identidock/prod/salt", WithDecryption=True)["Parameter"]
    assert first["Type"] == "SecureString"
    assert len(first["Value"]) >= 32
    assert ensure_salt(ssm, "/identidock/prod/salt") is False
    again = ssm.get_parameter(Name="/identidock/prod/salt", WithDecryption=True)["Parameter"]
    assert again["Value"] == first["Value"]


# ------------------------------------------------------------------ the image


def test_repository_is_created_once_with_immutable_scanned_tags(session):
    ecr = session.client("ecr")
    uri = ensure_repository(ecr, "identidock-fn-prod/dnmonster")
    assert uri == f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/identidock-fn-prod/dnmonster"
    assert ensure_repository(ecr, "identidock-fn-prod/dnmonster") == uri
    (repository,) = ecr.describe_repositories()["repositories"]
    assert repository["imageTagMutability"] == "IMMUTABLE"
    assert repository["imageScanningConfiguration"]["scanOnPush"] is True


def test_context_tag_follows_the_build_context_content(tmp_path):
    (tmp_path / "Dockerfile").write_text("FROM scratch\n")
    (tmp_path / "app.py").write_text("print(1)\n")
    first = context_tag(tmp_path)
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "app.cpython-311.pyc").write_bytes(b"\0")
    assert context_tag(tmp_path) == first
    (tmp_path / "app.py").write_text("print(2)\n")
    assert context_tag(tmp_path) != first
    assert context_tag(tmp_path).startswith("src-")


def test_what_the_tag_hash_skips_is_what_dnmonster_dockerignore_keeps_out_of_the_image():
    ignored = (aws_image.DNMONSTER_CONTEXT / ".dockerignore").read_text().splitlines()
    names = {line.removeprefix("**/").rstrip("/") for line in ignored if not line.startswith("#")}
    assert names >= aws_image.CONTEXT_SKIP


def test_a_new_image_is_built_for_fargate_and_pushed_after_an_ecr_login(session, docker):
    ecr = session.client("ecr")
    lines: list[str] = []
    image = publish_dnmonster(ecr, "identidock-fn-prod/dnmonster", lines.append, docker.run)
    uri = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/identidock-fn-prod/dnmonster"
    tag = context_tag(aws_image.DNMONSTER_CONTEXT)
    login, build, push = docker.calls()
    token = ecr.get_authorization_token()["authorizationData"][0]
    user, password = base64.b64decode(token["authorizationToken"]).decode().split(":", 1)
    assert login["argv"] == [
        "login",
        "--username",
        user,
        "--password-stdin",
        token["proxyEndpoint"],
    ]
    assert login["stdin"] == password  # never on the command line
    assert build["argv"] == [
        "build",
        "--platform",
        "linux/amd64",
        "--file",
        str(aws_image.DNMONSTER_DOCKERFILE),
        "--tag",
        f"{uri}:{tag}",
        str(aws_image.DNMONSTER_CONTEXT),
    ]
    assert push["argv"] == ["push", f"{uri}:{tag}"]
    digest = ecr.describe_images(repositoryName="identidock-fn-prod/dnmonster")["imageDetails"]
    assert image == f"{uri}@{digest[0]['imageDigest']}"
    assert any("building and pushing" in line for line in lines)


def test_an_image_already_in_ecr_is_not_rebuilt(session):
    ecr = session.client("ecr")
    ensure_repository(ecr, "identidock-fn-prod/dnmonster")
    tag = context_tag(aws_image.DNMONSTER_CONTEXT)
    pushed = ecr.put_image(
        repositoryName="identidock-fn-prod/dnmonster", imageManifest=MANIFEST, imageTag=tag
    )["image"]["imageId"]["imageDigest"]
    image = publish_dnmonster(ecr, "identidock-fn-prod/dnmonster", print, no_docker)
    assert image.endswith(f"/identidock-fn-prod/dnmonster@{pushed}")


def test_a_failing_docker_build_stops_the_deploy_with_its_message(session, tmp_path, monkeypatch):
    failing = Docker(tmp_path, session.client("ecr"), fail="build")
    monkeypatch.setenv("PATH", failing.path + "/usr/bin:/bin")
    with pytest.raises(AwsDeployError, match="Cannot connect to the Docker daemon"):
        publish_dnmonster(session.client("ecr"), "r/dnmonster", print, failing.run)
    assert [call["argv"][0] for call in failing.calls()] == ["login", "build"]


# ------------------------------------------------------------------ artifacts


def test_artifacts_go_to_s3_and_the_template_points_at_the_uploaded_zip(session, template_path):
    s3 = session.client("s3")
    aws_stack.ensure_bucket(s3, "identidock-fn-prod-artifacts", REGION)
    aws_stack.ensure_bucket(s3, "identidock-fn-prod-artifacts", REGION)  # idempotent
    block = s3.get_public_access_block(Bucket="identidock-fn-prod-artifacts")
    assert all(block["PublicAccessBlockConfiguration"].values())
    url = upload_artifacts(s3, "identidock-fn-prod-artifacts", REGION, "prod", template_path.parent)
    prefix = f"https://identidock-fn-prod-artifacts.s3.{REGION}.amazonaws.com/"
    assert url.startswith(prefix)
    body = s3.get_object(Bucket="identidock-fn-prod-artifacts", Key=url[len(prefix) :])["Body"]
    uploaded = json.loads(body.read())
    code = uploaded["Resources"]["APIHandler"]["Properties"]["CodeUri"]
    assert code["Bucket"] == "identidock-fn-prod-artifacts"
    zipped = s3.get_object(Bucket=code["Bucket"], Key=code["Key"])["Body"].read()
    assert zipped == (template_path.parent / "deployment.zip").read_bytes()
    original = yaml.safe_load(template_path.read_text())
    del uploaded["Resources"]["APIHandler"]["Properties"]["CodeUri"]
    del original["Resources"]["APIHandler"]["Properties"]["CodeUri"]
    assert uploaded == original


# ------------------------------------------------------------------ the stack


def stubbed_cfn() -> tuple[Any, Stubber]:
    cfn = boto3.client(
        "cloudformation",
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return cfn, Stubber(cfn)


def test_a_new_stack_is_created_through_a_change_set_and_its_outputs_returned():
    cfn, stubber = stubbed_cfn()
    missing_stack(stubber, "s")
    change_set_created(
        stubber, "s", "CREATE", [{"ParameterKey": "SaltParameterName", "ParameterValue": "/x"}]
    )
    change_set_status(stubber, "CREATE_COMPLETE")
    stubber.add_response("execute_change_set", {}, {"StackName": "s", "ChangeSetName": ANY})
    stack(stubber, "s", "CREATE_COMPLETE")
    stack(stubber, "s", "CREATE_COMPLETE", {"EndpointURL": URL})
    with stubber:
        outputs = deploy_stack(cfn, "s", TEMPLATE_URL, {"SaltParameterName": "/x"}, print)
    stubber.assert_no_pending_responses()
    assert outputs == {"EndpointURL": URL}


def test_an_unchanged_stack_is_left_alone():
    cfn, stubber = stubbed_cfn()
    stack(stubber, "s", "UPDATE_COMPLETE")
    change_set_created(stubber, "s", "UPDATE")
    reason = "The submitted information didn't contain changes. Submit different information."
    change_set_status(stubber, "FAILED", reason)  # what the waiter sees
    change_set_status(stubber, "FAILED", reason)  # what deploy_stack reads after it
    stubber.add_response("delete_change_set", {}, {"StackName": "s", "ChangeSetName": ANY})
    stack(stubber, "s", "UPDATE_COMPLETE", {"EndpointURL": URL})
    lines: list[str] = []
    with stubber:
        assert deploy_stack(cfn, "s", TEMPLATE_URL, {}, lines.append) == {"EndpointURL": URL}
    stubber.assert_no_pending_responses()
    assert "already up to date" in lines[-1]


def test_a_stack_left_in_rollback_complete_is_deleted_and_created_again():
    cfn, stubber = stubbed_cfn()
    stack(stubber, "s", "ROLLBACK_COMPLETE")
    stubber.add_response("delete_stack", {}, {"StackName": "s"})
    missing_stack(stubber, "s")  # the delete waiter: gone
    change_set_created(stubber, "s", "CREATE")
    change_set_status(stubber, "CREATE_COMPLETE")
    stubber.add_response("execute_change_set", {}, {"StackName": "s", "ChangeSetName": ANY})
    stack(stubber, "s", "CREATE_COMPLETE")
    stack(stubber, "s", "CREATE_COMPLETE", {"EndpointURL": URL})
    with stubber:
        assert deploy_stack(cfn, "s", TEMPLATE_URL, {}, print)["EndpointURL"] == URL
    stubber.assert_no_pending_responses()


def test_a_failed_create_is_reported_with_cloudformations_reason():
    cfn, stubber = stubbed_cfn()
    missing_stack(stubber, "s")
    change_set_created(stubber, "s", "CREATE")
    change_set_status(stubber, "CREATE_COMPLETE")
    stubber.add_response("execute_change_set", {}, {"StackName": "s", "ChangeSetName": ANY})
    stubber.add_response(
        "describe_stacks",
        {
            "Stacks": [
                {
                    "StackName": "s",
                    "StackStatus": "ROLLBACK_COMPLETE",
                    "StackStatusReason": "The following resource(s) failed to create: [NatAddress]",
                    "CreationTime": "2026-01-01T00:00:00Z",
                }
            ]
        },
        {"StackName": "s"},
    )
    with stubber, pytest.raises(AwsDeployError, match=r"failed to create: \[NatAddress\]"):
        deploy_stack(cfn, "s", TEMPLATE_URL, {}, print)


def test_a_rejected_change_set_is_reported():
    cfn, stubber = stubbed_cfn()
    missing_stack(stubber, "s")
    change_set_created(stubber, "s", "CREATE")
    change_set_status(stubber, "FAILED", "Parameter DnmonsterImage failed its AllowedPattern")
    change_set_status(stubber, "FAILED", "Parameter DnmonsterImage failed its AllowedPattern")
    with stubber, pytest.raises(AwsDeployError, match="AllowedPattern"):
        deploy_stack(cfn, "s", TEMPLATE_URL, {}, print)


# ------------------------------------------------------------------ the commands


def test_deploy_runs_every_step_and_prints_the_url(session, docker, tmp_path):
    cfn, stubber = stubbed_cfn()
    names = StackNames("prod", ACCOUNT, REGION)
    missing_stack(stubber, names.stack)
    change_set_created(stubber, names.stack, "CREATE")
    change_set_status(stubber, "CREATE_COMPLETE")
    stubber.add_response("execute_change_set", {}, {"StackName": names.stack, "ChangeSetName": ANY})
    stack(stubber, names.stack, "CREATE_COMPLETE")
    stack(stubber, names.stack, "CREATE_COMPLETE", {"EndpointURL": URL, "EdgeURL": EDGE_URL})
    lines: list[str] = []
    with stubber:
        url = deploy_aws(
            "prod",
            echo=lines.append,
            run=docker.run,
            session=WithCloudFormation(cfn),
            build_dir=tmp_path / "build",
        )
    stubber.assert_no_pending_responses()
    assert url == EDGE_URL
    assert lines[-2:] == [f"API URL: {URL}", f"Edge URL (CloudFront, the one to share): {EDGE_URL}"]
    ssm = session.client("ssm")
    assert ssm.get_parameter(Name=names.salt_parameter)["Parameter"]["Type"] == "SecureString"
    assert [call["argv"][0] for call in docker.calls()] == ["login", "build", "push"]
    keys = [
        o["Key"]
        for o in session.client("s3").list_objects_v2(Bucket=names.artifact_bucket)["Contents"]
    ]
    assert sorted(key.rsplit(".", 1)[-1] for key in keys) == ["json", "zip"]
    assert (tmp_path / "build" / "prod" / "sam.yaml").exists()


def test_deploy_passes_the_pushed_image_and_the_salt_name_to_the_stack(session, docker, tmp_path):
    cfn, stubber = stubbed_cfn()
    names = StackNames("prod", ACCOUNT, REGION)
    captured: dict[str, Any] = {}
    cfn.meta.events.register(
        "provide-client-params.cloudformation.CreateChangeSet",
        lambda params, **_: captured.update(params),
    )
    missing_stack(stubber, names.stack)
    change_set_created(stubber, names.stack, "CREATE")
    change_set_status(stubber, "FAILED", "stop here")
    change_set_status(stubber, "FAILED", "stop here")
    with stubber, pytest.raises(AwsDeployError, match="stop here"):
        deploy_aws("prod", run=docker.run, session=WithCloudFormation(cfn), build_dir=tmp_path)
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in captured["Parameters"]}
    (pushed,) = session.client("ecr").describe_images(repositoryName=names.repository)[
        "imageDetails"
    ]
    registry = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com"
    assert parameters == {
        "DnmonsterImage": f"{registry}/{names.repository}@{pushed['imageDigest']}",
        "DnmonsterRepositoryName": names.repository,
        "SaltParameterName": names.salt_parameter,
    }
    assert captured["TemplateURL"].startswith(f"https://{names.artifact_bucket}.s3.{REGION}.")


def test_deploy_refuses_a_stage_chalice_does_not_define():
    with pytest.raises(AwsDeployError, match=r"stage 'staging' is not in \.chalice/config\.json"):
        deploy_aws("staging", run=no_docker)


def test_deploy_without_a_region_says_so(monkeypatch):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    with pytest.raises(AwsDeployError, match="no AWS region"):
        deploy_aws("prod", run=no_docker)


def test_destroy_removes_the_stack_the_repository_the_bucket_and_the_salt(session):
    names = StackNames("prod", ACCOUNT, REGION)
    ensure_salt(session.client("ssm"), names.salt_parameter)
    ensure_repository(session.client("ecr"), names.repository)
    s3 = session.client("s3")
    aws_stack.ensure_bucket(s3, names.artifact_bucket, REGION)
    s3.put_object(Bucket=names.artifact_bucket, Key="prod/x.zip", Body=b"zip")
    cfn, stubber = stubbed_cfn()
    stack(stubber, names.stack, "CREATE_COMPLETE")
    stubber.add_response("delete_stack", {}, {"StackName": names.stack})
    missing_stack(stubber, names.stack)
    with stubber:
        destroy_aws("prod", echo=print, session=WithCloudFormation(cfn))
    stubber.assert_no_pending_responses()
    assert session.client("ecr").describe_repositories()["repositories"] == []
    assert names.artifact_bucket not in [b["Name"] for b in s3.list_buckets()["Buckets"]]
    assert session.client("ssm").describe_parameters()["Parameters"] == []


def test_destroy_can_keep_the_salt_and_tolerates_what_is_already_gone(session):
    names = StackNames("prod", ACCOUNT, REGION)
    ensure_salt(session.client("ssm"), names.salt_parameter)
    cfn, stubber = stubbed_cfn()
    missing_stack(stubber, names.stack)
    with stubber:
        destroy_aws("prod", keep_salt=True, echo=print, session=WithCloudFormation(cfn))
    (kept,) = session.client("ssm").describe_parameters()["Parameters"]
    assert kept["Name"] == names.salt_parameter


def test_extra_stack_parameters_must_be_declared_and_not_computed(template: dict[str, Any]) -> None:
    check_stack_parameters({"AlarmEmail": "ops@example.com", "EnableWaf": "true"}, template)
    with pytest.raises(AwsDeployError, match="no parameter 'AlarmMail'"):
        check_stack_parameters({"AlarmMail": "ops@example.com"}, template)
    with pytest.raises(AwsDeployError, match="set by the deploy command"):
        check_stack_parameters({"DnmonsterImage": "x"}, template)


def test_every_parameter_the_deploy_does_not_compute_has_a_default(
    template: dict[str, Any],
) -> None:
    computed = {"DnmonsterImage", "DnmonsterRepositoryName", "SaltParameterName"}
    without_default = {k for k, v in template["Parameters"].items() if "Default" not in v}
    assert without_default == computed

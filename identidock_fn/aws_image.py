"""The dnmonster image for AWS: an ECR repository, and a build pushed only when its context changed.

Tagged with a hash of the build context (immutable tags), so an unchanged service is not rebuilt;
the stack gets the image by digest. docker runs as a subprocess.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from identidock_fn.aws_common import AwsDeployError, Runner
from identidock_fn.echo import Echo
from identidock_fn.paths import PROJECT_ROOT

DNMONSTER_CONTEXT = PROJECT_ROOT / "dnmonster"
DNMONSTER_DOCKERFILE = DNMONSTER_CONTEXT / "Dockerfile"
#: Must match the task definition's RuntimePlatform.CpuArchitecture in infra/template.yaml.
IMAGE_PLATFORM = "linux/amd64"
#: Left out of the image by dnmonster/.dockerignore, so left out of its tag's hash too.
CONTEXT_SKIP = {"__pycache__", ".pytest_cache", ".hypothesis", "tests"}


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

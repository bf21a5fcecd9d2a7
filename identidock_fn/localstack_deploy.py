"""`deploy --target localstack` and `destroy --target localstack`.

deploy, each step idempotent (a second run updates, never duplicates):
  1. LocalStack: started (`identidock_fn.localstack.up`) unless it already runs;
  2. the salt: an SSM SecureString, created once with a random value, never overwritten (`salt`);
  3. the Redis AUTH token: a Secrets Manager secret, created once (ElastiCache's stand-in below);
  4. the services: a TLS `redis-server` with `requirepass` and our dnmonster, kept running by a
     small detached process (`identidock_fn.keeper`), unless you pass your own with
     `--redis-url`/`--dnmonster-url` (the e2e suite does, to stop and restart them);
  5. `chalice deploy --stage localstack` of a copy of the project under build/, whose
     `.chalice/config.json` adds the endpoints of this run to the stage's environment variables
     (the committed file holds only what never changes); then it prints the API URL.
destroy deletes the Chalice app, the salt, the token and stops the services (and LocalStack, if
deploy started it).
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import click

from identidock_fn import keeper, localstack
from identidock_fn.echo import Echo
from identidock_fn.keeper import Services
from identidock_fn.paths import BUILD_DIR, PROJECT_ROOT, executable
from identidock_fn.salt import ensure_salt

if TYPE_CHECKING:
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ssm import SSMClient

STAGE = "localstack"
REGION = "us-east-1"
SALT_PARAMETER = "/identidock/localstack/salt"
TOKEN_SECRET = "identidock/localstack/redis-auth-token"  # noqa: S105 - a name, not a secret
# What `chalice deploy` packages: the app, its library, its runtime requirements, its config.
PROJECT_FILES = ("app.py", "chalicelib", "requirements.txt", ".chalice")
# chalice's own records of what it deployed: kept across copies, so a redeploy updates
CHALICE_RECORDS = ("deployed", "deployments")


def deploy_dir() -> Path:
    return Path(os.environ.get("IDENTIDOCK_DEPLOY_DIR", BUILD_DIR / "localstack-deploy"))


def aws_env(ls: localstack.LocalStack) -> dict[str, str]:
    """Environment for boto3 and chalice talking to LocalStack (dummy credentials)."""
    return {
        "AWS_ENDPOINT_URL": ls.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


def _clients(ls: localstack.LocalStack) -> tuple[SSMClient, SecretsManagerClient]:
    """SSM and Secrets Manager clients for this LocalStack (dummy credentials)."""
    env = aws_env(ls)
    session = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    ssm = session.client("ssm", endpoint_url=ls.url)
    return ssm, session.client("secretsmanager", endpoint_url=ls.url)


def ensure_token(sm: SecretsManagerClient, token: str | None) -> str:
    """The Redis AUTH token from Secrets Manager, created (or set to `token`) when needed."""
    try:
        current = sm.get_secret_value(SecretId=TOKEN_SECRET)["SecretString"]
    except sm.exceptions.ResourceNotFoundException:
        value = token or secrets.token_urlsafe(32)
        sm.create_secret(Name=TOKEN_SECRET, SecretString=value)
        return value
    if token is not None and token != current:
        sm.put_secret_value(SecretId=TOKEN_SECRET, SecretString=token)
        return token
    return current


# -- the chalice project ---------------------------------------------------------------------------
def stage_environment(services: Services) -> dict[str, str]:
    """This run's endpoints, added to the committed localstack stage's environment variables."""
    env = {"REDIS_URL": services.redis_url, "DNMONSTER_URL": services.dnmonster_url}
    if services.redis_ca_file:
        env["REDIS_CA_FILE"] = services.redis_ca_file
    return env


def _copy_project(target: Path) -> None:
    target.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", *CHALICE_RECORDS, "tests")
    for name in PROJECT_FILES:
        source = PROJECT_ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)


def prepare_project(target: Path, services: Services) -> None:
    """Copy the Chalice project to `target`, keeping chalice's own deployed records there."""
    chalice_dir = target / ".chalice"
    saved = target.parent / ".kept"
    shutil.rmtree(saved, ignore_errors=True)
    saved.mkdir(parents=True)
    for name in CHALICE_RECORDS:
        if (chalice_dir / name).exists():
            shutil.move(chalice_dir / name, saved / name)
    shutil.rmtree(target, ignore_errors=True)
    _copy_project(target)
    for name in CHALICE_RECORDS:
        if (saved / name).exists():
            shutil.move(saved / name, chalice_dir / name)
    shutil.rmtree(saved, ignore_errors=True)
    config_file = chalice_dir / "config.json"
    config = json.loads(config_file.read_text())
    config["stages"][STAGE]["environment_variables"].update(stage_environment(services))
    config_file.write_text(json.dumps(config, indent=2))


def chalice(ls: localstack.LocalStack, project: Path, *args: str) -> None:
    """Run `chalice ARGS` on `project` against LocalStack; its output in the error if it fails."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | aws_env(ls)
    command = [executable("chalice"), "--project-dir", str(project), *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise click.ClickException(
            f"chalice {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
        )


def _deployed_record(project: Path) -> Path:
    return project / ".chalice" / "deployed" / f"{STAGE}.json"


def api_url(ls: localstack.LocalStack, project: Path) -> str:
    deployed = json.loads(_deployed_record(project).read_text())
    for resource in deployed["resources"]:
        if resource.get("resource_type") == "rest_api":
            return f"{ls.url}/_aws/execute-api/{resource['rest_api_id']}/api/"
    raise click.ClickException("chalice deployed no REST API")


# -- deploy and destroy ----------------------------------------------------------------------------
def _read_state(state_file: Path) -> dict[str, Any]:
    state: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}
    return state


def deploy_localstack(
    echo: Echo = click.echo,
    services: Services | None = None,
    redis_token: str | None = None,
) -> str:
    """Set up everything on LocalStack; return the API URL."""
    ls = localstack.from_env()
    work = deploy_dir()
    work.mkdir(parents=True, exist_ok=True)
    state_file = work / "deploy.json"
    state = _read_state(state_file)
    started = localstack.up(ls, echo)
    state["started_localstack"] = state.get("started_localstack", False) or started
    state_file.write_text(json.dumps(state))
    ssm, sm = _clients(ls)
    if ensure_salt(ssm, SALT_PARAMETER):
        echo(f"created the salt {SALT_PARAMETER} (SSM SecureString)")
    token = ensure_token(sm, redis_token)
    echo(f"Redis AUTH token kept in Secrets Manager as {TOKEN_SECRET}")
    if services is None:
        services = keeper.start_services(work / "services", token, echo)
    project = work / "project"
    prepare_project(project, services)
    echo("chalice deploy --stage localstack ...")
    chalice(ls, project, "deploy", "--stage", STAGE)
    url = api_url(ls, project)
    state["url"] = url
    state_file.write_text(json.dumps(state))
    echo(f"API URL: {url}")
    return url


def _delete_app_and_secrets(ls: localstack.LocalStack, project: Path, echo: Echo) -> None:
    if _deployed_record(project).exists():
        echo("chalice delete --stage localstack ...")
        chalice(ls, project, "delete", "--stage", STAGE)
    ssm, sm = _clients(ls)
    with contextlib.suppress(ssm.exceptions.ParameterNotFound):
        ssm.delete_parameter(Name=SALT_PARAMETER)
    with contextlib.suppress(sm.exceptions.ResourceNotFoundException):
        sm.delete_secret(SecretId=TOKEN_SECRET, ForceDeleteWithoutRecovery=True)
    echo("deleted the salt and the Redis token")


def destroy_localstack(echo: Echo = click.echo) -> None:
    """Remove what deploy made; stop LocalStack too if deploy started it."""
    ls = localstack.from_env()
    work = deploy_dir()
    state_file = work / "deploy.json"
    state = _read_state(state_file)
    if localstack.healthy(ls):
        _delete_app_and_secrets(ls, work / "project", echo)
    keeper.stop_services(work / "services", echo)
    if state.get("started_localstack"):
        localstack.down(ls, echo)
    state_file.unlink(missing_ok=True)
    echo("destroyed")

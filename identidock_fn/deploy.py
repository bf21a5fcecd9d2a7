"""`deploy`/`destroy --target localstack`, and the one-line dispatch to `--target aws`.

deploy, each step idempotent (a second run updates, never duplicates):
  1. LocalStack: started (`identidock_fn.localstack.up`) unless it already runs;
  2. the salt: an SSM SecureString, created once with a random value, never overwritten;
  3. the Redis AUTH token: a Secrets Manager secret, created once (ElastiCache's stand-in below);
  4. the services: a TLS `redis-server` with `requirepass` and our dnmonster, kept running by a
     small detached keeper process (`python -m identidock_fn.deploy`), unless you pass your own
     with `--redis-url`/`--dnmonster-url` (the e2e suite does, to stop and restart them);
  5. `chalice deploy --stage localstack` of a copy of the project under build/, whose
     `.chalice/config.json` adds the endpoints of this run to the stage's environment variables
     (the committed file holds only what never changes); then it prints the API URL.
destroy deletes the Chalice app, the salt, the token and stops the services (and LocalStack, if
deploy started it).
"""

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import click
import psutil

from identidock_fn import localstack

ROOT = Path(__file__).resolve().parent.parent
STAGE = "localstack"
REGION = "us-east-1"
SALT_PARAMETER = "/identidock/localstack/salt"
TOKEN_SECRET = "identidock/localstack/redis-auth-token"  # noqa: S105 - a name, not a secret
# What `chalice deploy` packages: the app, its library, its runtime requirements, its config.
PROJECT_FILES = ("app.py", "chalicelib", "requirements.txt", ".chalice")
KEEPER_START_SECONDS = 90.0

Echo = Callable[[str], None]


@dataclass(frozen=True)
class Services:
    """Where the function finds Redis and dnmonster."""

    redis_url: str
    redis_ca_file: str | None
    dnmonster_url: str


def deploy_dir() -> Path:
    return Path(os.environ.get("IDENTIDOCK_DEPLOY_DIR", ROOT / "build" / "localstack-deploy"))


def aws_env(ls: localstack.LocalStack) -> dict[str, str]:
    """Environment for boto3 and chalice talking to LocalStack (dummy credentials)."""
    return {
        "AWS_ENDPOINT_URL": ls.url,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
    }


def session_for(ls: localstack.LocalStack) -> tuple[boto3.Session, str]:
    env = aws_env(ls)
    session = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=REGION,
    )
    return session, ls.url


# -- SSM and Secrets Manager -----------------------------------------------------------------------
def ensure_salt(ssm: Any) -> bool:
    """Create the salt once; True when created."""
    try:
        ssm.put_parameter(
            Name=SALT_PARAMETER, Value=secrets.token_hex(32), Type="SecureString", Overwrite=False
        )
    except ssm.exceptions.ParameterAlreadyExists:
        return False
    return True


def ensure_token(sm: Any, token: str | None) -> str:
    """The Redis AUTH token from Secrets Manager, created (or set to `token`) when needed."""
    try:
        current: str = sm.get_secret_value(SecretId=TOKEN_SECRET)["SecretString"]
    except sm.exceptions.ResourceNotFoundException:
        value = token or secrets.token_urlsafe(32)
        sm.create_secret(Name=TOKEN_SECRET, SecretString=value)
        return value
    if token is not None and token != current:
        sm.put_secret_value(SecretId=TOKEN_SECRET, SecretString=token)
        return token
    return current


# -- the services keeper --------------------------------------------------------------------------
def keeper_state_file(work: Path) -> Path:
    return work / "services.json"


def keeper_pid(work: Path) -> int | None:
    try:
        state = json.loads(keeper_state_file(work).read_text())
        process = psutil.Process(state["pid"])
        if abs(process.create_time() - state["create_time"]) < 1:
            return int(process.pid)
    except (FileNotFoundError, KeyError, ValueError, psutil.Error):
        pass
    return None


def keeper_environment() -> dict[str, str]:
    """All the keeper and its servers need: where programs are, a UTF-8 locale, a temp folder.

    Nothing else from our environment (AWS credentials, tokens, a user's own variables) reaches
    the servers it starts.
    """
    env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "LANG": "C.UTF-8"}
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    return env


def start_services(work: Path, token: str, echo: Echo) -> Services:
    """Start (or find) the detached keeper of redis-server and dnmonster."""
    state_file = keeper_state_file(work)
    if keeper_pid(work) is None:
        state_file.unlink(missing_ok=True)
        echo("starting a TLS redis-server (requirepass) and dnmonster on loopback ...")
        work.mkdir(parents=True, exist_ok=True)
        with (work / "keeper.log").open("ab") as log:
            # The token goes through a pipe, never the environment: every server the keeper
            # starts would inherit it, and /proc/<pid>/environ outlives any later unsetenv.
            process = subprocess.Popen(
                [sys.executable, "-m", "identidock_fn.deploy", str(work)],
                cwd=ROOT,
                env=keeper_environment(),
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        assert process.stdin is not None  # stdin=PIPE above
        # A keeper that died at start closes the pipe; the wait below then reports it.
        with contextlib.suppress(BrokenPipeError), process.stdin:
            process.stdin.write(token.encode() + b"\n")
        deadline = time.monotonic() + KEEPER_START_SECONDS
        while not state_file.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise click.ClickException(f"services did not start; see {work / 'keeper.log'}")
            time.sleep(0.2)
    state = json.loads(state_file.read_text())
    echo(f"redis: {state['redis_url']}  dnmonster: {state['dnmonster_url']}")
    return Services(state["redis_url"], state["redis_ca_file"], state["dnmonster_url"])


def stop_services(work: Path, echo: Echo) -> None:
    pid = keeper_pid(work)
    if pid is not None:
        echo("stopping redis-server and dnmonster ...")
        process = psutil.Process(pid)
        process.terminate()
        psutil.wait_procs([process], timeout=30)
    keeper_state_file(work).unlink(missing_ok=True)


def keep_services(work: Path) -> None:
    """The keeper: run both servers until SIGTERM, then stop them (no orphans)."""
    from identidock_fn.services import DnmonsterServer, RedisServer

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    token = sys.stdin.readline().rstrip("\n")  # from start_services, through a pipe
    if not token:
        raise SystemExit("the keeper reads the Redis AUTH token from its standard input")
    redis = RedisServer(tls=True, password=token, workdir=work / "redis")
    dnmonster = DnmonsterServer(workdir=work / "dnmonster")
    with redis, dnmonster:
        state = {
            "pid": os.getpid(),
            "create_time": psutil.Process().create_time(),
            "redis_url": redis.url,
            "redis_ca_file": str(redis.ca_file),
            "dnmonster_url": dnmonster.url,
        }
        keeper_state_file(work).write_text(json.dumps(state))
        print(f"serving {state}", flush=True)
        stop.wait()


# -- chalice ---------------------------------------------------------------------------------------
def stage_environment(services: Services) -> dict[str, str]:
    """This run's endpoints, added to the committed localstack stage's environment variables."""
    env = {"REDIS_URL": services.redis_url, "DNMONSTER_URL": services.dnmonster_url}
    if services.redis_ca_file:
        env["REDIS_CA_FILE"] = services.redis_ca_file
    return env


def prepare_project(target: Path, services: Services) -> None:
    """Copy the Chalice project to `target`, keeping chalice's own deployed records there."""
    chalice_dir = target / ".chalice"
    kept = {name: chalice_dir / name for name in ("deployed", "deployments")}
    saved = target.parent / ".kept"
    shutil.rmtree(saved, ignore_errors=True)
    for name, path in kept.items():
        if path.exists():
            shutil.move(path, saved / name)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name in PROJECT_FILES:
        source = ROOT / name
        if source.is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "deployed", "deployments", "tests")
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    for name in kept:
        if (saved / name).exists():
            shutil.move(saved / name, chalice_dir / name)
    shutil.rmtree(saved, ignore_errors=True)
    config_file = chalice_dir / "config.json"
    config = json.loads(config_file.read_text())
    stage = config.setdefault("stages", {}).setdefault(STAGE, {})
    stage.setdefault("environment_variables", {}).update(stage_environment(services))
    # LocalStack has no IAM to manage: chalice must use a fixed role (normally in config.json).
    stage.setdefault("manage_iam_role", False)
    stage.setdefault("iam_role_arn", "arn:aws:iam::000000000000:role/identidock-fn-localstack")
    config_file.write_text(json.dumps(config, indent=2))


def chalice(ls: localstack.LocalStack, project: Path, *args: str) -> None:
    from identidock_fn.services.chalice_local import chalice_executable

    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")} | aws_env(ls)
    command = [chalice_executable(), "--project-dir", str(project), *args]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise click.ClickException(
            f"chalice {' '.join(args)} failed:\n{result.stdout}{result.stderr}"
        )


def api_url(ls: localstack.LocalStack, project: Path) -> str:
    deployed = json.loads((project / ".chalice" / "deployed" / f"{STAGE}.json").read_text())
    for resource in deployed["resources"]:
        if resource.get("resource_type") == "rest_api":
            return f"{ls.url}/_aws/execute-api/{resource['rest_api_id']}/api/"
    raise click.ClickException("chalice deployed no REST API")


# -- the two targets -------------------------------------------------------------------------------
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
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    started = localstack.up(ls, echo)
    state["started_localstack"] = state.get("started_localstack", False) or started
    state_file.write_text(json.dumps(state))
    session, endpoint = session_for(ls)
    if ensure_salt(session.client("ssm", endpoint_url=endpoint)):
        echo(f"created the salt {SALT_PARAMETER} (SSM SecureString)")
    token = ensure_token(session.client("secretsmanager", endpoint_url=endpoint), redis_token)
    echo(f"Redis AUTH token kept in Secrets Manager as {TOKEN_SECRET}")
    if services is None:
        services = start_services(work / "services", token, echo)
    project = work / "project"
    prepare_project(project, services)
    echo("chalice deploy --stage localstack ...")
    chalice(ls, project, "deploy", "--stage", STAGE)
    url = api_url(ls, project)
    state["url"] = url
    state_file.write_text(json.dumps(state))
    echo(f"API URL: {url}")
    return url


def destroy_localstack(echo: Echo = click.echo) -> None:
    """Remove what deploy made; stop LocalStack too if deploy started it."""
    ls = localstack.from_env()
    work = deploy_dir()
    state_file = work / "deploy.json"
    state = json.loads(state_file.read_text()) if state_file.exists() else {}
    project = work / "project"
    if localstack.healthy(ls):
        if (project / ".chalice" / "deployed" / f"{STAGE}.json").exists():
            echo("chalice delete --stage localstack ...")
            chalice(ls, project, "delete", "--stage", STAGE)
        session, endpoint = session_for(ls)
        ssm = session.client("ssm", endpoint_url=endpoint)
        sm = session.client("secretsmanager", endpoint_url=endpoint)
        with contextlib.suppress(ssm.exceptions.ParameterNotFound):
            ssm.delete_parameter(Name=SALT_PARAMETER)
        with contextlib.suppress(sm.exceptions.ResourceNotFoundException):
            sm.delete_secret(SecretId=TOKEN_SECRET, ForceDeleteWithoutRecovery=True)
        echo("deleted the salt and the Redis token")
    stop_services(work / "services", echo)
    if state.get("started_localstack"):
        localstack.down(ls, echo)
    state_file.unlink(missing_ok=True)
    echo("destroyed")


def _deploy_aws(stage: str, region: str | None) -> str:
    from identidock_fn.aws_deploy import deploy_aws

    return deploy_aws(stage, region=region, echo=click.echo)


def _destroy_aws(stage: str, region: str | None, keep_salt: bool) -> None:
    from identidock_fn.aws_deploy import destroy_aws

    destroy_aws(stage, region=region, keep_salt=keep_salt, echo=click.echo)


# -- the commands --------------------------------------------------------------------------------
TARGETS = ("localstack", "aws")
target_option = click.option(
    "--target", type=click.Choice(TARGETS), default="localstack", show_default=True
)
stage_option = click.option("--stage", default="prod", show_default=True, help="aws target only")
region_option = click.option("--region", default=None, help="aws target only")


@click.command("deploy")
@target_option
@stage_option
@region_option
@click.option("--redis-url", help="localstack: use this Redis instead of starting one")
@click.option("--redis-ca-file", help="localstack: the CA certificate of --redis-url")
@click.option("--redis-token", envvar="IDENTIDOCK_REDIS_TOKEN", help="localstack: its password")
@click.option("--dnmonster-url", help="localstack: use this dnmonster instead of starting one")
def deploy(
    target: str,
    stage: str,
    region: str | None,
    redis_url: str | None,
    redis_ca_file: str | None,
    redis_token: str | None,
    dnmonster_url: str | None,
) -> None:
    """Deploy the whole stack and print the API URL."""
    if target == "aws":
        _deploy_aws(stage, region)
        return
    services = None
    if redis_url or dnmonster_url:
        if not (redis_url and dnmonster_url and redis_token):
            raise click.UsageError("--redis-url, --redis-token and --dnmonster-url go together")
        services = Services(redis_url, redis_ca_file, dnmonster_url)
    deploy_localstack(services=services, redis_token=redis_token)


@click.command("destroy")
@target_option
@stage_option
@region_option
@click.option(
    "--keep-salt",
    is_flag=True,
    help="aws: keep the SSM salt, so a later deploy draws the same monsters for the same names",
)
def destroy(target: str, stage: str, region: str | None, keep_salt: bool) -> None:
    """Remove what deploy made."""
    if target == "aws":
        _destroy_aws(stage, region, keep_salt)
        return
    destroy_localstack()


if __name__ == "__main__":
    keep_services(Path(sys.argv[1]))

"""`python -m identidock_fn localstack up|down|status`: LocalStack in host mode, no Docker engine.

LocalStack gets its own virtual environment (about 500 MB: never the project's .venv), created on
first use and brought up to date when `localstack/` changes (a stamp file holds the inputs' hash).
It runs on loopback with its state under a build folder, Lambdas executed by our
`identidock_lambda_executor` plugin, and keeps running after `up` returns; `down` stops its process
group (functions included).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import click
import psutil
import requests

from identidock_fn import pid_record
from identidock_fn.echo import Echo
from identidock_fn.paths import BUILD_DIR, PROJECT_ROOT

SOURCES = PROJECT_ROOT / "localstack"
DEFAULT_STATE_DIR = BUILD_DIR / "localstack"
SERVICES = "lambda,apigateway,ssm,secretsmanager,iam,sts,s3,logs,cloudwatch"
START_TIMEOUT_SECONDS = 90.0
STOP_TIMEOUT_SECONDS = 20.0


@dataclass(frozen=True)
class LocalStack:
    """Where one LocalStack lives: its venv, its state folder and its loopback port."""

    venv: Path
    state_dir: Path
    port: int
    # A LocalStack someone else runs (docker compose): used as it is, never started or stopped.
    external_url: str | None = None

    @property
    def url(self) -> str:
        return self.external_url or f"http://127.0.0.1:{self.port}"

    @property
    def state_file(self) -> Path:
        return self.state_dir / "localstack.json"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "localstack.log"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    @property
    def lambda_runtime_dir(self) -> Path:
        return self.venv / "lambda-runtime"


def from_env(port: int | None = None, state_dir: Path | None = None) -> LocalStack:
    """The LocalStack the environment points at (defaults: build/, port 4566)."""
    env = os.environ
    return LocalStack(
        venv=Path(env.get("IDENTIDOCK_LOCALSTACK_VENV", BUILD_DIR / "localstack-venv")),
        state_dir=Path(
            state_dir or env.get("IDENTIDOCK_LOCALSTACK_DIR") or DEFAULT_STATE_DIR
        ).resolve(),
        port=port or int(env.get("IDENTIDOCK_LOCALSTACK_PORT", "4566")),
        external_url=env.get("IDENTIDOCK_LOCALSTACK_URL") or None,
    )


# -- its virtual environment -------------------------------------------------------------------
def _inputs_hash() -> str:
    digest = hashlib.sha256()
    files = [SOURCES / "requirements.txt", SOURCES / "constraints.txt"]
    files += [SOURCES / "lambda-runtime.txt", SOURCES / "executor" / "pyproject.toml"]
    files += sorted((SOURCES / "executor" / "identidock_lambda_executor").glob("*.py"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def ensure_venv(ls: LocalStack, echo: Echo) -> None:
    """Create or update LocalStack's virtual environment when `localstack/` changed."""
    stamp = ls.venv / ".identidock-stamp"
    wanted = _inputs_hash()
    if stamp.exists() and stamp.read_text() == wanted:
        return
    if not ls.python.exists():
        echo(f"creating LocalStack's virtual environment in {ls.venv} ...")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(ls.venv)], check=True)
    pip = [str(ls.python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    pip += ["--no-warn-conflicts"]
    echo("installing LocalStack (localstack/requirements.txt; about a minute the first time) ...")
    subprocess.run([*pip, "-r", str(SOURCES / "requirements.txt")], check=True)
    echo("installing the Lambda runtime's packages and the local-process executor ...")
    target = ["--upgrade", "--target", str(ls.lambda_runtime_dir)]
    subprocess.run([*pip, *target, "-r", str(SOURCES / "lambda-runtime.txt")], check=True)
    executor = ["--no-deps", "--force-reinstall"]
    # Built from a copy: setuptools writes build/ and *.egg-info/ next to the sources it builds.
    with tempfile.TemporaryDirectory(prefix="identidock-executor-") as scratch:
        copy = Path(scratch) / "executor"
        ignore = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
        shutil.copytree(SOURCES / "executor", copy, ignore=ignore)
        subprocess.run([*pip, *executor, str(copy)], check=True)
    stamp.write_text(wanted)


# -- its process ---------------------------------------------------------------------------------
def _environment(ls: LocalStack) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTHON"))}
    env.update(
        GATEWAY_LISTEN=f"127.0.0.1:{ls.port}",
        SERVICES=SERVICES,
        LAMBDA_RUNTIME_EXECUTOR="local-process",
        IDENTIDOCK_LAMBDA_RUNTIME_PATH=str(ls.lambda_runtime_dir),
        FILESYSTEM_ROOT=str(ls.state_dir / "filesystem"),
        TMPDIR=str(ls.state_dir / "tmp"),
        DNS_ADDRESS="0",  # no DNS server on port 53
        SKIP_SSL_CERT_DOWNLOAD="1",
        DISABLE_EVENTS="1",  # no analytics
    )
    return env


def running_pid(ls: LocalStack) -> int | None:
    """The pid of this LocalStack if its recorded process is still the one we started."""
    return pid_record.running_pid(ls.state_file)


def healthy(ls: LocalStack) -> bool:
    try:
        return requests.get(f"{ls.url}/_localstack/health", timeout=2).ok
    except requests.RequestException:
        return False


def _spawn(ls: LocalStack) -> subprocess.Popen[bytes]:
    """Start LocalStack in its own session, its output to its log, and record its pid."""
    for sub in ("tmp", "filesystem"):
        (ls.state_dir / sub).mkdir(parents=True, exist_ok=True)
    with ls.log_file.open("ab") as log:
        # cwd is the state folder: the project's `localstack/` folder must not shadow the package.
        process = subprocess.Popen(
            [str(ls.python), "-m", "localstack.runtime.main"],
            cwd=ls.state_dir,
            env=_environment(ls),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pid_record.write(ls.state_file, process.pid, port=ls.port)
    return process


def up(ls: LocalStack, echo: Echo = click.echo) -> bool:
    """Start LocalStack unless it is running; True when this call started it."""
    if ls.external_url:
        if not healthy(ls):
            raise click.ClickException(f"no LocalStack answers at {ls.url}")
        echo(f"using the LocalStack at {ls.url}")
        return False
    if running_pid(ls) and healthy(ls):
        echo(f"LocalStack is already running at {ls.url}")
        return False
    try:
        ensure_venv(ls, echo)
    except subprocess.CalledProcessError as error:
        raise click.ClickException(f"installing LocalStack failed: {error}") from error
    echo(f"starting LocalStack at {ls.url} (state in {ls.state_dir}, log {ls.log_file}) ...")
    process = _spawn(ls)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not healthy(ls):
        if process.poll() is not None or time.monotonic() > deadline:
            down(ls, echo=lambda _: None)
            raise click.ClickException(f"LocalStack did not start; see {ls.log_file}")
        time.sleep(0.2)
    echo(f"LocalStack is ready at {ls.url}")
    return True


def down(ls: LocalStack, echo: Echo = click.echo) -> None:
    """Stop LocalStack's process group: SIGTERM, then SIGKILL after a grace period."""
    if ls.external_url:
        echo(f"LocalStack at {ls.url} is not ours to stop")
        return
    pid = running_pid(ls)
    if pid is None:
        echo("LocalStack is not running")
        ls.state_file.unlink(missing_ok=True)
        return
    echo(f"stopping LocalStack (pid {pid}) ...")
    group = [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    _, alive = psutil.wait_procs(group, timeout=STOP_TIMEOUT_SECONDS)
    if alive:
        with_signal = [p for p in alive if p.is_running()]
        for process in with_signal:
            process.kill()
        psutil.wait_procs(with_signal, timeout=5)
    ls.state_file.unlink(missing_ok=True)
    echo("LocalStack stopped")


# -- the command group ---------------------------------------------------------------------------
port_option = click.option(
    "--port", type=int, envvar="IDENTIDOCK_LOCALSTACK_PORT", default=4566, show_default=True
)
dir_option = click.option(
    "--state-dir",
    type=click.Path(path_type=Path),
    envvar="IDENTIDOCK_LOCALSTACK_DIR",
    default=DEFAULT_STATE_DIR,
    help="folder for LocalStack's state, log and pid record",
)


@click.group("localstack")
def localstack_group() -> None:
    """Run LocalStack on this machine without Docker."""


@localstack_group.command("up")
@port_option
@dir_option
def up_command(port: int, state_dir: Path) -> None:
    """Start LocalStack in host mode on 127.0.0.1 and wait until it is healthy."""
    up(from_env(port, state_dir))


@localstack_group.command("down")
@port_option
@dir_option
def down_command(port: int, state_dir: Path) -> None:
    """Stop LocalStack and every Lambda process it started."""
    down(from_env(port, state_dir))


@localstack_group.command("status")
@port_option
@dir_option
def status_command(port: int, state_dir: Path) -> None:
    """Say whether LocalStack runs, and its services' health."""
    ls = from_env(port, state_dir)
    pid = running_pid(ls)
    if pid is None or not healthy(ls):
        raise click.ClickException(f"LocalStack is not running at {ls.url}")
    services = requests.get(f"{ls.url}/_localstack/health", timeout=2).json().get("services", {})
    click.echo(f"LocalStack is running at {ls.url} (pid {pid})")
    for name in SERVICES.split(","):
        click.echo(f"  {name}: {services.get(name, 'unknown')}")

"""The detached keeper of the LocalStack deploy's servers: `python -m identidock_fn.keeper WORK`.

`deploy --target localstack` needs a TLS `redis-server` with `requirepass` (ElastiCache's stand-in)
and our dnmonster that outlive the command, so a small detached process keeps them: it starts
both on loopback, records where they are in `WORK/services.json` (with its own pid, see
`pid_record`), and stops them on SIGTERM. The keeper gets `environment()` only, and the Redis AUTH
token through a pipe on its standard input, never its environment: every server it starts would
inherit it, and /proc/<pid>/environ outlives any later unsetenv.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import click
import psutil

from identidock_fn import pid_record
from identidock_fn.echo import Echo
from identidock_fn.paths import PROJECT_ROOT

MODULE = "identidock_fn.keeper"
START_SECONDS = 90.0
STOP_SECONDS = 30.0


@dataclass(frozen=True)
class Services:
    """Where the function finds Redis and dnmonster."""

    redis_url: str
    redis_ca_file: str | None
    dnmonster_url: str


def state_file(work: Path) -> Path:
    return work / "services.json"


def running_pid(work: Path) -> int | None:
    """The keeper's pid while the recorded keeper still runs."""
    return pid_record.running_pid(state_file(work))


def environment() -> dict[str, str]:
    """All the keeper and its servers need: where programs are, a UTF-8 locale, a temp folder.

    Nothing else from our environment (AWS credentials, tokens, a user's own variables) reaches
    the servers it starts.
    """
    env = {"PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"), "LANG": "C.UTF-8"}
    if "TMPDIR" in os.environ:
        env["TMPDIR"] = os.environ["TMPDIR"]
    return env


def _spawn(work: Path, token: str) -> subprocess.Popen[bytes]:
    """Start the keeper in its own session; hand it the token through its standard input."""
    work.mkdir(parents=True, exist_ok=True)
    with (work / "keeper.log").open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", MODULE, str(work)],
            cwd=PROJECT_ROOT,
            env=environment(),
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    assert process.stdin is not None  # stdin=PIPE above
    # A keeper that died at start closes the pipe; the caller's wait then reports it.
    with contextlib.suppress(BrokenPipeError), process.stdin:
        process.stdin.write(token.encode() + b"\n")
    return process


def start_services(work: Path, token: str, echo: Echo) -> Services:
    """Start (or find) the detached keeper of redis-server and dnmonster."""
    if running_pid(work) is None:
        state_file(work).unlink(missing_ok=True)
        echo("starting a TLS redis-server (requirepass) and dnmonster on loopback ...")
        process = _spawn(work, token)
        deadline = time.monotonic() + START_SECONDS
        while not state_file(work).exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise click.ClickException(f"services did not start; see {work / 'keeper.log'}")
            time.sleep(0.2)
    state = pid_record.read(state_file(work))
    if state is None:
        raise click.ClickException(f"unreadable {state_file(work)}; run destroy, then deploy")
    echo(f"redis: {state['redis_url']}  dnmonster: {state['dnmonster_url']}")
    return Services(state["redis_url"], state["redis_ca_file"], state["dnmonster_url"])


def stop_services(work: Path, echo: Echo) -> None:
    """SIGTERM the keeper (it stops its servers) and wait for it; forget its record."""
    pid = running_pid(work)
    if pid is not None:
        echo("stopping redis-server and dnmonster ...")
        process = psutil.Process(pid)
        process.terminate()
        psutil.wait_procs([process], timeout=STOP_SECONDS)
    state_file(work).unlink(missing_ok=True)


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
        where = {
            "redis_url": redis.url,
            "redis_ca_file": str(redis.ca_file),
            "dnmonster_url": dnmonster.url,
        }
        pid_record.write(state_file(work), os.getpid(), **where)
        print(f"serving {where}", flush=True)
        stop.wait()


if __name__ == "__main__":
    keep_services(Path(sys.argv[1]))

"""`python -m identidock_fn up`: dnmonster, Redis and the app (`chalice local`), stopped together.

Every server runs in its own session (mirakuru), so a terminal's Ctrl-C reaches only this process;
it then stops the app server first and the backing services after it. SIGTERM does the same. If
one of the servers dies on its own, the others are stopped too and the command exits with 1. If
this process is killed outright (SIGKILL), the kernel sends each server SIGTERM (PDEATHSIG).
Each server gets a minimal environment (see `services.process` and `app_server_environment`)
and listens on 127.0.0.1; only the app's address can be changed (`--host`).
The app server is chalice's local gateway behind our HTTP server: see `services.local_http`.
"""

from __future__ import annotations

import contextlib
import os
import signal
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from urllib.parse import urlsplit

import click

from identidock_fn.paths import find_executable
from identidock_fn.services import (
    ChaliceLocalServer,
    DnmonsterServer,
    ManagedServer,
    RedisServer,
    ServiceError,
    preferred_port,
)
from identidock_fn.services.chalice_local import app_environment

READY_PREFIX = "identidock_fn is up at"
DNMONSTER_PORT = 8080  # dnmonster's container port: used when free, so its URL is the usual one
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
REDIS_SECRETS = ("REDIS_AUTH_TOKEN", "REDIS_AUTH_SECRET_ID", "REDIS_CA_FILE")


class StopRequested(Exception):
    """SIGINT or SIGTERM arrived."""


def _raise_stop(signum: int, frame: FrameType | None) -> None:
    raise StopRequested(signal.Signals(signum).name)


def _say(message: str) -> None:
    click.echo(f"identidock_fn: {message}", err=True)


def _wait_for_any_exit(servers: list[ManagedServer]) -> ManagedServer | None:
    """Block until one of our servers exits (a signal interrupts it by raising); return it."""
    info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOWAIT)  # leaves the child for Popen to reap
    pid = info.si_pid if info is not None else None
    return next((server for server in servers if server.pid == pid), None)


def app_server_environment(
    dnmonster_url: str, redis_url: str | None, *, own_redis: bool
) -> dict[str, str]:
    """What the app server gets on top of the base environment.

    The function's settings and AWS access from ours, with the dnmonster and Redis in use. The
    Redis secrets (`REDIS_AUTH_TOKEN`, `REDIS_AUTH_SECRET_ID`, `REDIS_CA_FILE`) only go with a
    Redis the user named: ours has no password and no TLS, and without Redis none is used.
    """
    env = app_environment(os.environ) | {"DNMONSTER_URL": dnmonster_url}
    for name in ("REDIS_URL", *REDIS_SECRETS):
        env.pop(name, None)
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
        if not own_redis:
            env |= {name: os.environ[name] for name in REDIS_SECRETS if name in os.environ}
    return env


def _start(stack: contextlib.ExitStack, server: ManagedServer, started: list[ManagedServer]) -> str:
    stack.enter_context(server)
    started.append(server)
    return server.url


@dataclass(frozen=True)
class StackOptions:
    """What `up` was asked for: the app's address, the servers to use instead of ours."""

    host: str
    port: int
    dnmonster_url: str | None
    redis_url: str | None
    autoreload: bool
    workdir: Path


def _start_servers(
    stack: contextlib.ExitStack, started: list[ManagedServer], options: StackOptions
) -> str:
    """Start dnmonster and Redis unless given, then the app server; return the app's URL."""
    dnmonster_url, redis_url, workdir = options.dnmonster_url, options.redis_url, options.workdir
    if dnmonster_url is None:
        dnmonster = DnmonsterServer(
            port=preferred_port(DNMONSTER_PORT), workdir=workdir / "dnmonster"
        )
        dnmonster_url = _start(stack, dnmonster, started)
        _say(f"dnmonster at {dnmonster_url} (log: {started[-1].log_file})")
    own_redis = redis_url is None and find_executable("redis-server") is not None
    if own_redis:
        redis_url = _start(stack, RedisServer(workdir=workdir / "redis"), started)
        _say(f"redis-server at {redis_url} (log: {started[-1].log_file})")
    elif redis_url is None:
        _say("redis-server is not installed: caching in the function's memory")
    app = ChaliceLocalServer(
        env=app_server_environment(dnmonster_url, redis_url, own_redis=own_redis),
        autoreload=options.autoreload,
        inherit_output=True,
        host=options.host,
        port=options.port,
        workdir=workdir / "chalice",
    )
    return _start(stack, app, started)


def run_stack(options: StackOptions) -> int:
    """Start what is missing, serve until a signal or a crash, stop everything; return exit code."""
    for sig in STOP_SIGNALS:
        signal.signal(sig, _raise_stop)
    started: list[ManagedServer] = []
    try:
        with contextlib.ExitStack() as stack:
            try:
                url = _start_servers(stack, started, options)
                click.echo(f"{READY_PREFIX} {url}/")
                exited = _wait_for_any_exit(started)
                _say(f"{exited.name if exited else 'a server'} exited on its own: stopping")
                return 1
            finally:
                # The stack now stops chalice local, then dnmonster and Redis; a second Ctrl-C
                # must not cut that short and leave a server behind.
                for sig in STOP_SIGNALS:
                    signal.signal(sig, signal.SIG_IGN)
    except StopRequested as stop:
        _say(f"{stop}: stopped")
        return 0
    except ServiceError as exc:
        _say(str(exc))
        return 1


def _url_with_scheme(
    *schemes: str,
) -> Callable[[click.Context, click.Parameter, str | None], str | None]:
    """A click callback accepting None or a URL with one of `schemes` and a host."""

    def check(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in schemes or not parts.hostname:
            raise click.BadParameter(f"expected {' or '.join(s + '://HOST' for s in schemes)}")
        return value

    return check


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to serve the app on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--dnmonster-url",
    callback=_url_with_scheme("http", "https"),
    help="Use this dnmonster instead of starting one.",
)
@click.option(
    "--redis-url",
    callback=_url_with_scheme("redis", "rediss"),
    help="Use this Redis instead of starting redis-server; for TLS/AUTH export "
    "REDIS_CA_FILE and REDIS_AUTH_TOKEN too.",
)
@click.option(
    "--autoreload/--no-autoreload",
    default=False,
    show_default=True,
    help="Restart chalice local when the code changes.",
)
def up(
    host: str, port: int, dnmonster_url: str | None, redis_url: str | None, autoreload: bool
) -> None:
    """Run the whole stack locally: dnmonster, Redis and `chalice local` (stage `local`)."""
    with tempfile.TemporaryDirectory(prefix="identidock-up-") as workdir:
        options = StackOptions(host, port, dnmonster_url, redis_url, autoreload, Path(workdir))
        code = run_stack(options)
    raise SystemExit(code)

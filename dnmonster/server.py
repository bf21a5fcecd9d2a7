"""Running the app on granian (multi-process, Rust HTTP stack) and announcing when it serves.

granian's main process binds the socket, forks the workers and stops them on SIGTERM/SIGINT. A
daemon thread polls /health and prints the one ready line only once a worker has answered.
"""

import http.client
import os
import signal
import sys
import threading
import time

from granian.constants import Interfaces, Loops
from granian.log import LogLevels
from granian.server import Server

from dnmonster.config import Settings

READY_TIMEOUT = 60.0
# Workers still busy this long after a stop request are killed (docker stop waits 10 s).
STOP_GRACE_SECONDS = 5
_POLL_INTERVAL = 0.05
# granian logs to stdout by default; keep stdout for the ready line and send its logs to stderr.
_LOG_CONFIG = {
    "handlers": {
        handler: {"formatter": fmt, "class": "logging.StreamHandler", "stream": "ext://sys.stderr"}
        for handler, fmt in (("console", "generic"), ("access", "access"))
    }
}


def _default_signals_in_child() -> None:
    """A forked worker inherits the main process's SIGTERM/SIGINT handlers, which only set a flag
    in the main's server object: a stop arriving before the worker installs its own handlers would
    be lost and the worker would serve on. Until then, let such a signal simply end the worker."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _probe_host(host: str) -> str:
    """Where to reach a server bound to `host` from this machine."""
    if host in ("0.0.0.0", ""):  # noqa: S104 - comparing, not binding
        return "127.0.0.1"
    if host == "::":
        return "::1"
    return host


def _answers(host: str, port: int) -> bool:
    conn = http.client.HTTPConnection(host, port, timeout=1.0)
    try:
        conn.request("GET", "/health")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()


def _announce_when_ready(settings: Settings) -> None:
    host = _probe_host(settings.host)
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline:
        if _answers(host, settings.port):
            print(
                f"dnmonster ready on http://{shown}:{settings.port} "
                f"(workers={settings.workers}, max-size={settings.max_size}, "
                f"sprites={settings.sprites})",
                flush=True,
            )
            return
        time.sleep(_POLL_INTERVAL)
    print(f"dnmonster: not answering after {READY_TIMEOUT:.0f}s", file=sys.stderr, flush=True)


class ServeError(RuntimeError):
    """The server could not start (typically: the address is in use or not available)."""


def serve(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT; returns once every worker has stopped."""
    os.environ.update(settings.to_env())  # the workers build their app from these
    server = Server(
        "dnmonster.app:create_app",
        address=settings.host,
        port=settings.port,
        interface=Interfaces.ASGINL,
        workers=settings.workers,
        loop=Loops.asyncio,
        websockets=False,
        factory=True,
        log_level=LogLevels.warning,
        log_dictconfig=_LOG_CONFIG,
        log_access=False,
        workers_kill_timeout=STOP_GRACE_SECONDS,
    )
    os.register_at_fork(after_in_child=_default_signals_in_child)
    server.on_startup(
        lambda: threading.Thread(
            target=_announce_when_ready, args=(settings,), name="ready-probe", daemon=True
        ).start()
    )
    try:
        server.serve()
    except (OSError, RuntimeError) as exc:  # granian reports bind failures as RuntimeError
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ServeError(f"cannot serve on {settings.host}:{settings.port}: {reason}") from exc

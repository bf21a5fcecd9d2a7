"""The supervisor: starts the worker processes, announces when they serve, stops them all.

`serve` holds the address (a bound, never-listening SO_REUSEPORT socket: an address in use is
reported here, clearly), starts `workers` processes of `python -m dnmonster.worker`, each
listening on its own socket in the same group, and prints the one ready line once a worker
answers /health. A worker that dies later is replaced (at most once a second per slot); one that
exits before any worker answered is a failed start. On SIGTERM/SIGINT every worker gets SIGTERM,
then SIGKILL after a deadline, and `serve` returns once all are reaped. Workers also stop by
themselves if this process is killed (see dnmonster/worker.py). Why not granian: docs/dnmonster.md.
"""

import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from types import FrameType

from dnmonster.config import STOP_GRACE_SECONDS, Settings
from dnmonster.listen import bind_shared

READY_TIMEOUT = 60.0
# Workers still running this long after SIGTERM are killed (they cancel requests after 5 s).
KILL_AFTER_SECONDS = STOP_GRACE_SECONDS + 2.0
RESTART_INTERVAL = 1.0
_TICK = 0.1
_POLL_INTERVAL = 0.05


class ServeError(RuntimeError):
    """The server could not start (typically: the address is in use or not available)."""


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


def _announce_when_ready(settings: Settings, ready: threading.Event, stop: threading.Event) -> None:
    host = _probe_host(settings.host)
    shown = f"[{settings.host}]" if ":" in settings.host else settings.host
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and not stop.is_set():
        if _answers(host, settings.port):
            ready.set()
            print(
                f"dnmonster ready on http://{shown}:{settings.port} "
                f"(workers={settings.workers}, max-size={settings.max_size}, "
                f"sprites={settings.sprites})",
                flush=True,
            )
            return
        stop.wait(_POLL_INTERVAL)
    if stop.is_set():
        return
    print(f"dnmonster: not answering after {READY_TIMEOUT:.0f}s", file=sys.stderr, flush=True)


@dataclass
class _Worker:
    process: subprocess.Popen[bytes]
    lifeline: int  # our end of the pipe: closing it (or dying) stops the worker
    started: float


def _start_worker(env: dict[str, str]) -> _Worker:
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "dnmonster.worker", "--parent-fd", str(read_end)],
            env=env,
            stdin=subprocess.DEVNULL,
            pass_fds=(read_end,),
        )
    except BaseException:
        os.close(write_end)
        raise
    finally:
        os.close(read_end)
    return _Worker(process, write_end, time.monotonic())


def _stop_workers(workers: list[_Worker]) -> None:
    """SIGTERM every worker, SIGKILL those still running at the deadline, reap them all."""
    for worker in workers:
        if worker.process.poll() is None:
            worker.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + KILL_AFTER_SECONDS
    for worker in workers:
        try:
            worker.process.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            worker.process.kill()
            worker.process.wait()
        os.close(worker.lifeline)


def _supervise(workers: list[_Worker], env: dict[str, str], stop: threading.Event,
               ready: threading.Event) -> None:  # fmt: skip
    """Replace dead workers until `stop` is set."""
    while not stop.wait(_TICK):
        for slot, worker in enumerate(workers):
            code = worker.process.poll()
            if code is None or stop.is_set():
                continue
            if not ready.is_set():
                raise ServeError(f"a worker exited while starting (exit code {code})")
            if time.monotonic() - worker.started < RESTART_INTERVAL:
                continue  # a worker that keeps dying is replaced at most once a second
            print(f"dnmonster: worker {worker.process.pid} exited ({code}), starting another",
                  file=sys.stderr, flush=True)  # fmt: skip
            os.close(worker.lifeline)
            workers[slot] = _start_worker(env)


def serve(settings: Settings) -> None:
    """Serve until SIGTERM/SIGINT; returns once every worker has stopped."""
    try:
        reservation = bind_shared(settings.host, settings.port)
    except OSError as exc:
        reason = exc.strerror or str(exc) or type(exc).__name__
        raise ServeError(f"cannot serve on {settings.host}:{settings.port}: {reason}") from exc
    stop = threading.Event()
    ready = threading.Event()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    env = {**os.environ, **settings.to_env()}  # the workers read their settings from these
    workers: list[_Worker] = []
    try:
        for _ in range(settings.workers):
            if not stop.is_set():
                workers.append(_start_worker(env))
        threading.Thread(
            target=_announce_when_ready,
            args=(settings, ready, stop),
            name="ready-probe",
            daemon=True,
        ).start()
        _supervise(workers, env, stop, ready)
    finally:
        _stop_workers(workers)
        reservation.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)

"""A server process on a loopback port, started and stopped through mirakuru.

mirakuru starts each process in its own session (so a terminal's Ctrl-C reaches only us, and we
decide the stop order) and waits until the process answers. Each process gets only the
environment its launcher gives it (`environment()`), and SIGTERM if we die (see `process`). To
stop, we SIGTERM the main process and give it time to stop its workers; then mirakuru signals the
whole process group and kills whatever is left that carries its marker environment variable.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import tempfile
from abc import ABC, abstractmethod
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from mirakuru import Executor
from mirakuru.exceptions import ExecutorError

from identidock_fn.paths import PROJECT_ROOT
from identidock_fn.services.process import ContainedHTTPExecutor, base_environment

LOOPBACK = "127.0.0.1"
START_TIMEOUT = 60.0  # seconds; generous, because CI shares two cores with other jobs
STOP_GRACE = 15.0  # seconds the main process gets to stop on its own before the group is signalled
LOG_TAIL_CHARS = 2000


class ServiceError(RuntimeError):
    """A server did not start, or did not stop cleanly."""


def free_port(host: str = LOOPBACK) -> int:
    """Return a TCP port on `host` that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def preferred_port(port: int, host: str = LOOPBACK) -> int:
    """`port` when it is free on `host` (a well-known URL for people), else any free port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return free_port(host)
    return port


def _stop_leader_first(executor: Executor) -> None:
    """SIGTERM the main process alone and let it stop its own workers (systemd's KillMode=mixed).

    Signalling the whole group at once races a supervisor against its workers: a supervisor that
    sees its workers gone before its own SIGTERM replaces them or reports a failure.
    """
    process = executor.process
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        process.send_signal(signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_GRACE)


class ManagedServer(ABC):
    """One server process: `.start()`, `.stop()`, `.running`, `.url`; restart keeps the port.

    Output goes to `<workdir>/<name>.log` unless `inherit_output` is set. Without a `workdir`
    the server gets a temporary one, removed by `.close()` (or leaving a `with` block).
    """

    name: str = "server"
    inherit_output: bool = False

    def __init__(
        self,
        *,
        host: str = LOOPBACK,
        port: int | None = None,
        workdir: Path | None = None,
        start_timeout: float = START_TIMEOUT,
    ) -> None:
        self.host = host
        self.port = port if port is not None else free_port(host)
        self.start_timeout = start_timeout
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tempdir = tempfile.TemporaryDirectory(prefix=f"identidock-{self.name}-")
            workdir = Path(self._tempdir.name)
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.log_file = self.workdir / f"{self.name}.log"
        self._executor: Executor | None = None
        self._log: IO[bytes] | None = None

    @property
    @abstractmethod
    def url(self) -> str:
        """Where a client reaches the server."""

    def environment(self) -> dict[str, str]:
        """The whole environment the server's process gets (nothing else of ours leaks in)."""
        return base_environment()

    @abstractmethod
    def _executor_for(self, output: dict[str, int | IO[bytes] | None]) -> Executor:
        """Build the mirakuru executor; `output` holds the stdin/stdout/stderr keyword arguments."""

    def _http_executor(
        self,
        command: list[str],
        output: dict[str, int | IO[bytes] | None],
        *,
        path: str,
        method: str,
        status: int | str,
        request_timeout: float,
    ) -> Executor:
        """`command`, run from the project root, ready once `method path` answers `status`."""
        return ContainedHTTPExecutor(
            command,
            url=f"{self.url}{path}",
            method=method,
            status=status,
            request_timeout=request_timeout,
            cwd=str(PROJECT_ROOT),
            envvars=self.environment(),
            timeout=self.start_timeout,
            stdin=output["stdin"],
            stdout=output["stdout"],
            stderr=output["stderr"],
        )

    @property
    def running(self) -> bool:
        return self._executor is not None and self._executor.running()

    @property
    def pid(self) -> int | None:
        """The server's main process id while it runs."""
        if self._executor is None or self._executor.process is None:
            return None
        return self._executor.process.pid

    def start(self) -> Self:
        """Start the server and return once it answers; a no-op when it already runs."""
        if self.running:
            return self
        self._discard_executor()
        # None (not mirakuru's default PIPE, which nobody would read) inherits our stdout/stderr
        output: dict[str, int | IO[bytes] | None] = {
            "stdin": subprocess.DEVNULL,
            "stdout": None,
            "stderr": None,
        }
        if not self.inherit_output:
            self._log = self.log_file.open("ab")
            output |= {"stdout": self._log, "stderr": subprocess.STDOUT}
        executor = self._executor_for(output)
        try:
            executor.start()
        except ExecutorError as exc:
            self._abandon(executor)
            message = f"{self.name} did not start on {self.url}: {exc}{self._tail()}"
            raise ServiceError(message) from exc
        except BaseException:  # e.g. Ctrl-C while waiting: nothing may be left running
            self._abandon(executor)
            raise
        self._executor = executor
        return self

    def _abandon(self, executor: Executor) -> None:
        executor.kill()
        self._close_log()

    def stop(self) -> Self:
        """Stop the server and everything it started; a no-op when it is not running."""
        executor, self._executor = self._executor, None
        try:
            if executor is not None:
                _stop_leader_first(executor)
                executor.stop()  # then the whole group, and whatever else carries our marker
        except ExecutorError as exc:
            raise ServiceError(f"{self.name} did not stop cleanly: {exc}{self._tail()}") from exc
        finally:
            if executor is not None:
                executor.kill()  # no-op unless stop() gave up; never leaves a process behind
            self._close_log()
        return self

    def close(self) -> None:
        """Stop the server and remove its temporary directory, if it made one."""
        try:
            self.stop()
        finally:
            if self._tempdir is not None:
                self._tempdir.cleanup()
                self._tempdir = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.url} {state}>"

    def _discard_executor(self) -> None:
        """Forget an executor whose process died on its own (it cannot be stopped any more)."""
        if self._executor is not None:
            self._executor.kill()
            self._executor = None
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def _tail(self) -> str:
        if self.inherit_output or not self.log_file.exists():
            return ""
        text = self.log_file.read_text(errors="replace")[-LOG_TAIL_CHARS:]
        return f"\n--- last lines of {self.log_file} ---\n{text}" if text else ""

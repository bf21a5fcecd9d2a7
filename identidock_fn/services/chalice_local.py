"""`chalice local` serving the app from the project root, ready once it answers HTTP."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import IO

from mirakuru import Executor, HTTPExecutor

from identidock_fn.services.base import LOOPBACK, PROJECT_ROOT, ManagedServer

ANY_HTTP_STATUS = r"^[1-5]\d\d$"


def chalice_executable() -> str:
    """The `chalice` script next to this interpreter (the venv's), else the one on PATH."""
    beside = Path(sys.executable).parent / "chalice"
    if beside.exists():
        return str(beside)
    found = shutil.which("chalice")
    if found is None:
        raise FileNotFoundError("chalice is not installed: pip install -r requirements-dev.txt")
    return found


class HttpAppServer(ManagedServer):
    """A project process serving HTTP on its port, with `env` added to its environment.

    Ready as soon as it answers any HTTP status (HEAD /, which draws no monster): whether a page
    works is the app's business. Subclasses say which command to run.
    """

    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def _executor_for(self, output: dict[str, int | IO[bytes] | None]) -> Executor:
        return HTTPExecutor(
            self.command(),
            url=f"{self.url}/",
            method="HEAD",
            status=ANY_HTTP_STATUS,
            request_timeout=5,
            cwd=str(PROJECT_ROOT),
            envvars={"PYTHONUNBUFFERED": "1", **self.env},
            timeout=self.start_timeout,
            **output,
        )


class ChaliceLocalServer(HttpAppServer):
    """`chalice local --stage STAGE` with `env` added to its environment.

    With `inherit_output` its output (request and app log lines) goes to our own stdout/stderr.
    """

    name = "chalice-local"

    def __init__(
        self,
        *,
        env: dict[str, str] | None = None,
        stage: str = "local",
        autoreload: bool = False,
        inherit_output: bool = False,
        host: str = LOOPBACK,
        port: int | None = None,
        workdir: Path | None = None,
    ) -> None:
        super().__init__(host=host, port=port, workdir=workdir)
        self.env = dict(env or {})
        self.stage = stage
        self.autoreload = autoreload
        self.inherit_output = inherit_output

    def command(self) -> list[str]:
        reload_flag = "--autoreload" if self.autoreload else "--no-autoreload"
        return [
            chalice_executable(),
            "local",
            "--stage", self.stage,
            "--host", self.host,
            "--port", str(self.port),
            reload_flag,
        ]  # fmt: skip

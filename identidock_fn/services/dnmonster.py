"""Our dnmonster service (`python -m dnmonster`), ready once `GET /health` answers 200."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import IO

from mirakuru import Executor, HTTPExecutor

from identidock_fn.services.base import LOOPBACK, PROJECT_ROOT, ManagedServer


class DnmonsterServer(ManagedServer):
    name = "dnmonster"

    def __init__(
        self,
        *,
        sprites: Path | None = None,
        python: str = sys.executable,
        host: str = LOOPBACK,
        port: int | None = None,
        workdir: Path | None = None,
    ) -> None:
        super().__init__(host=host, port=port, workdir=workdir)
        self.sprites = sprites
        self.python = python

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        args = [self.python, "-m", "dnmonster", "--host", self.host, "--port", str(self.port)]
        if self.sprites is not None:
            args += ["--sprites", str(self.sprites)]
        return args

    def _executor_for(self, output: dict[str, int | IO[bytes] | None]) -> Executor:
        return HTTPExecutor(
            self.command(),
            url=f"{self.url}/health",
            method="GET",
            status=200,
            request_timeout=2,
            cwd=str(PROJECT_ROOT),
            envvars={"PYTHONUNBUFFERED": "1"},
            timeout=self.start_timeout,
            **output,
        )


def dnmonster(*, sprites: Path | None = None, workdir: Path | None = None) -> DnmonsterServer:
    """A not yet started dnmonster on a free loopback port."""
    return DnmonsterServer(sprites=sprites, workdir=workdir)

"""Our dnmonster service (`python -m dnmonster`), ready once `GET /health` answers 200.

Its environment: the base one (PATH, HOME, TMPDIR, TZ, locale), PYTHONUNBUFFERED, the tuning
variables in `PASSED_SETTINGS` when we have them set, and the `env` given to the launcher.
Host, port and sprites go on its command line.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from mirakuru import Executor

from identidock_fn.services.base import LOOPBACK, ManagedServer

PASSED_SETTINGS = ("DNMONSTER_WORKERS", "DNMONSTER_MAX_SIZE")


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
        env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(host=host, port=port, workdir=workdir)
        self.sprites = sprites
        self.python = python
        self.env = dict(env or {})

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        args = [self.python, "-m", "dnmonster", "--host", self.host, "--port", str(self.port)]
        if self.sprites is not None:
            args += ["--sprites", str(self.sprites)]
        return args

    def environment(self) -> dict[str, str]:
        settings = {name: os.environ[name] for name in PASSED_SETTINGS if name in os.environ}
        return super().environment() | {"PYTHONUNBUFFERED": "1"} | settings | self.env

    def _executor_for(self, output: dict[str, int | IO[bytes] | None]) -> Executor:
        return self._http_executor(
            self.command(), output, path="/health", method="GET", status=200, request_timeout=2
        )

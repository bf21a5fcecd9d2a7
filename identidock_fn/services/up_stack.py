"""`python -m identidock_fn up` (the `make run` stack) as one managed server.

Used by the screenshot command and the browser tests, so the pictures and the tested page come
from the very stack people run.
"""

from __future__ import annotations

import sys
from typing import Any

from identidock_fn.services.chalice_local import HttpAppServer


class UpStack(HttpAppServer):
    """`python -m identidock_fn up` on a free loopback port; environment: the base one + `env`.

    Ready once `chalice local` answers, which `up` allows only after dnmonster and Redis do.
    Stopping it SIGTERMs `up`, which stops its servers.
    """

    name = "identidock-up"

    def __init__(
        self, *, up_args: tuple[str, ...] = (), env: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.up_args = up_args
        self.env = dict(env or {})

    def command(self) -> list[str]:
        return [
            sys.executable, "-m", "identidock_fn", "up",
            "--host", self.host, "--port", str(self.port), *self.up_args,
        ]  # fmt: skip

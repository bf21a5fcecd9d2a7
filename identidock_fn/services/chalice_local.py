"""The app served like `chalice local` (stage `local`), ready once it answers HTTP.

`ChaliceLocalServer` runs `python -m identidock_fn.services.local_server`: chalice's own local
gateway, config and stage handling behind our HTTP server (see `local_http`), not the `chalice
local` command itself. Its environment is the base one plus `env`; `app_environment()` picks
from ours what the function may need (its settings and AWS access), for the caller to pass.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from mirakuru import Executor

from chalicelib.config import ENV_VARS
from identidock_fn.paths import PROJECT_ROOT
from identidock_fn.services.base import LOOPBACK, ManagedServer

ANY_HTTP_STATUS = r"^[1-5]\d\d$"
LOCAL_SERVER_MODULE = "identidock_fn.services.local_server"  # not imported here: chalice.cli is big
# what boto3 reads to reach AWS (SSM and Secrets Manager, when a stage names a parameter/secret)
AWS_VARIABLES = (
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_PROFILE",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "AWS_CA_BUNDLE",
    "AWS_ENDPOINT_URL",
)
AWS_ENDPOINT_PREFIX = "AWS_ENDPOINT_URL_"


def app_environment(environ: Mapping[str, str]) -> dict[str, str]:
    """The function's own settings (`chalicelib.config.ENV_VARS`) and AWS access from `environ`."""
    return {
        name: value
        for name, value in environ.items()
        if name in ENV_VARS or name in AWS_VARIABLES or name.startswith(AWS_ENDPOINT_PREFIX)
    }


class HttpAppServer(ManagedServer):
    """A project process serving HTTP on its port; its environment is the base one plus `env`.

    Ready as soon as it answers any HTTP status (HEAD /, which draws no monster): whether a page
    works is the app's business. Subclasses say which command to run.
    """

    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def command(self) -> list[str]:
        raise NotImplementedError

    def environment(self) -> dict[str, str]:
        return super().environment() | {"PYTHONUNBUFFERED": "1"} | self.env

    def _executor_for(self, output: dict[str, int | IO[bytes] | None]) -> Executor:
        return self._http_executor(
            self.command(),
            output,
            path="/",
            method="HEAD",
            status=ANY_HTTP_STATUS,
            request_timeout=5,
        )


class ChaliceLocalServer(HttpAppServer):
    """The Chalice app in `project_dir` (ours by default) on stage `stage`, `env` added.

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
        project_dir: Path = PROJECT_ROOT,
    ) -> None:
        super().__init__(host=host, port=port, workdir=workdir)
        self.env = dict(env or {})
        self.project_dir = project_dir
        self.stage = stage
        self.autoreload = autoreload
        self.inherit_output = inherit_output

    def command(self) -> list[str]:
        reload_flag = "--autoreload" if self.autoreload else "--no-autoreload"
        return [
            sys.executable, "-m", LOCAL_SERVER_MODULE,
            "--project-dir", str(self.project_dir),
            "--stage", self.stage,
            "--host", self.host,
            "--port", str(self.port),
            reload_flag,
        ]  # fmt: skip

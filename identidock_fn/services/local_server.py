"""`python -m identidock_fn.services.local_server`: `chalice local`, served by `local_http`.

The same steps as `chalice local` (chalice's CLIFactory loads `.chalice/config.json` and the
stage, puts the stage's environment variables into ours, imports `app.py`, checks the routes;
`AWS_CHALICE_CLI_MODE=true`; Python logging to stdout; chalice's own file watcher for
`--autoreload`), with our server and handler classes around chalice's `LocalGateway`.
"""

from __future__ import annotations

import functools
import logging
import os
import subprocess
import sys
from pathlib import Path

import click
from chalice.cli import reloader
from chalice.cli.factory import CLIFactory
from chalice.cli.filewatch import RESTART_REQUEST_RC
from chalice.deploy.validate import validate_routes
from chalice.local import CustomLocalChalice, LocalChalice, LocalDevServer

from identidock_fn.paths import PROJECT_ROOT
from identidock_fn.services.base import LOOPBACK
from identidock_fn.services.chalice_local import LOCAL_SERVER_MODULE
from identidock_fn.services.local_http import IdentidockHTTPServer, IdentidockRequestHandler
from identidock_fn.services.process import child_setup

MODULE = LOCAL_SERVER_MODULE
WORKER_FLAG = "CHALICE_WORKER"  # what chalice's reloader calls its serving child


def create_server(factory: CLIFactory, host: str, port: int, stage: str) -> LocalDevServer:
    """chalice.cli.create_local_server and chalice.local.create_local_server, our classes."""
    config = factory.create_config_obj(chalice_stage_name=stage)
    app_obj = config.chalice_app
    validate_routes(app_obj.routes)
    CustomLocalChalice.__bases__ = (LocalChalice, app_obj.__class__)  # thread-local requests
    app_obj.__class__ = CustomLocalChalice
    return LocalDevServer(
        app_obj,
        config,
        host,
        port,
        handler_cls=IdentidockRequestHandler,
        server_cls=IdentidockHTTPServer,
    )


def _serve_with_reloader() -> int:
    """chalice's reloader parent, run as `python -m` (it would re-run `sys.argv` as a program).

    The child stays in our process group (a stop signal for the group reaches it) and gets
    SIGTERM if we die.
    """
    command = [sys.executable, "-m", MODULE, *sys.argv[1:]]
    env = {**os.environ, WORKER_FLAG: "true"}
    while True:
        child = subprocess.Popen(  # from where `-m` finds this module, whatever the project
            command, env=env, cwd=PROJECT_ROOT, preexec_fn=child_setup(new_session=False)
        )
        try:
            code = child.wait()
        except KeyboardInterrupt:
            child.terminate()
            child.wait()
            return 0
        if code != RESTART_REQUEST_RC:
            return code


@click.command()
@click.option("--host", default=LOOPBACK, show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--stage", default="local", show_default=True, help="The Chalice stage.")
@click.option(
    "--project-dir",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    default=PROJECT_ROOT,
    show_default=True,
)
@click.option("--autoreload/--no-autoreload", default=False, show_default=True)
def main(host: str, port: int, stage: str, project_dir: Path, autoreload: bool) -> None:
    """Serve the Chalice app in PROJECT_DIR like `chalice local`, on a sturdier HTTP server."""
    project_dir = project_dir.resolve()
    os.environ["AWS_CHALICE_CLI_MODE"] = "true"
    os.chdir(project_dir)
    logging.basicConfig(stream=sys.stdout, level=logging.INFO, format="%(message)s")
    factory = CLIFactory(str(project_dir), environ=os.environ)
    server_factory = functools.partial(create_server, factory, host, port, stage)
    if not autoreload:
        server_factory().serve_forever()
    elif os.environ.get(WORKER_FLAG):
        sys.exit(reloader.start_worker_process(server_factory, str(project_dir)))
    else:
        sys.exit(_serve_with_reloader())


if __name__ == "__main__":
    main()

"""One worker process: `python -m dnmonster.worker --parent-fd N`, started by the supervisor.

It listens on its own SO_REUSEPORT socket (dnmonster/listen.py) and serves the app with uvicorn
(httptools parser, uvloop event loop), configured by the DNMONSTER_* variables the supervisor
sets. It stops on SIGTERM/SIGINT (uvicorn's graceful stop) and also when the supervisor goes
away, even by SIGKILL: the supervisor holds the write end of a pipe whose read end is `N`.
"""

import argparse
import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence

import uvicorn

from dnmonster.config import STOP_GRACE_SECONDS, Settings, settings_from
from dnmonster.listen import BACKLOG, bind_shared
from dnmonster.protocol import HttpProtocol

# An idle keep-alive connection is closed after this long.
KEEP_ALIVE_SECONDS = 5


def uvicorn_config(settings: Settings) -> uvicorn.Config:
    """One worker's server: only what the three routes need, nothing per request we do not use."""
    return uvicorn.Config(
        "dnmonster.app:create_app",
        factory=True,
        host=settings.host,
        port=settings.port,
        loop="uvloop",
        http=HttpProtocol,  # httptools, one write per response, a bounded head
        ws="none",
        lifespan="off",
        interface="asgi3",
        proxy_headers=False,  # no client addresses are used: skip the middleware
        server_header=False,
        log_config=None,  # stderr, set up below: stdout belongs to the supervisor's ready line
        log_level="warning",
        access_log=False,
        backlog=BACKLOG,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=STOP_GRACE_SECONDS,
    )


def _stop_with_parent(fd: int) -> None:
    """Wait for the supervisor's end of the pipe to close, then stop as on SIGTERM."""
    try:
        while os.read(fd, 64):  # the supervisor never writes; end of file means it is gone
            pass
    except OSError:
        pass
    os.kill(os.getpid(), signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m dnmonster.worker")
    parser.add_argument("--parent-fd", type=int, required=True, help="read end of the pipe")
    args = parser.parse_args(argv)
    settings = settings_from([])
    try:
        sock = bind_shared(settings.host, settings.port)
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        print(f"dnmonster worker: cannot serve on {settings.host}:{settings.port}: {reason}",
              file=sys.stderr)  # fmt: skip
        return 1
    threading.Thread(
        target=_stop_with_parent, args=(args.parent_fd,), name="parent-watch", daemon=True
    ).start()
    logging.basicConfig(stream=sys.stderr, format="dnmonster worker: %(message)s")
    server = uvicorn.Server(uvicorn_config(settings))
    # After a graceful stop uvicorn raises the signal again with its default action, so a
    # stopped worker ends by SIGTERM (or KeyboardInterrupt, for SIGINT, caught here).
    with contextlib.suppress(KeyboardInterrupt):
        server.run(sockets=[sock])
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())

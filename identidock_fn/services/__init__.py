"""Real servers on free loopback ports, run as process groups that stop with no orphans.

Each gets only the environment it needs and stops when the process that started it dies
(`process`). Used by the test fixtures (`tests/conftest.py`), `python -m identidock_fn up`, the
LocalStack deploy's keeper (`identidock_fn.keeper`) and the benchmarks. `local_server`/`local_http`
are the app server `up` runs: chalice's local gateway behind an HTTP server that holds up
(docs/running.md); `UpStack` is `up` itself, for the screenshot command and the browser tests.
"""

from identidock_fn.services.base import ManagedServer, ServiceError, free_port, preferred_port
from identidock_fn.services.chalice_local import ChaliceLocalServer
from identidock_fn.services.dnmonster import DnmonsterServer
from identidock_fn.services.redis_server import RedisServer
from identidock_fn.services.up_stack import UpStack

__all__ = [
    "ChaliceLocalServer",
    "DnmonsterServer",
    "ManagedServer",
    "RedisServer",
    "ServiceError",
    "UpStack",
    "free_port",
    "preferred_port",
]

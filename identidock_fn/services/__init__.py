"""Real servers on free loopback ports, run as process groups that stop with no orphans.

Each gets only the environment it needs and stops when the process that started it dies
(`process`). Used by the test fixtures (`tests/conftest.py`), `python -m identidock_fn up`, the
LocalStack deploy keeper and the benchmarks. `local_server`/`local_http` are the app server `up`
runs: chalice's local gateway behind an HTTP server that holds up (docs/running.md).
"""

from identidock_fn.services.base import PROJECT_ROOT, ManagedServer, ServiceError, free_port
from identidock_fn.services.chalice_local import ChaliceLocalServer
from identidock_fn.services.dnmonster import DnmonsterServer, dnmonster
from identidock_fn.services.redis_server import RedisServer, redis_server

__all__ = [
    "PROJECT_ROOT",
    "ChaliceLocalServer",
    "DnmonsterServer",
    "ManagedServer",
    "RedisServer",
    "ServiceError",
    "dnmonster",
    "free_port",
    "redis_server",
]

"""Real servers on free loopback ports, run as process groups that stop with no orphans.

Used by the test fixtures (`tests/conftest.py`), `python -m identidock_fn up` and the benchmarks.
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

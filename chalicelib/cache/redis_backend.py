"""Redis (ElastiCache) behind a circuit breaker, with single-flight in two Lua scripts.

The client has short timeouts and no retries (redis-py 8 retries 10 times by default, so a
refused connection would stall for seconds); TLS verifies the server; options come only from
our settings, never from the URL's query string. Commands go over one pinned connection (redis-py's
`single_connection_client`, built on the pool): a Lambda instance serves one request at a time,
and checking a pooled connection out and back in cost about 20 µs of a 110 µs GET
(docs/benchmarks.md). redis-py serializes the pinned client's commands and drops its connection
when a reply is cut short, so no reply is read as another command's.

A connection failure or timeout opens the breaker (Redis is then skipped: fail-open); an error
*answer* such as OOM from a full Redis with `noeviction` does not, so reads keep coming from
Redis while writes are refused.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import unquote, urlsplit

import redis
from redis.backoff import NoBackoff
from redis.connection import ConnectionInterface
from redis.driver_info import DriverInfo
from redis.retry import Retry

from chalicelib.breaker import CircuitBreaker
from chalicelib.cache.interface import CacheUnavailable, Claim
from chalicelib.cache.keys import Keys
from chalicelib.config import RedisSettings
from chalicelib.logs import log_event

T = TypeVar("T")

# KEYS: value, failure marker, lock. ARGV: token, lock ms. One round trip for "get or lock".
# The lock is taken with pcall: a full Redis refuses it (OOM) and the caller loads unlocked.
_CLAIM = """
local value = redis.call('GET', KEYS[1])
if value then return {1, value} end
local failed = redis.call('GET', KEYS[2])
if failed then return {2, failed} end
local taken = redis.pcall('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2])
if type(taken) == 'table' and taken.err then return {4, taken.err} end
if taken then return {3, ''} end
return {0, ''}
"""
# KEYS: value, lock. ARGV: token, value, ttl seconds. Store, then release the lock if ours.
_STORE = """
local stored = redis.pcall('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
if type(stored) == 'table' and stored.err then return stored.err end
return 'OK'
"""
# KEYS: failure marker, lock. ARGV: token, status, marker ms.
_FAIL = """
redis.pcall('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
if redis.call('GET', KEYS[2]) == ARGV[1] then redis.call('DEL', KEYS[2]) end
return 'OK'
"""


class RedisCache:
    """`attempts` counts the commands actually sent to Redis (tests read it)."""

    backend = "redis"

    def __init__(self, client: redis.Redis, breaker: CircuitBreaker) -> None:
        self.client = client
        self.breaker = breaker
        self.attempts = 0
        self._pinned: redis.Redis | None = None
        self._pinning = threading.Lock()
        self._claim = client.register_script(_CLAIM)
        self._store = client.register_script(_STORE)
        self._fail = client.register_script(_FAIL)

    def _run(self, command: Callable[[redis.Redis], T]) -> T:
        if not self.breaker.allow():
            raise CacheUnavailable("circuit open", skipped=True)
        self.attempts += 1  # a statistic: a lost update under threads does no harm
        try:
            pinned = self._pinned or self._pin()
            with pinned.single_connection_lock:
                _drop_if_stale(pinned.connection)
                result = command(pinned)
        except redis.ResponseError as error:  # Redis is up and said no: not an outage
            self.breaker.record_success()
            reason = f"{type(error).__name__}: {error}"
            log_event("cache_refused", level=logging.WARNING, error=reason)
            raise CacheUnavailable(reason, refused=True) from error
        except redis.RedisError as error:
            self.breaker.record_failure()
            reason = f"{type(error).__name__}: {error}"
            log_event("cache_error", level=logging.WARNING, error=reason, breaker="open")
            raise CacheUnavailable(reason) from error
        self.breaker.record_success()
        return result

    def _pin(self) -> redis.Redis:
        """The client pinned to one of the pool's connections. It connects as it is built, so
        it is built inside `_run`, under the breaker."""
        with self._pinning:
            if self._pinned is None:
                pool = self.client.connection_pool
                self._pinned = redis.Redis(connection_pool=pool, single_connection_client=True)
            return self._pinned

    def close(self) -> None:
        """Hand the pinned connection back and close every connection of the pool."""
        with self._pinning:
            if self._pinned is not None:
                self._pinned.close()
                self._pinned = None
        self.client.close()

    def get(self, key: str) -> bytes | None:
        value = self._run(lambda client: client.get(key))
        return value if isinstance(value, bytes) else None

    def claim(self, keys: Keys, token: str, lock_ms: int) -> Claim:
        answer = self._run(
            lambda client: self._claim(
                keys=[keys.value, keys.failed, keys.lock],
                args=[token, lock_ms],
                client=client,
            )
        )
        kind, payload = _pair(answer)
        if kind == 1 and isinstance(payload, bytes):
            return Claim(value=payload)
        if kind == 2:
            return Claim(failed_status=_status(payload))
        if kind == 4:
            raise CacheUnavailable(f"lock refused: {payload!r}", refused=True)
        return Claim(leader=kind == 3)

    def store(self, keys: Keys, token: str, value: bytes, ttl_seconds: int) -> None:
        answer = self._run(
            lambda client: self._store(
                keys=[keys.value, keys.lock],
                args=[token, value, ttl_seconds],
                client=client,
            )
        )
        if answer != b"OK":
            log_event("cache_refused", level=logging.WARNING, error=f"store: {answer!r:.200}")
            raise CacheUnavailable(f"store refused: {answer!r:.200}", refused=True)

    def fail(self, keys: Keys, token: str, status: int, marker_ms: int) -> None:
        self._run(
            lambda client: self._fail(
                keys=[keys.failed, keys.lock],
                args=[token, status, marker_ms],
                client=client,
            )
        )


def _drop_if_stale(connection: ConnectionInterface | None) -> None:
    """What the pool checks at every checkout: a connection with something to read (the server
    closed it while we were idle, in a failover or at its idle timeout) is dropped, and the
    command reconnects instead of failing and opening the breaker."""
    if connection is None or not connection.is_connected:
        return
    try:
        stale = connection.can_read()
    except (redis.ConnectionError, redis.TimeoutError, OSError):
        stale = True
    if stale:
        connection.disconnect()  # type: ignore[no-untyped-call]


def _pair(answer: Any) -> tuple[int, Any]:
    """The script's {kind, payload}, checked: Redis answers are untrusted too."""
    if isinstance(answer, list) and len(answer) == 2 and isinstance(answer[0], int):
        return answer[0], answer[1]
    raise CacheUnavailable(f"unexpected script answer {answer!r:.80}", refused=True)


def _status(payload: Any) -> int:
    status = int(payload) if isinstance(payload, bytes) and payload.isdigit() else 502
    return status if status in (502, 503, 504) else 502


def make_redis_client(settings: RedisSettings, password: str | None) -> redis.Redis:
    """A client built from the URL's host, port, db and user only; every option is ours."""
    parts = urlsplit(settings.url)
    db = parts.path.strip("/") or "0"
    if not db.isdigit():
        raise ValueError(f"REDIS_URL database {db!r} is not a number")
    options: dict[str, Any] = {
        "host": parts.hostname,
        "port": parts.port or 6379,
        "db": int(db),
        "username": unquote(parts.username) if parts.username else None,
        "password": password if password is not None else _url_password(parts.password),
        "socket_connect_timeout": settings.connect_timeout,
        "socket_timeout": settings.timeout,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": settings.health_check_interval,
        # CLIENT SETINFO still names the library; the version is given because looking it up
        # (importlib.metadata scans site-packages) cost 3-4 ms of every cold start.
        "driver_info": DriverInfo(lib_version=redis.__version__),
    }
    if parts.scheme == "rediss":
        options |= {"ssl": True, "ssl_cert_reqs": "required", "ssl_check_hostname": True}
        if settings.ca_file:
            options["ssl_ca_certs"] = settings.ca_file
    return redis.Redis(**options)


def _url_password(password: str | None) -> str | None:
    return unquote(password) if password else None

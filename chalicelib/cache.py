"""The PNG cache: one small interface, a Redis (ElastiCache) implementation and an in-process LRU.

Keys are namespaced and versioned (`identidock:v<ART_VERSION>:monster:<size>:<sha256(name)>`)
and always carry a TTL, so a Redis with `allkeys-lru` stays bounded and a new art version never
reads old pictures. Redis is guarded by a circuit breaker: after one failure, requests skip
Redis (fail-open) until a trial call succeeds after REDIS_BREAKER_RESET_SECONDS.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from typing import Protocol
from urllib.parse import urlsplit

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from chalicelib.aws_secrets import SecretUnavailable, resolve_redis_token
from chalicelib.breaker import CircuitBreaker
from chalicelib.config import Settings
from chalicelib.logs import log_event


class CacheUnavailable(Exception):
    """The cache could not answer; `skipped` is True when the breaker kept us from trying."""

    def __init__(self, reason: str, skipped: bool = False) -> None:
        super().__init__(reason)
        self.skipped = skipped


class ImageCache(Protocol):
    backend: str

    def get(self, key: str) -> bytes | None: ...

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None: ...

    def try_lock(self, key: str, token: str, ttl_ms: int) -> bool: ...

    def unlock(self, key: str, token: str) -> None: ...


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()


def monster_key(art_version: str, size: int, name: str) -> str:
    return f"identidock:v{art_version}:monster:{size}:{_digest(name)}"


def lock_key(art_version: str, size: int, name: str) -> str:
    return f"identidock:v{art_version}:lock:{size}:{_digest(name)}"


class InMemoryLRUCache:
    """The embedded default when REDIS_URL is unset: per process, bounded by item count."""

    backend = "memory"

    def __init__(self, max_items: int, clock=time.monotonic) -> None:
        self.max_items = max_items
        self._clock = clock
        self._items: OrderedDict[str, tuple[bytes, float]] = OrderedDict()
        self._locks: dict[str, tuple[str, float]] = {}
        self._mutex = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._mutex:
            item = self._items.get(key)
            if item is None:
                return None
            if item[1] <= self._clock():
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return item[0]

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        with self._mutex:
            self._items[key] = (value, self._clock() + ttl_seconds)
            self._items.move_to_end(key)
            while len(self._items) > self.max_items:
                self._items.popitem(last=False)

    def try_lock(self, key: str, token: str, ttl_ms: int) -> bool:
        with self._mutex:
            held = self._locks.get(key)
            if held is not None and held[1] > self._clock():
                return False
            self._locks[key] = (token, self._clock() + ttl_ms / 1000)
            return True

    def unlock(self, key: str, token: str) -> None:
        with self._mutex:
            if self._locks.get(key, ("", 0.0))[0] == token:
                del self._locks[key]

    def __len__(self) -> int:
        return len(self._items)


# Delete the lock only if it is still ours (it may have expired and been taken by another).
_RELEASE_LUA = """
if redis.call("get", KEYS[1]) == ARGV[1] then
    return redis.call("del", KEYS[1])
end
return 0
"""


class RedisCache:
    """Redis through a circuit breaker; `attempts` counts commands actually sent to Redis."""

    backend = "redis"

    def __init__(self, client: redis.Redis, breaker: CircuitBreaker) -> None:
        self.client = client
        self.breaker = breaker
        self.attempts = 0
        self._count_lock = threading.Lock()
        self._release = client.register_script(_RELEASE_LUA)

    def _run(self, command):
        if not self.breaker.allow():
            raise CacheUnavailable("circuit open", skipped=True)
        with self._count_lock:
            self.attempts += 1
        try:
            result = command()
        except redis.RedisError as error:
            self.breaker.record_failure()
            reason = f"{type(error).__name__}: {error}"
            log_event("cache_error", level=logging.WARNING, error=reason, breaker="open")
            raise CacheUnavailable(reason) from error
        self.breaker.record_success()
        return result

    def get(self, key: str) -> bytes | None:
        return self._run(lambda: self.client.get(key))

    def set(self, key: str, value: bytes, ttl_seconds: int) -> None:
        self._run(lambda: self.client.set(key, value, ex=ttl_seconds))

    def try_lock(self, key: str, token: str, ttl_ms: int) -> bool:
        return bool(self._run(lambda: self.client.set(key, token, nx=True, px=ttl_ms)))

    def unlock(self, key: str, token: str) -> None:
        self._run(lambda: self._release(keys=[key], args=[token]))


def make_redis_client(settings: Settings, password: str | None) -> redis.Redis:
    """A redis-py client with short timeouts and no retries (redis-py 8 retries 10 times by
    default, so a refused connection would stall for seconds); TLS verifies the server."""
    url = settings.redis_url or ""
    options: dict = {
        "socket_connect_timeout": settings.redis_connect_timeout,
        "socket_timeout": settings.redis_timeout,
        "retry": Retry(NoBackoff(), 0),
        "health_check_interval": settings.redis_health_check_interval,
    }
    if password is not None:
        options["password"] = password
    if urlsplit(url).scheme == "rediss":
        options["ssl_cert_reqs"] = "required"
        if settings.redis_ca_file:
            options["ssl_ca_certs"] = settings.redis_ca_file
    return redis.Redis.from_url(url, **options)


def build_cache(settings: Settings) -> ImageCache:
    """A new cache for these settings, logging which backend it is."""
    if not settings.redis_url:
        log_event(
            "cache_backend",
            backend="memory",
            max_items=settings.memory_cache_items,
            reason="REDIS_URL is not set: using the embedded in-process LRU cache",
        )
        return InMemoryLRUCache(settings.memory_cache_items)
    client = make_redis_client(settings, resolve_redis_token(settings))
    parts = urlsplit(settings.redis_url)
    log_event(
        "cache_backend",
        backend="redis",
        host=parts.hostname,
        port=parts.port,
        tls=parts.scheme == "rediss",
        auth=client.connection_pool.connection_kwargs.get("password") is not None,
    )
    return RedisCache(client, CircuitBreaker(settings.redis_breaker_reset_seconds))


_current: tuple[tuple, ImageCache] | None = None
_build_lock = threading.Lock()


def _settings_key(settings: Settings) -> tuple:
    return (
        settings.redis_url,
        settings.redis_auth_token,
        settings.redis_auth_secret_id,
        settings.redis_ca_file,
        settings.redis_connect_timeout,
        settings.redis_timeout,
        settings.redis_health_check_interval,
        settings.redis_breaker_reset_seconds,
        settings.memory_cache_items,
    )


def forget_cache() -> None:
    """Drop the module-level cache so the next request builds a new one (a cold start)."""
    global _current
    with _build_lock:
        old, _current = _current, None
    if old is not None and isinstance(old[1], RedisCache):
        old[1].client.close()


def get_cache(settings: Settings) -> ImageCache:
    """The module-level cache, reused across invocations; rebuilt only when its settings change.

    Raises CacheUnavailable when the Redis AUTH secret cannot be fetched (not remembered, so the
    next request tries again)."""
    global _current
    key = _settings_key(settings)
    with _build_lock:
        if _current is None or _current[0] != key:
            if _current is not None and isinstance(_current[1], RedisCache):
                _current[1].client.close()
            _current = None
            try:
                _current = (key, build_cache(settings))
            except (SecretUnavailable, ValueError) as error:  # ValueError: a malformed URL
                raise CacheUnavailable(str(error)) from error
        return _current[1]

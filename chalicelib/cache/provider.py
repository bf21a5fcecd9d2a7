"""The process-wide cache for the current settings (built on first use, then reused)."""

from __future__ import annotations

from urllib.parse import urlsplit

from chalicelib.aws_secrets import SecretUnavailable, resolve_redis_token
from chalicelib.breaker import CircuitBreaker
from chalicelib.cache.interface import CacheUnavailable, ImageCache
from chalicelib.cache.memory import InMemoryLRUCache
from chalicelib.cache.redis_backend import RedisCache, make_redis_client
from chalicelib.config import CacheSettings
from chalicelib.logs import log_event
from chalicelib.observe import note_breaker_open
from chalicelib.registry import ProcessWide


def build_cache(settings: CacheSettings) -> ImageCache:
    """A new cache for these settings, logging which backend it is."""
    redis_settings = settings.redis
    if redis_settings is None:
        log_event(
            "cache_backend",
            backend="memory",
            max_items=settings.memory_items,
            reason="REDIS_URL is not set: using the embedded in-process LRU cache",
        )
        return InMemoryLRUCache(settings.memory_items)
    client = make_redis_client(redis_settings, resolve_redis_token(redis_settings))
    parts = urlsplit(redis_settings.url)
    log_event(
        "cache_backend",
        backend="redis",
        host=parts.hostname,
        port=parts.port,
        tls=parts.scheme == "rediss",
        auth=client.connection_pool.connection_kwargs.get("password") is not None,
    )
    breaker = CircuitBreaker(
        "redis", redis_settings.breaker_reset_seconds, on_open=note_breaker_open
    )
    return RedisCache(client, breaker)


def _close(cache: ImageCache) -> None:
    if isinstance(cache, RedisCache):
        cache.close()


_caches: ProcessWide[CacheSettings, ImageCache] = ProcessWide(build_cache, _close)


def get_cache(settings: CacheSettings) -> ImageCache:
    """The process-wide cache; CacheUnavailable when the Redis AUTH secret cannot be fetched or
    the URL is unusable (not remembered: the next request tries again)."""
    try:
        return _caches.get(settings)
    except (SecretUnavailable, ValueError) as error:
        raise CacheUnavailable(str(error)) from error


def forget_cache() -> None:
    """Drop the process-wide cache so the next request builds a new one (a cold start)."""
    _caches.forget()

"""The PNG cache: keys, one interface, a Redis (ElastiCache) backend and an in-process LRU.

`get_cache(settings)` is the process-wide cache for the current settings: Redis when REDIS_URL
is set, else the in-process LRU. Both speak `ImageCache`, which also carries the single-flight
primitives (claim, store, fail), so a miss costs two round trips to Redis beyond the first GET.
"""

from chalicelib.cache.interface import CacheResult, CacheUnavailable, Claim, ImageCache
from chalicelib.cache.keys import Keys, monster_key
from chalicelib.cache.memory import InMemoryLRUCache
from chalicelib.cache.provider import forget_cache, get_cache
from chalicelib.cache.redis_backend import RedisCache, make_redis_client

__all__ = [
    "CacheResult",
    "CacheUnavailable",
    "Claim",
    "ImageCache",
    "InMemoryLRUCache",
    "Keys",
    "RedisCache",
    "forget_cache",
    "get_cache",
    "make_redis_client",
    "monster_key",
]

"""Settings read from the environment, lazily.

Chalice applies a stage's environment variables per request in its test client (and at start-up
in `chalice local`), so settings are never frozen at import: `get_settings()` rebuilds them
whenever one of the variables it reads has changed, and otherwise returns the cached object.
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from urllib.parse import urlsplit

DEFAULT_DNMONSTER_URL = "http://127.0.0.1:8080"
DEFAULT_SIZE = 80
MIN_SIZE = 12
MAX_SIZE = 1024
MAX_PAGE_NAME_CHARS = 200
MAX_MONSTER_NAME_CHARS = 256

#: Every variable the function reads, in one place (documented in README "Configuration").
ENV_VARS = (
    "IDENTIDOCK_STAGE",
    "IDENTIDOCK_REQUIRE_SALT",
    "IDENTIDOCK_SALT",
    "IDENTIDOCK_SALT_PARAM",
    "DNMONSTER_URL",
    "DNMONSTER_CONNECT_TIMEOUT",
    "DNMONSTER_READ_TIMEOUT",
    "IDENTICON_SIZE",
    "ART_VERSION",
    "REDIS_URL",
    "REDIS_AUTH_TOKEN",
    "REDIS_AUTH_SECRET_ID",
    "REDIS_CA_FILE",
    "REDIS_CONNECT_TIMEOUT",
    "REDIS_TIMEOUT",
    "REDIS_HEALTH_CHECK_INTERVAL",
    "REDIS_BREAKER_RESET_SECONDS",
    "CACHE_TTL_SECONDS",
    "MEMORY_CACHE_ITEMS",
    "SINGLE_FLIGHT_LOCK_MS",
    "SINGLE_FLIGHT_WAIT_MS",
)


class ConfigError(ValueError):
    """A variable is set to a value the function cannot use."""


@dataclass(frozen=True)
class Settings:
    stage: str
    require_salt: bool
    salt: str | None
    salt_param: str | None
    dnmonster_url: str
    dnmonster_connect_timeout: float
    dnmonster_read_timeout: float
    size: int
    art_version: str
    redis_url: str | None
    redis_auth_token: str | None
    redis_auth_secret_id: str | None
    redis_ca_file: str | None
    redis_connect_timeout: float
    redis_timeout: float
    redis_health_check_interval: int
    redis_breaker_reset_seconds: float
    cache_ttl_seconds: int
    memory_cache_items: int
    single_flight_lock_ms: int
    single_flight_wait_ms: int


def _text(env: dict[str, str | None], name: str) -> str | None:
    value = env.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _number(
    env: dict[str, str | None], name: str, default: float, low: float, high: float, kind: type
) -> float:
    raw = _text(env, name)
    if raw is None:
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a {kind.__name__}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} is outside {low}..{high}")
    return value


def _flag(env: dict[str, str | None], name: str, default: bool) -> bool:
    raw = _text(env, name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (true/false)")


def _http_url(env: dict[str, str | None], name: str, default: str) -> str:
    url = _text(env, name) or default
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(f"{name}={url!r} is not an http(s) URL")
    return url.rstrip("/")


def _redis_url(env: dict[str, str | None]) -> str | None:
    url = _text(env, "REDIS_URL")
    if url is not None and urlsplit(url).scheme not in ("redis", "rediss"):
        raise ConfigError("REDIS_URL must start with redis:// or rediss://")
    return url


def build_settings(env: dict[str, str | None]) -> Settings:
    """Settings from a snapshot of the environment; raises ConfigError on a bad value."""
    stage = _text(env, "IDENTIDOCK_STAGE") or "local"
    return Settings(
        stage=stage,
        require_salt=_flag(env, "IDENTIDOCK_REQUIRE_SALT", stage == "prod"),
        salt=env.get("IDENTIDOCK_SALT") or None,
        salt_param=_text(env, "IDENTIDOCK_SALT_PARAM"),
        dnmonster_url=_http_url(env, "DNMONSTER_URL", DEFAULT_DNMONSTER_URL),
        dnmonster_connect_timeout=_number(env, "DNMONSTER_CONNECT_TIMEOUT", 1.0, 0.01, 30, float),
        dnmonster_read_timeout=_number(env, "DNMONSTER_READ_TIMEOUT", 3.0, 0.01, 30, float),
        size=int(_number(env, "IDENTICON_SIZE", DEFAULT_SIZE, MIN_SIZE, MAX_SIZE, int)),
        art_version=_text(env, "ART_VERSION") or "1",
        redis_url=_redis_url(env),
        redis_auth_token=env.get("REDIS_AUTH_TOKEN") or None,
        redis_auth_secret_id=_text(env, "REDIS_AUTH_SECRET_ID"),
        redis_ca_file=_text(env, "REDIS_CA_FILE"),
        redis_connect_timeout=_number(env, "REDIS_CONNECT_TIMEOUT", 0.25, 0.01, 10, float),
        redis_timeout=_number(env, "REDIS_TIMEOUT", 0.25, 0.01, 10, float),
        redis_health_check_interval=int(
            _number(env, "REDIS_HEALTH_CHECK_INTERVAL", 30, 0, 3600, int)
        ),
        redis_breaker_reset_seconds=_number(
            env, "REDIS_BREAKER_RESET_SECONDS", 10, 0.1, 3600, float
        ),
        cache_ttl_seconds=int(_number(env, "CACHE_TTL_SECONDS", 7 * 24 * 3600, 1, 10**8, int)),
        memory_cache_items=int(_number(env, "MEMORY_CACHE_ITEMS", 512, 1, 10**6, int)),
        single_flight_lock_ms=int(_number(env, "SINGLE_FLIGHT_LOCK_MS", 5000, 10, 60000, int)),
        single_flight_wait_ms=int(_number(env, "SINGLE_FLIGHT_WAIT_MS", 4000, 0, 60000, int)),
    )


@functools.lru_cache(maxsize=4)
def _cached(snapshot: tuple[str | None, ...]) -> Settings:
    return build_settings(dict(zip(ENV_VARS, snapshot, strict=True)))


def get_settings() -> Settings:
    """The current settings; cheap to call on every request."""
    return _cached(tuple(os.environ.get(name) for name in ENV_VARS))

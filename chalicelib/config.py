"""Settings read from the environment, lazily, in small frozen sections.

Chalice applies a stage's environment variables per request in its test client (and at start-up
in `chalice local`), so settings are never frozen at import: `get_settings()` rebuilds them
whenever one of the variables it reads has changed, and otherwise returns the cached object.
Each process-wide client is keyed on its own section (`registry.py`), so adding a field to a
section is all it takes for that client to be rebuilt when the field changes.
"""

import functools
import os
from collections.abc import Mapping
from typing import NamedTuple, TypeVar
from urllib.parse import urlsplit

DEFAULT_DNMONSTER_URL = "http://127.0.0.1:8080"
DEFAULT_SIZE = 80
MIN_SIZE = 12
MAX_SIZE = 1024
#: The largest `?size=` a visitor may ask for by default (AVATAR_MAX_SIZE; at most MAX_SIZE,
#: dnmonster's own limit).
DEFAULT_AVATAR_MAX_SIZE = 512
MAX_PAGE_NAME_CHARS = 200
MAX_MONSTER_NAME_CHARS = 256
#: Lambda answers at most 6 MB, base64 makes 4 bytes of 3: the largest PNG we would ever accept.
LARGEST_PNG_BYTES = 4 * 1024 * 1024

#: Every variable the function reads, in one place (documented in docs/function.md).
ENV_VARS = (
    "IDENTIDOCK_STAGE",
    "IDENTIDOCK_REQUIRE_SALT",
    "IDENTIDOCK_SALT",
    "IDENTIDOCK_SALT_PARAM",
    "DNMONSTER_URL",
    "DNMONSTER_CONNECT_TIMEOUT",
    "DNMONSTER_TIMEOUT",
    "DNMONSTER_MAX_BYTES",
    "DNMONSTER_BREAKER_FAILURES",
    "DNMONSTER_BREAKER_RESET_SECONDS",
    "IDENTICON_SIZE",
    "ART_VERSION",
    "AVATAR_MAX_SIZE",
    "PUBLIC_BASE_URL",
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
)

Env = Mapping[str, str | None]
Number = TypeVar("Number", int, float)


class ConfigError(ValueError):
    """A variable is set to a value the function cannot use."""


class SaltSettings(NamedTuple):
    stage: str
    require_salt: bool
    salt: str | None
    salt_param: str | None


class DnmonsterSettings(NamedTuple):
    url: str
    connect_timeout: float
    #: Wall-clock limit of one call: connect, headers and body together.
    timeout: float
    max_bytes: int
    breaker_failures: int
    breaker_reset_seconds: float


class RedisSettings(NamedTuple):
    url: str
    auth_token: str | None
    auth_secret_id: str | None
    ca_file: str | None
    connect_timeout: float
    timeout: float
    health_check_interval: int
    breaker_reset_seconds: float


class CacheSettings(NamedTuple):
    redis: RedisSettings | None  # None: the in-process LRU
    memory_items: int
    ttl_seconds: int


class ImageSettings(NamedTuple):
    #: The size of `/monster/{name}` without parameters (IDENTICON_SIZE).
    size: int
    art_version: str
    #: The largest `?size=` accepted (AVATAR_MAX_SIZE); the smallest is MIN_SIZE.
    max_size: int = DEFAULT_AVATAR_MAX_SIZE


class PageSettings(NamedTuple):
    #: Where visitors reach the page's directory (PUBLIC_BASE_URL), ending in `/`; None: the
    #: request's Host, X-Forwarded-Proto and path decide.
    public_base_url: str | None = None


class Settings(NamedTuple):
    salt: SaltSettings
    dnmonster: DnmonsterSettings
    cache: CacheSettings
    image: ImageSettings
    page: PageSettings = PageSettings()

    @property
    def stage(self) -> str:
        return self.salt.stage


def _text(env: Env, name: str) -> str | None:
    value = env.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _number(env: Env, name: str, default: Number, low: Number, high: Number) -> Number:
    raw = _text(env, name)
    if raw is None:
        return default
    kind = type(default)
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a {kind.__name__}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} is outside {low}..{high}")
    return value


def _flag(env: Env, name: str, default: bool) -> bool:
    raw = _text(env, name)
    if raw is None:
        return default
    if raw.lower() in ("1", "true", "yes", "on"):
        return True
    if raw.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={raw!r} is not a boolean (true/false)")


def _http_url(env: Env, name: str, default: str) -> str:
    url = _text(env, name) or default
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{name}={url!r} is not an http(s) URL")
    if parts.query or parts.fragment:
        raise ConfigError(f"{name}={url!r} must not carry a query or fragment")
    return url.rstrip("/")


def _public_base_url(env: Env) -> str | None:
    """PUBLIC_BASE_URL as given, ending in `/` (`https://cdn.example.com/api/`)."""
    if _text(env, "PUBLIC_BASE_URL") is None:
        return None
    url = _http_url(env, "PUBLIC_BASE_URL", "")
    if any(char in url for char in "\"'<>`?# \\") or not url.isprintable() or not url.isascii():
        raise ConfigError("PUBLIC_BASE_URL must be a plain ASCII URL without query or fragment")
    return url + "/"


def _redis_url(env: Env) -> str | None:
    url = _text(env, "REDIS_URL")
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss") or not parts.hostname:
        raise ConfigError("REDIS_URL must be redis://host:port/db or rediss://host:port/db")
    # redis-py lets URL query parameters override the client's options, so `?ssl_cert_reqs=none`
    # would switch certificate checks off: every option is a REDIS_* variable instead.
    if parts.query or parts.fragment:
        raise ConfigError("REDIS_URL must not carry query parameters; use the REDIS_* variables")
    return url


def _redis(env: Env) -> RedisSettings | None:
    url = _redis_url(env)
    if url is None:
        return None
    return RedisSettings(
        url=url,
        auth_token=env.get("REDIS_AUTH_TOKEN") or None,
        auth_secret_id=_text(env, "REDIS_AUTH_SECRET_ID"),
        ca_file=_text(env, "REDIS_CA_FILE"),
        connect_timeout=_number(env, "REDIS_CONNECT_TIMEOUT", 0.25, 0.01, 10.0),
        timeout=_number(env, "REDIS_TIMEOUT", 0.25, 0.01, 10.0),
        health_check_interval=_number(env, "REDIS_HEALTH_CHECK_INTERVAL", 30, 0, 3600),
        breaker_reset_seconds=_number(env, "REDIS_BREAKER_RESET_SECONDS", 10.0, 0.1, 3600.0),
    )


def build_settings(env: Env) -> Settings:
    """Settings from a snapshot of the environment; raises ConfigError on a bad value."""
    stage = _text(env, "IDENTIDOCK_STAGE") or "local"
    return Settings(
        salt=SaltSettings(
            stage=stage,
            require_salt=_flag(env, "IDENTIDOCK_REQUIRE_SALT", stage == "prod"),
            salt=env.get("IDENTIDOCK_SALT") or None,
            salt_param=_text(env, "IDENTIDOCK_SALT_PARAM"),
        ),
        dnmonster=DnmonsterSettings(
            url=_http_url(env, "DNMONSTER_URL", DEFAULT_DNMONSTER_URL),
            connect_timeout=_number(env, "DNMONSTER_CONNECT_TIMEOUT", 1.0, 0.01, 30.0),
            timeout=_number(env, "DNMONSTER_TIMEOUT", 3.0, 0.01, 60.0),
            max_bytes=_number(env, "DNMONSTER_MAX_BYTES", 1024 * 1024, 1024, LARGEST_PNG_BYTES),
            breaker_failures=_number(env, "DNMONSTER_BREAKER_FAILURES", 3, 1, 1000),
            breaker_reset_seconds=_number(env, "DNMONSTER_BREAKER_RESET_SECONDS", 5.0, 0.1, 3600.0),
        ),
        cache=CacheSettings(
            redis=_redis(env),
            memory_items=_number(env, "MEMORY_CACHE_ITEMS", 512, 1, 10**6),
            ttl_seconds=_number(env, "CACHE_TTL_SECONDS", 7 * 24 * 3600, 1, 10**8),
        ),
        image=ImageSettings(
            size=_number(env, "IDENTICON_SIZE", DEFAULT_SIZE, MIN_SIZE, MAX_SIZE),
            art_version=_text(env, "ART_VERSION") or "1",
            max_size=_number(env, "AVATAR_MAX_SIZE", DEFAULT_AVATAR_MAX_SIZE, MIN_SIZE, MAX_SIZE),
        ),
        page=PageSettings(public_base_url=_public_base_url(env)),
    )


@functools.lru_cache(maxsize=4)
def _cached(snapshot: tuple[bytes | None, ...]) -> Settings:
    values = (None if raw is None else os.fsdecode(raw) for raw in snapshot)
    return build_settings(dict(zip(ENV_VARS, values, strict=True)))


_ENCODED = tuple(os.fsencode(name) for name in ENV_VARS)


def _snapshot() -> tuple[bytes | None, ...]:
    """Our variables' raw values. `os.environ._data` is the bytes dict behind `os.environ` (and
    `os.environb`): reading it directly costs about 1 µs against 20 to 50 µs through
    `os.environ.get` for 22 names, on every request. The public route is the fallback."""
    data = getattr(os.environ, "_data", None)
    if isinstance(data, dict):
        return tuple(map(data.get, _ENCODED))
    return tuple(None if (v := os.environ.get(n)) is None else os.fsencode(v) for n in ENV_VARS)


def get_settings() -> Settings:
    """The current settings; cheap to call on every request."""
    return _cached(_snapshot())

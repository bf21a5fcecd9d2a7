"""Settings from the environment: defaults, validation, and lazy rebuilding."""

from __future__ import annotations

import pytest

from chalicelib.config import ConfigError, build_settings, get_settings


def test_defaults() -> None:
    settings = build_settings({})
    assert settings.stage == "local"
    assert settings.dnmonster.url == "http://127.0.0.1:8080"
    assert settings.dnmonster.timeout == 3.0
    assert settings.dnmonster.max_bytes == 1024 * 1024
    assert settings.image.size == 80
    assert settings.cache.redis is None
    assert settings.cache.ttl_seconds == 7 * 24 * 3600
    assert settings.salt.require_salt is False
    redis = build_settings({"REDIS_URL": "redis://cache:6379/0"}).cache.redis
    assert redis is not None
    assert redis.timeout < 1
    assert redis.connect_timeout < 1


def test_prod_requires_a_salt_unless_told_otherwise() -> None:
    assert build_settings({"IDENTIDOCK_STAGE": "prod"}).salt.require_salt is True
    assert build_settings({"IDENTIDOCK_REQUIRE_SALT": "true"}).salt.require_salt is True
    relaxed = {"IDENTIDOCK_STAGE": "prod", "IDENTIDOCK_REQUIRE_SALT": "false"}
    assert build_settings(relaxed).salt.require_salt is False


def test_values_are_read() -> None:
    settings = build_settings(
        {
            "DNMONSTER_URL": "http://dnmonster:8080/",
            "IDENTICON_SIZE": "120",
            "REDIS_URL": "rediss://cache.example:6379/0",
            "CACHE_TTL_SECONDS": "60",
            "REDIS_TIMEOUT": "0.1",
        }
    )
    assert settings.dnmonster.url == "http://dnmonster:8080"
    assert settings.image.size == 120
    assert settings.cache.redis is not None
    assert settings.cache.redis.url == "rediss://cache.example:6379/0"
    assert settings.cache.ttl_seconds == 60
    assert settings.cache.redis.timeout == 0.1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IDENTICON_SIZE", "abc"),
        ("IDENTICON_SIZE", "5"),
        ("IDENTICON_SIZE", "100000"),
        ("REDIS_URL", "http://cache:6379"),
        ("DNMONSTER_URL", "ftp://x"),
        ("DNMONSTER_URL", "not a url"),
        ("DNMONSTER_TIMEOUT", "0"),
        ("DNMONSTER_MAX_BYTES", "99999999"),
        ("DNMONSTER_URL", "http://dnmonster:8080/?x=1"),
        ("REDIS_URL", "rediss://cache:6379/0?ssl_cert_reqs=none"),
        ("REDIS_URL", "redis://cache:6379/0#x"),
        ("IDENTIDOCK_REQUIRE_SALT", "maybe"),
    ],
)
def test_bad_values_are_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        build_settings({name: value})


def test_get_settings_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    first = get_settings()
    assert get_settings() is first  # cached while nothing changes
    monkeypatch.setenv("IDENTICON_SIZE", "64")
    assert get_settings().image.size == 64
    monkeypatch.delenv("IDENTICON_SIZE")
    assert get_settings().image.size == 80


def test_a_bad_redis_value_is_named_once_redis_is_used() -> None:
    build_settings({"REDIS_TIMEOUT": "-1"})  # not read without a REDIS_URL
    with pytest.raises(ConfigError, match="REDIS_TIMEOUT"):
        build_settings({"REDIS_URL": "redis://cache:6379/0", "REDIS_TIMEOUT": "-1"})


def test_sections_compare_by_value() -> None:
    """Process-wide clients are keyed on their section: equal settings, same client."""
    env = {"REDIS_URL": "redis://cache:6379/0", "IDENTICON_SIZE": "64"}
    first, second = build_settings(env), build_settings({**env, "IDENTICON_SIZE": "80"})
    assert first.cache == second.cache
    assert first.dnmonster == second.dnmonster
    assert first.image != second.image

"""Settings from the environment: defaults, validation, and lazy rebuilding."""

from __future__ import annotations

import pytest

from chalicelib.config import ConfigError, build_settings, get_settings


def test_defaults() -> None:
    settings = build_settings({})
    assert settings.stage == "local"
    assert settings.dnmonster_url == "http://127.0.0.1:8080"
    assert settings.size == 80
    assert settings.redis_url is None
    assert settings.cache_ttl_seconds == 7 * 24 * 3600
    assert settings.require_salt is False
    assert settings.redis_timeout < 1
    assert settings.redis_connect_timeout < 1


def test_prod_requires_a_salt_unless_told_otherwise() -> None:
    assert build_settings({"IDENTIDOCK_STAGE": "prod"}).require_salt is True
    assert build_settings({"IDENTIDOCK_REQUIRE_SALT": "true"}).require_salt is True
    relaxed = {"IDENTIDOCK_STAGE": "prod", "IDENTIDOCK_REQUIRE_SALT": "false"}
    assert build_settings(relaxed).require_salt is False


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
    assert settings.dnmonster_url == "http://dnmonster:8080"
    assert settings.size == 120
    assert settings.redis_url == "rediss://cache.example:6379/0"
    assert settings.cache_ttl_seconds == 60
    assert settings.redis_timeout == 0.1


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("IDENTICON_SIZE", "abc"),
        ("IDENTICON_SIZE", "5"),
        ("IDENTICON_SIZE", "100000"),
        ("REDIS_URL", "http://cache:6379"),
        ("DNMONSTER_URL", "ftp://x"),
        ("DNMONSTER_URL", "not a url"),
        ("REDIS_TIMEOUT", "-1"),
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
    assert get_settings().size == 64
    monkeypatch.delenv("IDENTICON_SIZE")
    assert get_settings().size == 80

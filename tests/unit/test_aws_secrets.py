"""Salt and Redis token from SSM / Secrets Manager (moto), read once per cold start."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from chalicelib import aws_secrets
from chalicelib.aws_secrets import (
    DEV_SALT,
    SecretUnavailable,
    resolve_redis_token,
    resolve_salt,
    salt_source,
)
from chalicelib.config import RedisSettings, build_settings


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield


def redis_of(env: dict[str, str]) -> RedisSettings:
    """The Redis section of the settings for env plus a REDIS_URL."""
    section = build_settings({"REDIS_URL": "redis://127.0.0.1:6379/0", **env}).cache.redis
    assert section is not None
    return section


def test_salt_from_env_wins() -> None:
    settings = build_settings({"IDENTIDOCK_SALT": "pepper", "IDENTIDOCK_SALT_PARAM": "/x"})
    assert salt_source(settings.salt) == "env"
    assert resolve_salt(settings.salt) == "pepper"


def test_dev_default_only_outside_prod() -> None:
    assert resolve_salt(build_settings({}).salt) == DEV_SALT
    with pytest.raises(SecretUnavailable, match="no salt configured"):
        resolve_salt(build_settings({"IDENTIDOCK_STAGE": "prod"}).salt)


def test_salt_from_ssm_is_read_once_per_cold_start(aws: None) -> None:
    ssm = boto3.client("ssm")
    ssm.put_parameter(Name="/identidock/salt", Value="s3cret", Type="SecureString")
    settings = build_settings(
        {"IDENTIDOCK_STAGE": "prod", "IDENTIDOCK_SALT_PARAM": "/identidock/salt"}
    )
    assert salt_source(settings.salt) == "ssm"
    assert resolve_salt(settings.salt) == "s3cret"
    ssm.put_parameter(Name="/identidock/salt", Value="rotated", Type="SecureString", Overwrite=True)
    assert resolve_salt(settings.salt) == "s3cret"  # still the value read at cold start
    aws_secrets.ssm_secure_string.cache_clear()  # a new cold start
    assert resolve_salt(settings.salt) == "rotated"


def test_missing_ssm_parameter_is_a_clear_error_and_not_remembered(aws: None) -> None:
    settings = build_settings({"IDENTIDOCK_SALT_PARAM": "/identidock/missing"})
    with pytest.raises(SecretUnavailable, match="/identidock/missing"):
        resolve_salt(settings.salt)
    boto3.client("ssm").put_parameter(Name="/identidock/missing", Value="late", Type="SecureString")
    assert resolve_salt(settings.salt) == "late"


@pytest.mark.parametrize(
    ("stored", "token"),
    [
        ("plain-token", "plain-token"),
        (json.dumps({"token": "json-token"}), "json-token"),
        (json.dumps({"password": "pw", "username": "default"}), "pw"),
    ],
)
def test_redis_token_from_secrets_manager(aws: None, stored: str, token: str) -> None:
    boto3.client("secretsmanager").create_secret(Name="identidock/redis", SecretString=stored)
    assert resolve_redis_token(redis_of({"REDIS_AUTH_SECRET_ID": "identidock/redis"})) == token


def test_redis_token_secret_without_a_token_key(aws: None) -> None:
    boto3.client("secretsmanager").create_secret(Name="bad", SecretString='{"user": "x"}')
    with pytest.raises(SecretUnavailable, match="no token"):
        resolve_redis_token(redis_of({"REDIS_AUTH_SECRET_ID": "bad"}))


def test_redis_token_from_env_and_none() -> None:
    assert resolve_redis_token(redis_of({"REDIS_AUTH_TOKEN": "t"})) == "t"
    assert resolve_redis_token(redis_of({})) is None


def test_missing_secret_is_a_clear_error(aws: None) -> None:
    with pytest.raises(SecretUnavailable, match="identidock/nope"):
        resolve_redis_token(redis_of({"REDIS_AUTH_SECRET_ID": "identidock/nope"}))

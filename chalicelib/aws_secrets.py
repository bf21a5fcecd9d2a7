"""The salt and the Redis AUTH token, from the environment or from AWS.

Values fetched with boto3 (SSM SecureString, Secrets Manager) are cached for the life of the
process, i.e. read once per Lambda cold start; a failed fetch is not cached, so the next request
tries again. boto3 is imported only when needed: the Lambda runtime provides it.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING, Any

from chalicelib.config import RedisSettings, SaltSettings

if TYPE_CHECKING:  # the stubs are a development dependency
    from botocore.config import Config
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ssm import SSMClient

#: The book's salt: used only outside production, and the start-up log says so.
DEV_SALT = "UNIQUE_SALT"


class SecretUnavailable(RuntimeError):
    """A secret the function needs is missing or could not be fetched."""


def _config() -> Config:
    """A fetch at cold start must not hang the request: short timeouts and one attempt (a failed
    fetch is not cached, so the next request tries again; no retry storm on a throttled API)."""
    from botocore.config import Config

    return Config(
        connect_timeout=1.0,
        read_timeout=2.0,
        retries={"total_max_attempts": 1, "mode": "standard"},
    )


def _ssm() -> SSMClient:
    import boto3

    return boto3.client("ssm", config=_config())


def _secretsmanager() -> SecretsManagerClient:
    import boto3

    return boto3.client("secretsmanager", config=_config())


def _text(value: Any, what: str) -> str:
    """A secret must be a non-empty string: AWS's answer is checked like any other."""
    if not isinstance(value, str) or not value:
        raise SecretUnavailable(f"{what} holds no text value")
    return value


@functools.lru_cache(maxsize=8)
def ssm_secure_string(name: str) -> str:
    """The decrypted value of an SSM parameter."""
    try:
        answer = _ssm().get_parameter(Name=name, WithDecryption=True)
    except Exception as error:  # botocore raises many unrelated classes
        raise SecretUnavailable(f"cannot read SSM parameter {name}: {error}") from error
    return _text(answer.get("Parameter", {}).get("Value"), f"SSM parameter {name}")


@functools.lru_cache(maxsize=8)
def secret_string(secret_id: str) -> str:
    """A Secrets Manager secret: a plain string, or JSON with a `token` or `password` key."""
    try:
        answer = _secretsmanager().get_secret_value(SecretId=secret_id)
    except Exception as error:
        raise SecretUnavailable(f"cannot read secret {secret_id}: {error}") from error
    raw = _text(answer.get("SecretString"), f"secret {secret_id}")
    try:
        parsed = json.loads(raw)
    except ValueError:
        return raw
    if isinstance(parsed, dict):
        for key in ("token", "password", "auth_token"):
            if isinstance(parsed.get(key), str):
                return _text(parsed[key], f"secret {secret_id} key {key}")
        raise SecretUnavailable(f"secret {secret_id} has no token or password key")
    return raw


def salt_source(settings: SaltSettings) -> str:
    """Where the salt comes from: env, ssm, dev-default or missing."""
    if settings.salt:
        return "env"
    if settings.salt_param:
        return "ssm"
    return "missing" if settings.require_salt else "dev-default"


def resolve_salt(settings: SaltSettings) -> str:
    """The salt, or SecretUnavailable when a production stage has none configured."""
    source = salt_source(settings)
    if source == "env":
        return settings.salt or ""
    if source == "ssm":
        return ssm_secure_string(settings.salt_param or "")
    if source == "dev-default":
        return DEV_SALT
    raise SecretUnavailable(
        "no salt configured: set IDENTIDOCK_SALT or IDENTIDOCK_SALT_PARAM "
        f"(stage {settings.stage!r} refuses the development default)"
    )


def resolve_redis_token(settings: RedisSettings) -> str | None:
    """The Redis AUTH token, or None when Redis has no password."""
    if settings.auth_token:
        return settings.auth_token
    if settings.auth_secret_id:
        return secret_string(settings.auth_secret_id)
    return None

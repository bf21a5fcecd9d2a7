"""The cold-start check: log the configuration in force, fetch secrets once, and say loudly when
the function will refuse to serve (e.g. a production stage without a salt)."""

from __future__ import annotations

import logging

from chalicelib.aws_secrets import SecretUnavailable, resolve_salt, salt_source
from chalicelib.cache import CacheUnavailable, get_cache
from chalicelib.config import ConfigError, get_settings
from chalicelib.logs import log_event


def cold_start() -> bool:
    """True when the function can serve; never raises (a failure is logged instead)."""
    try:
        settings = get_settings()
    except ConfigError as error:
        log_event("startup", level=logging.ERROR, ready=False, reason=str(error))
        return False
    source = salt_source(settings.salt)
    try:
        resolve_salt(settings.salt)
    except SecretUnavailable as error:
        log_event(
            "startup",
            level=logging.ERROR,
            ready=False,
            stage=settings.stage,
            reason=f"refusing to serve: {error}",
        )
        return False
    try:
        backend = get_cache(settings.cache).backend
    except CacheUnavailable as error:
        backend = f"unavailable ({error})"
    log_event(
        "startup",
        ready=True,
        stage=settings.stage,
        salt_source=source,
        cache_backend=backend,
        dnmonster_url=settings.dnmonster.url,
        size=settings.image.size,
    )
    if source == "dev-default":
        log_event("startup_warning", level=logging.WARNING, reason="using the development salt")
    return True

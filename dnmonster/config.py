"""Service settings: command-line flags, each with an environment variable as its default."""

import argparse
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from dnmonster.render import MIN_SIDE
from dnmonster.sprites import DEFAULT_PACK

DEFAULT_HOST = "0.0.0.0"  # noqa: S104 - the container contract: reachable on every interface
DEFAULT_PORT = 8080
DEFAULT_MAX_SIZE = 1024
SIZE_CEILING = 8192
MAX_WORKERS = 64
# A worker cancels requests still running this long after SIGTERM (docker stop waits 10 s).
STOP_GRACE_SECONDS = 5
ENV = {
    "host": "DNMONSTER_HOST",
    "port": "DNMONSTER_PORT",
    "sprites": "DNMONSTER_SPRITES",
    "max_size": "DNMONSTER_MAX_SIZE",
    "workers": "DNMONSTER_WORKERS",
}


class ConfigError(ValueError):
    """A setting that cannot be used, with a message naming the flag or variable."""


@dataclass(frozen=True, slots=True)
class Settings:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    sprites: Path = DEFAULT_PACK
    max_size: int = DEFAULT_MAX_SIZE
    workers: int = 1

    def to_env(self) -> dict[str, str]:
        """The settings as DNMONSTER_* variables (how the server hands them to its workers)."""
        return {ENV[field]: str(getattr(self, field)) for field in ENV}


def default_workers() -> int:
    """One worker per CPU this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _bounded_int(text: str, what: str, low: int, high: int) -> int:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or not low <= int(text) <= high:
        raise ConfigError(f"{what} must be a whole number from {low} to {high}, got {text!r}")
    return int(text)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m dnmonster",
        description="Serve monster identicons over HTTP (GET /monster/<name>?size=N).",
    )
    parser.add_argument("--host", help=f"address to bind (${ENV['host']}, default {DEFAULT_HOST})")
    parser.add_argument("--port", help=f"TCP port (${ENV['port']}, default {DEFAULT_PORT})")
    parser.add_argument(
        "--sprites", help=f"sprite pack JSON file (${ENV['sprites']}, default: the identidock pack)"
    )
    parser.add_argument(
        "--max-size",
        dest="max_size",
        help=f"largest size/width/height accepted (${ENV['max_size']}, default {DEFAULT_MAX_SIZE})",
    )
    parser.add_argument(
        "--workers", help=f"worker processes (${ENV['workers']}, default: one per CPU)"
    )
    return parser


def settings_from(
    argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
) -> Settings:
    """Settings from flags, falling back to DNMONSTER_* variables, then to defaults.

    Invalid flags exit through argparse; invalid values raise ConfigError."""
    environ = os.environ if environ is None else environ
    args = _parser().parse_args(argv)

    def pick(field: str) -> tuple[str | None, str]:
        flag = getattr(args, field)
        if flag is not None:
            return flag, "--" + field.replace("_", "-")
        return environ.get(ENV[field]) or None, ENV[field]

    host, _ = pick("host")
    port, port_src = pick("port")
    sprites, _ = pick("sprites")
    max_size, max_src = pick("max_size")
    workers, workers_src = pick("workers")
    return Settings(
        host=host.strip() if host else DEFAULT_HOST,
        port=_bounded_int(port, port_src, 1, 65535) if port else DEFAULT_PORT,
        sprites=Path(sprites).resolve() if sprites else DEFAULT_PACK,
        max_size=(
            _bounded_int(max_size, max_src, MIN_SIDE, SIZE_CEILING)
            if max_size
            else DEFAULT_MAX_SIZE
        ),
        workers=(
            _bounded_int(workers, workers_src, 1, MAX_WORKERS) if workers else default_workers()
        ),
    )

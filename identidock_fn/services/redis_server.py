"""A real `redis-server`: plain, or ElastiCache-like (TLS only, with an AUTH token)."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import IO, Any

import redis
from mirakuru import Executor

from identidock_fn.paths import find_executable
from identidock_fn.services.base import LOOPBACK, ManagedServer
from identidock_fn.services.process import ContainedTCPExecutor
from identidock_fn.services.tls import TLSFiles, write_server_certificate

# how redis.conf's double-quoted strings (sdssplitargs) spell these characters
_CONFIG_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


class _PingExecutor(ContainedTCPExecutor):
    """Ready once a real client, with the server's TLS and password settings, gets PONG."""

    def __init__(self, command: list[str], client: redis.Redis, **kwargs: Any) -> None:
        super().__init__(command, **kwargs)
        self._client = client

    def after_start_check(self) -> bool:
        try:
            return bool(self._client.ping())
        except (redis.RedisError, OSError):
            return False


class RedisServer(ManagedServer):
    """`redis-server` on a loopback port; with `tls=True` it speaks only TLS and needs a password.

    No persistence: `--save ''`, `--appendonly no`, its working directory under `workdir`.
    Its environment is the base one only (PATH, HOME, TMPDIR, TZ, locale).
    """

    name = "redis"

    def __init__(
        self,
        *,
        tls: bool = False,
        password: str | None = None,
        executable: str | None = None,
        host: str = LOOPBACK,
        port: int | None = None,
        workdir: Path | None = None,
    ) -> None:
        super().__init__(host=host, port=port, workdir=workdir)
        self.tls = tls
        if tls and password is None:
            password = secrets.token_urlsafe(24)
        self.password = password
        self.executable = executable or find_executable("redis-server") or "redis-server"
        self._tls_files: TLSFiles | None = write_server_certificate(self.workdir) if tls else None

    @property
    def url(self) -> str:
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://{self.host}:{self.port}/0"

    @property
    def ca_file(self) -> Path | None:
        """The CA certificate a client must trust (TLS only)."""
        return self._tls_files.ca_file if self._tls_files else None

    def client(self, **kwargs: Any) -> redis.Redis:
        """A redis-py client with this server's URL, password and CA (certificate checks on)."""
        options: dict[str, Any] = {
            "password": self.password,
            "socket_connect_timeout": 2,
            "socket_timeout": 2,
        }
        if self._tls_files:
            options |= {
                "ssl_ca_certs": str(self._tls_files.ca_file),
                "ssl_cert_reqs": "required",
                "ssl_check_hostname": True,
            }
        return redis.Redis.from_url(self.url, **(options | kwargs))

    def command(self) -> list[str]:
        args = [
            self.executable,
            "--bind", self.host,
            "--dir", str(self.workdir),
            "--save", "",
            "--appendonly", "no",
            "--daemonize", "no",
            "--logfile", "",
            "--set-proc-title", "no",  # keeps /proc/PID/environ readable, to check what it got
        ]  # fmt: skip
        if self._tls_files:
            args += [
                "--port", "0",
                "--tls-port", str(self.port),
                "--tls-cert-file", str(self._tls_files.cert_file),
                "--tls-key-file", str(self._tls_files.key_file),
                "--tls-ca-cert-file", str(self._tls_files.ca_file),
                "--tls-auth-clients", "no",
            ]  # fmt: skip
        else:
            args += ["--port", str(self.port)]
        if self.password is not None:  # in a private file: a command line is public (ps)
            args = [self.executable, str(self._password_file()), *args[1:]]
        return args

    def _password_file(self) -> Path:
        """A config file holding only `requirepass`, readable by us alone."""
        assert self.password is not None
        quoted = "".join(_CONFIG_ESCAPES.get(char, char) for char in self.password)
        path = self.workdir / "redis-auth.conf"
        path.touch(mode=0o600)
        path.chmod(0o600)
        path.write_text(f'requirepass "{quoted}"\n')
        return path

    def _executor_for(self, output: dict[str, int | IO[bytes] | None]) -> Executor:
        return _PingExecutor(
            self.command(),
            client=self.client(socket_connect_timeout=1, socket_timeout=1),
            host=self.host,
            port=self.port,
            envvars=self.environment(),
            timeout=self.start_timeout,
            **output,
        )

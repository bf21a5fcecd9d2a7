"""How every server we start is spawned: a minimal environment, and it dies with its parent.

mirakuru hands a child `os.environ` plus extras, so any secret in the parent's environment (the
Redis AUTH token, AWS keys) would reach dnmonster and redis-server. Our executors pass only the
variables a process needs (`base_environment()` plus what its launcher adds) and mirakuru's
marker variable, which its stop() uses to find leftovers.

Each child runs in its own session (as mirakuru does, so a terminal's Ctrl-C reaches only us) and
asks the kernel for SIGTERM when its parent goes away (PR_SET_PDEATHSIG): if the parent is killed
with SIGKILL, its servers stop too instead of running on in their own sessions. SIGTERM rather
than SIGKILL, so that a server with workers (dnmonster's supervisor, `up`) stops them itself.
Linux sends it when the *thread* that started the child exits: start servers from a thread that
outlives them (the main thread, as `up`, the deploy keeper and the test fixtures do).
"""

from __future__ import annotations

import ctypes
import functools
import os
import signal
import sys
from collections.abc import Callable, Mapping
from typing import Any

from mirakuru import HTTPExecutor, TCPExecutor
from mirakuru.base import ENV_UUID, SimpleExecutor

BASE_VARIABLES = ("PATH", "HOME", "TMPDIR", "TZ", "LANG", "LANGUAGE")
LOCALE_PREFIX = "LC_"
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
DEATH_SIGNAL = signal.SIGTERM

# Loaded in the parent: after fork() a child may only call async-signal-safe code, not dlopen().
_LIBC = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None


def base_environment(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """PATH, HOME, TMPDIR, TZ and the locale (LANG, LANGUAGE, LC_*) from `environ` (ours)."""
    environ = os.environ if environ is None else environ
    return {
        name: value
        for name, value in environ.items()
        if name in BASE_VARIABLES or name.startswith(LOCALE_PREFIX)
    }


def _dying_with(parent_pid: int, new_session: bool) -> None:
    """Runs in the child between fork and exec: SIGTERM when the parent dies, own session."""
    if new_session:
        os.setsid()
    if _LIBC is None:
        return
    _LIBC.prctl(PR_SET_PDEATHSIG, int(DEATH_SIGNAL), 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os.kill(os.getpid(), DEATH_SIGNAL)


def child_setup(*, new_session: bool = True) -> Callable[[], None]:
    """A `preexec_fn` for Popen: SIGTERM when this process (thread) ends; by default a session."""
    return functools.partial(_dying_with, os.getpid(), new_session)


class ContainedExecutor(SimpleExecutor):
    """A mirakuru executor whose child gets only its `envvars` and dies with its parent."""

    @property
    def envvars(self) -> dict[str, str]:
        return {**self._envvars, ENV_UUID: self._uuid}

    @property
    def _popen_kwargs(self) -> dict[str, Any]:
        return {**super()._popen_kwargs, "preexec_fn": child_setup()}


class ContainedTCPExecutor(ContainedExecutor, TCPExecutor):
    """`TCPExecutor` (ready once the port accepts) with a minimal environment."""


class ContainedHTTPExecutor(ContainedExecutor, HTTPExecutor):
    """`HTTPExecutor` (ready once a URL answers) with a minimal environment."""

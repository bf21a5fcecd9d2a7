"""Process-wide clients, built on first use and reused across invocations (a warm Lambda keeps
its connections), rebuilt only when the settings section they were built from changes.

One pattern for every client (the Redis cache, the dnmonster client), after Chalice's todo-app
sample (`get_app_db()`) and Powertools' default providers: a module-level `ProcessWide` whose
`get(section)` builds with the section it is given.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

Section = TypeVar("Section")
Client = TypeVar("Client")


class ProcessWide(Generic[Section, Client]):
    """One client per process for the current settings section; the old one is closed."""

    def __init__(
        self, build: Callable[[Section], Client], close: Callable[[Client], None] | None = None
    ) -> None:
        self._build = build
        self._close = close
        self._lock = threading.Lock()
        self._current: tuple[Section, Client] | None = None

    def get(self, section: Section) -> Client:
        """The client for this section; a build error is raised and not remembered."""
        current = self._current
        if current is not None and current[0] == section:
            return current[1]
        with self._lock:
            if self._current is None or self._current[0] != section:
                self._discard()
                self._current = (section, self._build(section))
            return self._current[1]

    def forget(self) -> None:
        """Drop (and close) the client, so the next `get` builds a new one: a cold start."""
        with self._lock:
            self._discard()

    def _discard(self) -> None:
        old, self._current = self._current, None
        if old is not None and self._close is not None:
            self._close(old[1])

"""The browser suite's set-up: real Chromium against the page, reached the two ways people reach it.

`target` is the page's URL on either
- `chalice-local`: the `make run` stack (`python -m identidock_fn up`) on a free loopback port, or
- `localstack`: a real `deploy --target localstack` (API Gateway + Lambda on LocalStack), reached
  only through its execute-api URL, and `destroy`ed after the module.
Tests are grouped by target, so one stack is stopped before the other starts. The LocalStack used
is the e2e suite's session-wide one (`e2e_env`) when a shared conftest provides it; otherwise
`deploy` starts one of its own and `destroy` stops it again.

Each test gets a fresh Chromium with a fresh profile (`browse`), which records console errors,
failed requests and dialogs; a test that expects one takes it out, and any left over fails it.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import psutil
import pytest
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Page,
    Playwright,
    sync_playwright,
)

from chalicelib.config import DEFAULT_SIZE
from identidock_fn.screenshot import DESKTOP, Device, UpStack, chromium
from tests.e2e.stack import cli_env, processes_under, run_cli

TARGETS = ("chalice-local", "localstack")
BUILD = Path(__file__).resolve().parents[2] / "build" / "browser"


@dataclass(frozen=True)
class Target:
    name: str
    url: str  # the page, ending in "/"
    size: int  # the configured IDENTICON_SIZE: the PNG's width and height


@dataclass
class Watch:
    """What a page did that a person would call broken."""

    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)

    def attach(self, context: BrowserContext) -> None:
        context.on("console", self._console)
        context.on("weberror", lambda error: self.console_errors.append(str(error.error)))
        context.on(
            "requestfailed",
            lambda request: self.failed_requests.append(
                f"{request.method} {request.url}: {request.failure}"
            ),
        )
        context.on(
            "response",
            lambda response: (
                self.failed_requests.append(
                    f"{response.request.method} {response.url}: {response.status}"
                )
                if response.status >= 400
                else None
            ),
        )
        context.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(message.text)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def take_failed(self, pattern: str) -> list[str]:
        """Remove and return the failed requests and console errors matching `pattern`."""
        found = re.compile(pattern)
        taken = [entry for entry in self.failed_requests if found.search(entry)]
        self.failed_requests = [entry for entry in self.failed_requests if entry not in taken]
        console = [entry for entry in self.console_errors if "status of 4" in entry]
        self.console_errors = [entry for entry in self.console_errors if entry not in console]
        return taken + console

    def problems(self) -> list[str]:
        return [
            *(f"console error: {entry}" for entry in self.console_errors),
            *(f"failed request: {entry}" for entry in self.failed_requests),
            *(f"dialog: {entry}" for entry in self.dialogs),
        ]


@dataclass
class Browse:
    """One fresh browser window: its `page` and what it did (`watch`)."""

    page: Page
    watch: Watch


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _chalice_local(tmp: Path) -> Iterator[Target]:
    stack = UpStack(workdir=tmp).start()
    started = [psutil.Process(stack.pid), *_descendants(stack.pid)] if stack.pid else []
    try:
        yield Target("chalice-local", stack.url + "/", DEFAULT_SIZE)
    finally:
        stack.close()
    _, alive = psutil.wait_procs(started, timeout=30)
    assert alive == [], f"left running after `up` stopped: {alive}"


def _localstack(request: pytest.FixtureRequest, tmp: Path) -> Iterator[Target]:
    try:  # the e2e suite's LocalStack, when tests/conftest.py shares it
        env = dict(request.getfixturevalue("e2e_env"))
    except pytest.FixtureLookupError:
        env = cli_env(tmp)  # deploy starts this LocalStack, destroy stops it
    env["IDENTIDOCK_DEPLOY_DIR"] = str(tmp / "deploy")
    try:
        deployed = run_cli(env, "deploy", "--target", "localstack")
        found = re.search(r"^API URL: (\S+)$", deployed.stdout, re.MULTILINE)
        assert found, deployed.stdout
        yield Target("localstack", found.group(1), DEFAULT_SIZE)
    finally:
        run_cli(env, "destroy", "--target", "localstack")
    assert processes_under(tmp) == []


@pytest.fixture(scope="module", params=TARGETS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """The page's URL on a running target (see the module docstring)."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "chalice-local":
        yield from _chalice_local(tmp)
    else:
        yield from _localstack(request, tmp)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture
def open_browser(playwright: Playwright, tmp_path: Path) -> Iterator[Callable[..., Browse]]:
    """`open_browser(device=DESKTOP)`: a fresh Chromium (own profile folder), closed after the test.

    After the test, nothing may be left in any browser's console, failed-request or dialog log.
    """
    watches: list[Watch] = []
    with contextlib.ExitStack() as contexts:

        def opener(device: Device = DESKTOP) -> Browse:
            profile = tmp_path / f"profile-{len(watches)}"
            context = contexts.enter_context(chromium(playwright, profile, device))
            watch = Watch()
            watch.attach(context)
            watches.append(watch)
            return Browse(context.new_page(), watch)

        yield opener
    problems = [problem for watch in watches for problem in watch.problems()]
    assert problems == [], "\n".join(problems)


@pytest.fixture
def browse(open_browser: Callable[..., Browse]) -> Browse:
    """A fresh desktop Chromium window for the target."""
    return open_browser()


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    """Where the suite saves its pictures (build/browser/<target>/)."""
    BUILD.mkdir(parents=True, exist_ok=True)
    return BUILD

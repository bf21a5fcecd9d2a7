"""The browser suite's set-up: real Chromium against the page, reached the two ways people reach it.

`target` is the page's URL on either
- `chalice-local`: the `make run` stack (`python -m identidock_fn up`) on a free loopback port, or
- `localstack`: a real `deploy --target localstack` (API Gateway + Lambda on LocalStack), reached
  only through its execute-api URL, and `destroy`ed after the module.
Tests are grouped by target, so one stack is stopped before the other starts. The LocalStack used
is the session-wide one the e2e suite also uses (`e2e_env` in tests/conftest.py).

Each test gets a fresh Chromium with a fresh profile (`browse`), which records console errors,
failed requests and dialogs; a test that expects one takes it out, and any left over fails it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Playwright, sync_playwright

from identidock_fn.screenshot import DESKTOP, Device, chromium
from tests.browser.page_model import Browse, Target, Watch
from tests.browser.targets import localstack_deployment, make_run_stack

TARGETS = ("chalice-local", "localstack")
BUILD = Path(__file__).resolve().parents[2] / "build" / "browser"


@pytest.fixture(scope="module", params=TARGETS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """The page's URL on a running target (see the module docstring)."""
    tmp = tmp_path_factory.mktemp(request.param)
    if request.param == "chalice-local":
        yield from make_run_stack(tmp)
    else:
        yield from localstack_deployment(request, tmp)


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

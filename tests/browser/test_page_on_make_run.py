"""The page on the `make run` stack when dnmonster cannot be reached."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest

from chalicelib.page import DEFAULT_NAME
from identidock_fn.services import free_port
from tests.browser.page_model import Browse, Target, monster, name_field, submit
from tests.browser.targets import make_run_stack

pytestmark = pytest.mark.browser

SORRY = "We could not draw this monster right now. Please try again in a moment."


@pytest.fixture(scope="module")
def without_dnmonster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    """`up --dnmonster-url` pointing at a loopback port nothing listens on."""
    dead = f"http://127.0.0.1:{free_port()}"
    tmp: Path = tmp_path_factory.mktemp("up-without-dnmonster")
    yield from make_run_stack(tmp, ("--dnmonster-url", dead))


def test_dnmonster_down_shows_a_friendly_message_and_keeps_the_name(
    browse: Browse, without_dnmonster: Target
) -> None:
    page = browse.page
    response = page.goto(without_dnmonster.url)
    assert response is not None
    assert response.status == 200
    assert page.get_by_role("alert").inner_text() == SORRY
    assert name_field(page).input_value() == DEFAULT_NAME
    assert monster(page).count() == 0

    submit(page, "Carol", "enter")
    assert page.get_by_role("alert").inner_text() == SORRY
    assert name_field(page).input_value() == "Carol"
    assert monster(page).count() == 0
    # The tab's icon is a monster too; with dnmonster down it cannot be drawn (503).
    icon = urljoin(without_dnmonster.url, "monster/identidock")
    assert set(browse.watch.take_failed(icon)) == {f"GET {icon}: 503"}

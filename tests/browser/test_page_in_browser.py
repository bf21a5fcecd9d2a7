"""The page as a person uses it, in a real Chromium, on `chalice local` and on LocalStack.

Every test also fails if its browser logged a console error, saw a failed request (network
error or an HTTP status of 400 or more) or opened a dialog that the test did not expect.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from PIL import Image

from chalicelib.config import MAX_PAGE_NAME_CHARS
from chalicelib.page import DEFAULT_NAME, display_px
from identidock_fn.screenshot import (
    DEVICES,
    FACT_PAGE,
    PHONE,
    page_fingerprint,
    screenshot_facts,
    screenshot_path,
    take_screenshots,
)
from tests.browser.page_model import (
    Browse,
    Target,
    assert_drawn_exactly,
    image_state,
    monster,
    name_field,
    shown,
    submit,
)

pytestmark = pytest.mark.browser

HOSTILE = "<img src=x onerror=alert(1)>"


def test_default_monster_loads_whole_and_crisp(browse: Browse, target: Target) -> None:
    page = browse.page
    response = page.goto(target.url)
    assert response is not None
    assert response.status == 200
    assert page.title() == f"{DEFAULT_NAME} — identidock"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "identidock"
    assert name_field(page).input_value() == DEFAULT_NAME
    assert page.get_by_role("img", name=f"The monster for {DEFAULT_NAME}").count() == 1
    state = image_state(page)
    assert state["rendering"] == "pixelated"  # also proves the CSP let the stylesheet apply
    assert state["width"] == display_px(target.size)
    default = shown(browse, target.size)
    assert default.src == target.expected_src(DEFAULT_NAME)
    assert default.png == target.expected_png(DEFAULT_NAME)
    assert_drawn_exactly(page, default.png)


def test_enter_and_button_each_show_a_new_monster_and_a_name_keeps_its_own(
    browse: Browse, target: Target
) -> None:
    page = browse.page
    page.goto(target.url)
    first = shown(browse, target.size)
    assert submit(page, "Alice Liddell", "enter").status == 200
    alice = shown(browse, target.size)
    assert_drawn_exactly(page, alice.png)
    assert submit(page, "Bob", "click").status == 200
    bob = shown(browse, target.size)
    assert_drawn_exactly(page, bob.png)
    assert (alice.name_field, bob.name_field) == ("Alice Liddell", "Bob")
    assert (alice.src, bob.src) == (
        target.expected_src("Alice Liddell"),
        target.expected_src("Bob"),
    )
    assert alice.png == target.expected_png("Alice Liddell")
    assert bob.png == target.expected_png("Bob")
    assert len({first.png, alice.png, bob.png}) == 3
    assert len({first.rendered, alice.rendered, bob.rendered}) == 3
    assert page.get_by_role("img", name="The monster for Bob").count() == 1

    submit(page, "Alice Liddell", "click")
    again = shown(browse, target.size)
    assert (again.src, again.png, again.rendered) == (alice.src, alice.png, alice.rendered)


def test_back_and_forward_show_each_name_with_its_monster(browse: Browse, target: Target) -> None:
    page = browse.page
    page.goto(target.url)
    visited = [shown(browse, target.size)]
    for name in ("Ann", "Ben"):
        submit(page, name, "enter")
        visited.append(shown(browse, target.size))
    for expected, move in zip(
        (visited[1], visited[0], visited[1], visited[2]),
        (page.go_back, page.go_back, page.go_forward, page.go_forward),
        strict=True,
    ):
        response = move()
        assert response is not None
        assert response.status == 200
        now = shown(browse, target.size)
        assert (now.name_field, now.src) == (expected.name_field, expected.src)
        assert now.png == expected.png


def test_markup_in_a_name_is_shown_as_text_and_runs_nothing(browse: Browse, target: Target) -> None:
    page = browse.page
    page.goto(target.url)
    submit(page, HOSTILE, "enter")
    hostile = shown(browse, target.size)
    assert hostile.name_field == HOSTILE
    assert hostile.png == target.expected_png(HOSTILE)
    assert page.locator("figcaption strong").inner_text() == HOSTILE
    assert page.get_by_role("img", name=f"The monster for {HOSTILE}").count() == 1
    assert page.locator("img").count() == 1  # no <img> came out of the name
    assert page.title() == f"{HOSTILE} — identidock"
    assert browse.watch.dialogs == []


def public_url(target: Target, url: str) -> str:
    """The URL the page can show for `url`: the function builds it from `Host` and the path it
    is given. LocalStack strips `/_aws/execute-api/<api-id>` from that path before the Lambda
    sees it, so there the page shows the URL the API has on AWS's own host (`<host>/api/...`).
    """
    return re.sub(r"/_aws/execute-api/[^/]+/", "/", url) if target.name == "localstack" else url


def test_share_link_and_image_url_open_the_same_monster(
    open_browser: Callable[..., Browse], target: Target
) -> None:
    browse = open_browser()
    page = browse.page
    page.goto(target.url)
    name = "Zoë & Co / 100% <ok>?"
    submit(page, name, "click")
    original = shown(browse, target.size)
    share = page.get_by_role("link", name=re.compile(r"\?name="))
    share_url = share.evaluate("link => link.href")  # where the link leads from this page
    assert share_url.split("?")[0] == page.url.split("?")[0]
    assert parse_qs(urlsplit(share_url).query) == {"name": [name]}
    assert share.inner_text() == public_url(target, share_url)
    assert page.locator("dd code").inner_text() == public_url(target, original.src)

    someone_else = open_browser()  # a fresh browser, with the link
    response = someone_else.page.goto(share_url)
    assert response is not None
    assert response.status == 200
    theirs = shown(someone_else, target.size)
    assert (theirs.name_field, theirs.png) == (name, original.png)
    copied = requests.get(original.src, headers={"Accept": "image/*"}, timeout=30)
    assert copied.headers["Content-Type"] == "image/png"
    assert copied.content == original.png

    with page.expect_navigation():
        share.click()
    assert shown(browse, target.size).png == original.png


def test_too_long_name_shows_a_message_and_keeps_what_was_typed(
    browse: Browse, target: Target
) -> None:
    page = browse.page
    page.goto(target.url)
    typed = "Bartholomew " * 17  # 204 characters
    assert len(typed) > MAX_PAGE_NAME_CHARS
    assert submit(page, typed, "enter").status == 400
    alert = page.get_by_role("alert")
    assert f"the limit is {MAX_PAGE_NAME_CHARS}" in alert.inner_text()
    assert name_field(page).input_value() == typed
    assert monster(page).count() == 0
    expected_url = target.url + "?" + urlencode({"name": typed})
    assert browse.watch.take_failed(expected_url) == [f"GET {expected_url}: 400"]


def test_empty_name_is_stopped_by_the_browser(browse: Browse, target: Target) -> None:
    page = browse.page
    page.goto(target.url)
    before = page.url
    name_field(page).fill("")
    page.get_by_role("button", name="Show monster").click()
    assert name_field(page).evaluate("field => field.validity.valueMissing") is True
    assert page.url == before


def test_keyboard_focus_is_visible(browse: Browse, target: Target) -> None:
    page = browse.page
    page.goto(target.url)
    for expected in ("input", "button"):
        page.keyboard.press("Tab")
        outline = page.evaluate(
            """() => { const el = document.activeElement, s = getComputedStyle(el);
                return [el.tagName.toLowerCase(), s.outlineStyle, parseFloat(s.outlineWidth)]; }"""
        )
        assert outline[0] == expected
        assert outline[1] == "solid"
        assert outline[2] >= 2


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?" + urlencode({"name": "W" * MAX_PAGE_NAME_CHARS}),
        "?" + urlencode({"name": "W" * (MAX_PAGE_NAME_CHARS + 1)}),
    ],
    ids=["default", "longest-name", "too-long-name"],
)
def test_phone_has_no_horizontal_scroll(
    open_browser: Callable[..., Browse], target: Target, query: str
) -> None:
    browse = open_browser(PHONE)
    page = browse.page
    response = page.goto(target.url + query)
    assert response is not None
    widths = page.evaluate(
        "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    assert widths == [PHONE.width, PHONE.width]
    if response.status == 400:
        assert browse.watch.take_failed(target.url + query) == [f"GET {target.url + query}: 400"]
        return
    assert image_state(page)["width"] == display_px(target.size)  # whole dots on a phone too
    shown(browse, target.size)


def test_screenshots_desktop_and_phone(
    playwright, target: Target, screenshots_dir: Path, tmp_path: Path
) -> None:
    out_dir = screenshots_dir / target.name
    saved = take_screenshots(playwright, target.url, out_dir, tmp_path)
    assert saved == [screenshot_path(out_dir, device) for device in DEVICES]
    for path, device in zip(saved, DEVICES, strict=True):
        with Image.open(path) as picture:
            assert picture.format == "PNG"
            assert picture.width == device.width * device.scale
            assert picture.height >= device.height * device.scale
        assert screenshot_facts(path)[FACT_PAGE] == page_fingerprint()

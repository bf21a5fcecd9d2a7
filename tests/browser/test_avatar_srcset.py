"""The monster on dense screens, and the avatar's sizes and SVG, in a real Chromium (issue 13).

On a 1x, 2x and 3x screen Chromium picks the srcset candidate drawn for that density: the image
it loads is dnmonster's own picture at size x density, it keeps the 1x layout size, and on
screen it is that picture scaled by a whole factor (crisp, on its backdrop). The offered sizes
and the SVG open as exactly what dnmonster draws, with no script on the page.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image, ImageChops

from chalicelib.page import display_px
from identidock_fn.screenshot import Device
from tests.browser.page_model import Browse, Target, image_state, monster, rgb_of
from tests.unit.test_avatar_pixels import assert_svg_is_the_png, drawn_here

pytestmark = pytest.mark.browser

NAME = "Ada Lovelace"


def name_hash(target: Target) -> str:
    return target.expected_src(NAME).rsplit("/", 1)[-1]


def assert_crisp_at(browse: Browse, png: bytes, scale: int) -> None:
    """The element shows `png` scaled by a whole factor, in device pixels, on its backdrop."""
    state = image_state(browse.page)
    width = round(float(state["width"]) * scale)
    padding = round(float(state["padding"]) * scale)
    with Image.open(io.BytesIO(png)) as source:
        assert width % source.width == 0, (width, source.width)
        scaled = source.convert("RGBA").resize((width, width), Image.Resampling.NEAREST)
    expected = Image.new("RGBA", scaled.size, (*rgb_of(str(state["backdrop"])), 255))
    expected.alpha_composite(scaled)
    shot = monster(browse.page).screenshot(scale="device")
    with Image.open(io.BytesIO(shot)) as rendered:
        seen = rendered.convert("RGB").crop((padding, padding, padding + width, padding + width))
    difference = ImageChops.difference(seen, expected.convert("RGB"))
    assert max(high for _, high in difference.getextrema()) <= 2, "not drawn crisp"


@pytest.mark.parametrize("scale", [1, 2, 3])
def test_each_density_gets_its_own_pixels_shown_crisp(
    open_browser: Callable[..., Browse], target: Target, scale: int
) -> None:
    browse = open_browser(Device(f"{scale}x", 1024, 800, scale=scale))
    page = browse.page
    response = page.goto(target.url + "?name=Ada+Lovelace")
    assert response is not None
    assert response.status == 200
    state = image_state(page)
    assert state["complete"] is True
    size = target.size * scale
    query = "" if scale == 1 else f"?size={size}"
    assert state["src"] == target.expected_src(NAME) + query
    # The candidate's density keeps the layout of the 1x picture.
    assert (state["naturalWidth"], state["naturalHeight"]) == (target.size, target.size)
    assert state["width"] == display_px(target.size)
    status, content_type, body = browse.watch.images[str(state["src"])]
    assert (status, content_type) == (200, "image/png")
    assert body == drawn_here(name_hash(target), size)
    assert_crisp_at(browse, body, scale)


@pytest.mark.parametrize(("label", "size"), [("32 px", 32), ("512 px", 512), ("SVG", 80)])
def test_offered_sizes_and_svg_open_as_dnmonster_draws_them(
    browse: Browse, target: Target, label: str, size: int
) -> None:
    """Following an offered link (no script) opens exactly dnmonster's picture, to save or copy."""
    page = browse.page
    page.goto(target.url + "?name=Ada+Lovelace")
    assert page.locator("script").count() == 0
    link = page.get_by_role("link", name=label, exact=True)
    fmt = "svg" if label == "SVG" else "png"
    query = "?format=svg" if fmt == "svg" else f"?size={size}"
    assert link.evaluate("a => a.href") == target.expected_src(NAME) + query
    with page.expect_navigation() as navigation:
        link.click()
    response = navigation.value
    assert response is not None
    assert response.status == 200
    body = response.body()
    assert body == drawn_here(name_hash(target), size, fmt)
    if fmt == "svg":
        assert_svg_is_the_png(body, drawn_here(name_hash(target), size), size)


def test_the_svg_opened_on_its_own_shows_the_monster(browse: Browse, target: Target) -> None:
    """Opened in a tab (as an avatar URL is), the SVG renders under its sandboxing CSP with no
    console error, and looks exactly like the PNG."""
    page = browse.page
    page.set_viewport_size({"width": 200, "height": 200})
    url = target.expected_src(NAME) + "?format=svg&size=96"
    response = page.goto(url)
    assert response is not None
    assert response.status == 200
    assert response.headers["content-type"] == "image/svg+xml"
    shot = page.screenshot(clip={"x": 0, "y": 0, "width": 96, "height": 96})
    png = drawn_here(name_hash(target), 96)
    with Image.open(io.BytesIO(shot)) as seen, Image.open(io.BytesIO(png)) as source:
        # What is painted is the PNG's dots in its colour; the rest is the tab's background.
        painted = source.convert("RGBA")
        background = seen.convert("RGB").getpixel((95, 0))
        expected = Image.new("RGBA", painted.size, (*background, 255))  # type: ignore[misc]
        expected.alpha_composite(painted)
        difference = ImageChops.difference(seen.convert("RGB"), expected.convert("RGB"))
    assert max(high for _, high in difference.getextrema()) <= 2

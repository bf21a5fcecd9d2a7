"""What a person sees and does on the page, read from a real Chromium (tests' helpers)."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass, field
from functools import cache
from typing import Literal
from urllib.parse import urlencode, urljoin, urlsplit

from PIL import Image, ImageChops
from playwright.sync_api import (
    BrowserContext,
    ConsoleMessage,
    Dialog,
    Locator,
    Page,
    Request,
    Response,
)

from dnmonster.images import Images
from dnmonster.sprites import load_pack


@cache
def _dnmonster_images() -> Images:
    return Images(load_pack())


@dataclass(frozen=True)
class Target:
    name: str
    url: str  # the page, ending in "/"
    size: int  # the configured IDENTICON_SIZE: the PNG's width and height
    salt: str

    def expected_png(self, name: str) -> bytes:
        """What dnmonster draws for the book's sha256(salt + name), computed here."""
        name_hash = hashlib.sha256((self.salt + name).encode("utf-8")).hexdigest()
        return _dnmonster_images().body(name_hash, self.size, "png")

    def expected_src(self, name: str) -> str:
        name_hash = hashlib.sha256((self.salt + name).encode("utf-8")).hexdigest()
        return urljoin(self.url, f"monster/{name_hash}")


@dataclass
class Watch:
    """What a page did that a person would call broken."""

    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    #: the first image each URL answered the browser with: (status, content type, bytes)
    images: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)

    def attach(self, context: BrowserContext) -> None:
        context.on("console", self._console)
        context.on("weberror", lambda error: self.console_errors.append(str(error.error)))
        context.on(
            "requestfailed",
            lambda request: self.failed_requests.append(
                f"{request.method} {request.url}: {request.failure}"
            ),
        )
        context.on("response", self._response)
        context.on("requestfinished", self._finished)
        context.on("dialog", self._dialog)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.console_errors.append(f"{message.text} [{message.location.get('url')}]")

    def _response(self, response: Response) -> None:
        if response.status >= 400:
            self.failed_requests.append(
                f"{response.request.method} {response.url}: {response.status}"
            )

    def _finished(self, request: Request) -> None:
        """Keep an image's bytes now: a response's body is gone once the page navigates."""
        response = request.response()
        if request.resource_type == "image" and response and request.url not in self.images:
            content_type = response.headers.get("content-type", "")
            self.images[request.url] = (response.status, content_type, response.body())

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def take_failed(self, url: str) -> list[str]:
        """Remove and return the failed requests for `url` (and the console's note of them)."""
        taken = [
            entry
            for entry in self.failed_requests
            if entry.split(" ", 1)[1].rsplit(": ", 1)[0] == url
        ]
        self.failed_requests = [entry for entry in self.failed_requests if entry not in taken]
        noted = [e for e in self.console_errors if e.endswith(f" [{url}]") and "status of" in e]
        self.console_errors = [entry for entry in self.console_errors if entry not in noted]
        return taken

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


@dataclass(frozen=True)
class Shown:
    """The monster on the page: the field's text, the image's URL, its bytes, its rendering."""

    name_field: str
    src: str
    png: bytes
    rendered: bytes  # a screenshot of the <img> element, as the person sees it


def monster(page: Page) -> Locator:
    return page.locator("figure img")


def name_field(page: Page) -> Locator:
    return page.get_by_label("Name")


def image_state(page: Page) -> dict[str, object]:
    return monster(page).evaluate(
        """img => {
          const style = getComputedStyle(img);
          return {complete: img.complete, naturalWidth: img.naturalWidth,
                  naturalHeight: img.naturalHeight, src: img.currentSrc,
                  padding: parseFloat(style.paddingLeft),
                  width: img.getBoundingClientRect().width - 2 * parseFloat(style.paddingLeft),
                  rendering: style.imageRendering, backdrop: style.backgroundColor};
        }"""
    )


def shown(browse: Browse, size: int) -> Shown:
    """The monster now on the page; it must have loaded whole, at the configured size.

    Its bytes are those of the image response the browser received (see `Watch`).
    """
    page = browse.page
    state = image_state(page)
    assert state["complete"] is True, state
    assert (state["naturalWidth"], state["naturalHeight"]) == (size, size), state
    status, content_type, png = browse.watch.images[str(state["src"])]
    assert (status, content_type) == (200, "image/png")
    return Shown(name_field(page).input_value(), str(state["src"]), png, monster(page).screenshot())


def submit(page: Page, name: str, how: Literal["enter", "click"]) -> Response:
    """Type `name` into the field and send it with Enter or the button, as a person would."""
    field = name_field(page)
    field.fill(name)
    page_url = urlsplit(page.url)._replace(query="", fragment="").geturl()
    with page.expect_navigation() as navigation:
        if how == "enter":
            field.press("Enter")
        else:
            page.get_by_role("button", name="Show monster").click()
    response = navigation.value
    assert response is not None
    assert page.url == page_url + "?" + urlencode({"name": name})  # the shareable link
    return response


def rgb_of(css_colour: str) -> tuple[int, int, int]:
    found = re.fullmatch(r"rgb\((\d+), (\d+), (\d+)\)", css_colour)
    assert found, css_colour
    red, green, blue = (int(value) for value in found.groups())
    return red, green, blue


def assert_drawn_exactly(page: Page, png: bytes) -> None:
    """The <img> shows exactly `png`, scaled by whole dots (no smoothing) on its backdrop."""
    state = image_state(page)
    width, padding = round(float(state["width"])), round(float(state["padding"]))
    with Image.open(io.BytesIO(png)) as source:
        scaled = source.convert("RGBA").resize((width, width), Image.Resampling.NEAREST)
    expected = Image.new("RGBA", scaled.size, (*rgb_of(str(state["backdrop"])), 255))
    expected.alpha_composite(scaled)
    with Image.open(io.BytesIO(monster(page).screenshot())) as rendered:
        seen = rendered.convert("RGB").crop((padding, padding, padding + width, padding + width))
    difference = ImageChops.difference(seen, expected.convert("RGB"))
    assert max(high for _, high in difference.getextrema()) <= 2, "the monster is not drawn crisp"

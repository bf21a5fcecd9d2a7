"""`python -m identidock_fn screenshot`: the page as people see it, desktop and phone, in Chromium.

Without `--url` it starts the `make run` stack itself (`python -m identidock_fn up` on a free
loopback port), takes the pictures and stops the stack again. The browser tests use the same
launcher and devices, so the README's pictures and the tested page are one and the same.
Playwright drives Debian's Chromium (`/usr/bin/chromium`, or `IDENTIDOCK_CHROMIUM`): its own
browser download cannot work on a closed network, hence also the flags in `CHROMIUM_ARGS`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from identidock_fn.paths import PROJECT_ROOT
from identidock_fn.services import UpStack, preferred_port

if TYPE_CHECKING:
    from playwright.sync_api import BrowserContext, Playwright

CHROMIUM = os.environ.get("IDENTIDOCK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
)
README_PORT = 8000  # what `make run` serves on, so the pictures show the URLs people see
FACT_PAGE = "identidock-page-sha256"
FACT_MONSTER = "identidock-monster-sha256"


@dataclass(frozen=True)
class Device:
    """A browser window: CSS viewport, pixel density and whether it behaves as a phone."""

    name: str
    width: int
    height: int
    scale: float = 1
    mobile: bool = False

    def context_options(self) -> dict[str, Any]:
        return {
            "viewport": {"width": self.width, "height": self.height},
            "device_scale_factor": self.scale,
            "is_mobile": self.mobile,
            "has_touch": self.mobile,
        }


DESKTOP = Device("desktop", 1024, 640)
PHONE = Device("phone", 360, 740, scale=2, mobile=True)
DEVICES = (DESKTOP, PHONE)


@contextlib.contextmanager
def chromium(
    playwright: Playwright, profile_dir: Path, device: Device = DESKTOP
) -> Iterator[BrowserContext]:
    """Debian's Chromium, a fresh profile in `profile_dir` (a new, empty folder), closed after."""
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} not found: apt-get install chromium")
    context = playwright.chromium.launch_persistent_context(
        str(profile_dir),
        executable_path=CHROMIUM,
        headless=True,
        args=list(CHROMIUM_ARGS),
        **device.context_options(),
    )
    try:
        yield context
    finally:
        context.close()


def screenshot_path(out_dir: Path, device: Device) -> Path:
    return out_dir / f"screenshot-{device.name}.png"


def page_fingerprint() -> str:
    """SHA-256 of the page as rendered for fixed inputs, with and without the monster.

    Saved in each screenshot (a PNG text chunk), so a test can tell when the README's pictures
    show an older page than the code renders.
    """
    from chalicelib.config import DEFAULT_SIZE, MAX_PAGE_NAME_CHARS
    from chalicelib.links import page_links
    from chalicelib.page import DEFAULT_NAME, render_page

    links = page_links("/", "127.0.0.1:8000", "http", "0" * 64, DEFAULT_NAME)
    pages = (
        render_page(
            name=DEFAULT_NAME,
            form_action="./",
            links=links,
            size=DEFAULT_SIZE,
            max_chars=MAX_PAGE_NAME_CHARS,
        ),
        render_page(
            name="x",
            form_action="./",
            links=None,
            size=DEFAULT_SIZE,
            max_chars=MAX_PAGE_NAME_CHARS,
            error="A message.",
        ),
    )
    return hashlib.sha256("\n".join(pages).encode("utf-8")).hexdigest()


def screenshot_facts(path: Path) -> dict[str, str]:
    """The text chunks a screenshot was saved with (`FACT_PAGE`, `FACT_MONSTER`)."""
    from PIL import Image, PngImagePlugin

    with Image.open(path) as image:
        if not isinstance(image, PngImagePlugin.PngImageFile):
            return {}  # not a PNG: it holds no facts
        return {key: str(value) for key, value in image.text.items()}


def _save_with_facts(png: bytes, path: Path, facts: dict[str, str]) -> None:
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    for key, value in facts.items():
        info.add_text(key, value)
    with Image.open(io.BytesIO(png)) as image:
        image.save(path, pnginfo=info, optimize=True)


def take_screenshots(
    playwright: Playwright,
    url: str,
    out_dir: Path,
    profiles_dir: Path,
    devices: tuple[Device, ...] = DEVICES,
) -> list[Path]:
    """Open `url` on each device, save a full-page picture once the monster has loaded.

    Each picture records the page fingerprint and the SHA-256 of the monster PNG it shows.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    for device in devices:
        with chromium(playwright, profiles_dir / device.name, device) as context:
            page = context.new_page()
            response = page.goto(url, wait_until="load")
            if response is None or not response.ok:
                status = response.status if response else "no answer"
                raise RuntimeError(f"{url} answered {status}")
            image = page.locator("figure img")
            src = image.evaluate("img => img.complete && img.naturalWidth > 0 && img.currentSrc")
            if not src:
                raise RuntimeError(f"the monster on {url} did not load")
            png = page.screenshot(full_page=True, animations="disabled")
            monster = page.goto(src)  # as the browser fetches it (strict HTTP clients may differ)
            if monster is None or not monster.ok:
                raise RuntimeError(f"{src} did not answer the monster")
            path = screenshot_path(out_dir, device)
            facts = {
                FACT_PAGE: page_fingerprint(),
                FACT_MONSTER: hashlib.sha256(monster.body()).hexdigest(),
            }
            _save_with_facts(png, path, facts)
            saved.append(path)
    return saved


@click.command()
@click.option("--url", help="Photograph this page instead of starting the stack.")
@click.option("--name", help="Show this name's monster (default: the page's default name).")
@click.option(
    "--out-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=PROJECT_ROOT / "docs",
    show_default=True,
    help="Where screenshot-desktop.png and screenshot-phone.png go.",
)
def screenshot(url: str | None, name: str | None, out_dir: Path) -> None:
    """Save pictures of the page on a desktop and a phone (real Chromium)."""
    from urllib.parse import quote

    from playwright.sync_api import sync_playwright

    from chalicelib.aws_secrets import DEV_SALT  # what `make run` uses: the book's salt

    query = f"?name={quote(name, safe='')}" if name else ""
    with contextlib.ExitStack() as stack:
        if url is None:
            click.echo("starting the stack (python -m identidock_fn up) ...", err=True)
            up = UpStack(port=preferred_port(README_PORT), env={"IDENTIDOCK_SALT": DEV_SALT})
            url = stack.enter_context(up).url + "/"
        profiles = stack.enter_context(tempfile.TemporaryDirectory(prefix="identidock-shots-"))
        playwright = stack.enter_context(sync_playwright())
        try:
            saved = take_screenshots(playwright, url + query, out_dir, Path(profiles))
        except (FileNotFoundError, RuntimeError) as problem:
            raise click.ClickException(str(problem)) from None
    for path in saved:
        click.echo(f"saved {path}")

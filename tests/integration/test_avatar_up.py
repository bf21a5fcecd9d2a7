"""Every avatar variant through `python -m identidock_fn up` (`make run`), over real HTTP.

The stack's own dnmonster is asked directly for the same size and format, so each answer is
checked against dnmonster's own picture (pixels) and each SVG dot for dot against the PNG.
"""

from __future__ import annotations

import hashlib
import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urljoin

import pytest
import redis
import requests

from chalicelib.cache import Keys
from identidock_fn.services import free_port
from tests.integration.test_up import CHROME_IMG_ACCEPT, READY, SERVER_AT, UpProcess, stop_up
from tests.unit.test_avatar_pixels import (
    SIZES,
    assert_same_picture,
    assert_svg_is_the_png,
    dnmonster_own,
)

pytestmark = pytest.mark.integration

IMG = {"Accept": CHROME_IMG_ACCEPT}
SALT = "avatar-test-salt"
NAME = hashlib.sha256(f"{SALT}Ada".encode()).hexdigest()


@dataclass(frozen=True)
class Stack:
    url: str  # the page, ending in "/"
    dnmonster_url: str
    redis_port: int


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    up = UpProcess(free_port(), env={"IDENTIDOCK_SALT": SALT})
    try:
        ports: dict[str, int] = {}
        while len(ports) < 2:
            found = up.wait_for(SERVER_AT)
            ports[found.group(1)] = int(found.group(2))
        url = up.wait_for(READY).group(1)
        yield Stack(url, f"http://127.0.0.1:{ports['dnmonster']}", ports["redis-server"])
    finally:
        stop_up(up)


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        yield session


def get(http: requests.Session, url: str) -> requests.Response:
    return http.get(url, headers=IMG, timeout=60)


@pytest.mark.parametrize("size", SIZES)
def test_every_size_and_format_through_make_run(
    stack: Stack, http: requests.Session, size: int
) -> None:
    base = urljoin(stack.url, f"monster/{NAME}")
    png = get(http, f"{base}?size={size}")
    svg = get(http, f"{base}?size={size}&format=svg")
    assert (png.status_code, svg.status_code) == (200, 200)
    assert png.headers["Content-Type"] == "image/png"
    assert svg.headers["Content-Type"] == "image/svg+xml"
    assert svg.headers["Content-Security-Policy"] == (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
    )
    assert svg.headers["X-Content-Type-Options"] == "nosniff"
    assert_same_picture(png.content, dnmonster_own(stack.dnmonster_url, NAME, size), size)
    assert svg.content == dnmonster_own(stack.dnmonster_url, NAME, size, "svg")
    assert_svg_is_the_png(svg.content, png.content, size)
    assert int(svg.headers["Content-Length"]) == len(svg.content)
    # Served again from Redis: the same bytes, and their own keys there.
    assert get(http, f"{base}?size={size}").content == png.content
    assert get(http, f"{base}?format=svg&size={size}").content == svg.content
    stored = redis.Redis(port=stack.redis_port).mget(
        [Keys.for_monster("1", size, NAME, fmt).value for fmt in ("png", "svg")]
    )
    assert stored == [png.content, svg.content]


def test_the_books_url_is_still_the_80_px_png(stack: Stack, http: requests.Session) -> None:
    base = urljoin(stack.url, f"monster/{NAME}")
    plain = get(http, base)
    assert plain.status_code == 200
    assert plain.content == get(http, f"{base}?size=80&format=png&v=2").content
    assert_same_picture(plain.content, dnmonster_own(stack.dnmonster_url, NAME, 80), 80)
    revalidated = http.get(
        f"{base}?size=80", headers={**IMG, "If-None-Match": plain.headers["ETag"]}, timeout=60
    )
    assert revalidated.status_code == 304


@pytest.mark.parametrize(
    "query",
    ["size=11", "size=513", "size=abc", "size=1&size=2", "format=gif", "format=svg&format=png"],
)
def test_bad_parameters_are_400_through_make_run(
    stack: Stack, http: requests.Session, query: str
) -> None:
    response = get(http, urljoin(stack.url, f"monster/{NAME}?{query}"))
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.text.count("\n") == 1


def test_the_page_offers_srcset_and_variants_that_load(
    stack: Stack, http: requests.Session
) -> None:
    page = http.get(stack.url, params={"name": "Ada"}, timeout=60)
    assert page.status_code == 200
    found = re.search(r'<img src="[^"]*" srcset="([^"]*)"', page.text)
    assert found, page.text
    candidates = [part.strip().split(" ") for part in html.unescape(found.group(1)).split(",")]
    assert [density for _, density in candidates] == ["1x", "2x", "3x"]
    for (url, _), size in zip(candidates, (80, 160, 240), strict=True):
        image = get(http, urljoin(stack.url, url))
        assert image.status_code == 200
        assert_same_picture(image.content, dnmonster_own(stack.dnmonster_url, NAME, size), size)
    block = re.search(r'<dd class="variants">(.*?)</dd>', page.text, re.DOTALL)
    assert block, page.text
    offered = re.findall(r'<a href="([^"]*)">', block.group(1))
    assert len(offered) == 6
    for href in offered:
        assert get(http, urljoin(stack.url, html.unescape(href))).status_code == 200


def test_favicon_through_make_run(stack: Stack, http: requests.Session) -> None:
    icon = get(http, urljoin(stack.url, "favicon.ico"))
    assert icon.status_code == 200
    assert icon.headers["Content-Type"] == "image/png"
    assert_same_picture(icon.content, dnmonster_own(stack.dnmonster_url, "identidock", 32), 32)

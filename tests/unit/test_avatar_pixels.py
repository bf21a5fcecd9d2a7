"""Comparing the avatar's variants with dnmonster's own pictures, pixel for pixel and dot for dot.

The helpers here are used by the integration (`make run`) and e2e (LocalStack) avatar tests;
the tests here show they catch a picture that is off by one dot, one colour step or one pixel.
"""

from __future__ import annotations

import io
import urllib.request
from urllib.parse import quote

import pytest
from PIL import Image, ImageChops

from chalicelib.svg_check import parse_svg
from dnmonster.images import Images
from dnmonster.sprites import load_pack

#: The sizes every suite checks: the smallest, off-grid ones (a margin), the default, the
#: srcset's 2x and 3x, and the largest allowed by default.
SIZES = (12, 13, 32, 80, 100, 160, 240, 512)
_IMAGES = Images(load_pack())


def drawn_here(name: str, size: int, fmt: str = "png") -> bytes:
    """What dnmonster's code draws for name at size, computed in this process."""
    return _IMAGES.body(name, max(size, 12), fmt)


def dnmonster_own(dnmonster_url: str, name: str, size: int, fmt: str = "png") -> bytes:
    """What a running dnmonster answers when asked directly."""
    url = f"{dnmonster_url}/monster/{quote(name, safe='')}?size={size}&format={fmt}"
    with urllib.request.urlopen(url, timeout=30) as answer:
        body: bytes = answer.read()
    return body


def rgba(png: bytes) -> Image.Image:
    with Image.open(io.BytesIO(png)) as image:
        return image.convert("RGBA")


def svg_as_pixels(svg: bytes, side: int) -> Image.Image:
    """The SVG drawn on a transparent canvas: every rect filled, whole pixels, no smoothing."""
    drawn = parse_svg(svg, side)
    canvas = Image.new("RGBA", (side, side), (0, 0, 0, 0))
    red, green, blue = (int(drawn.fill[i : i + 2], 16) for i in (1, 3, 5))
    fill = (red, green, blue, 255)
    for x, y, width, height in drawn.rects:
        canvas.paste(fill, (x, y, x + width, y + height))
    return canvas


def differing_pixels(first: Image.Image, second: Image.Image) -> int:
    """How many channel values (red, green, blue or alpha) differ between two RGBA images."""
    assert first.size == second.size
    histogram = ImageChops.difference(first, second).histogram()  # 256 buckets per band
    return sum(count for index, count in enumerate(histogram) if index % 256)


def assert_same_picture(png: bytes, expected_png: bytes, side: int) -> None:
    """Two PNGs show exactly the same side x side picture (pixels, not bytes)."""
    seen, expected = rgba(png), rgba(expected_png)
    assert seen.size == expected.size == (side, side)
    assert differing_pixels(seen, expected) == 0


def assert_svg_is_the_png(svg: bytes, png: bytes, side: int) -> None:
    """The SVG, parsed strictly, paints exactly the PNG's dots in the PNG's colour."""
    picture = rgba(png)
    assert picture.size == (side, side)
    assert differing_pixels(svg_as_pixels(svg, side), picture) == 0


@pytest.mark.parametrize("size", SIZES)
def test_dnmonsters_svg_is_its_png_dot_for_dot(size: int) -> None:
    for name in ("Joe Bloggs", "ab" * 32, "Zoë"):
        assert_svg_is_the_png(drawn_here(name, size, "svg"), drawn_here(name, size), size)


def test_a_missing_dot_a_shifted_dot_or_another_colour_is_caught() -> None:
    png, svg = drawn_here("Joe Bloggs", 80), drawn_here("Joe Bloggs", 80, "svg")
    first = parse_svg(svg, 80).rects[0]
    x, y, width, height = first
    rect = f'<rect x="{x}" y="{y}" width="{width}" height="{height}"/>'.encode()
    assert rect in svg
    changes = [
        svg.replace(rect, b"", 1),
        svg.replace(
            rect, f'<rect x="{x + 1}" y="{y}" width="{width}" height="{height}"/>'.encode()
        ),
        svg.replace(
            rect, f'<rect x="{x}" y="{y}" width="{width - 1}" height="{height}"/>'.encode()
        ),
        svg.replace(parse_svg(svg, 80).fill.encode(), b"#000001"),
    ]
    for changed in changes:
        assert changed != svg
        with pytest.raises(AssertionError):
            assert_svg_is_the_png(changed, png, 80)


def test_transparent_and_opaque_black_differ() -> None:
    clear = Image.new("RGBA", (2, 2), (0, 0, 0, 0))
    black = Image.new("RGBA", (2, 2), (0, 0, 0, 255))
    assert differing_pixels(clear, black) == 4
    assert differing_pixels(clear, clear.copy()) == 0


def test_another_name_or_size_is_another_picture() -> None:
    with pytest.raises(AssertionError):
        assert_same_picture(drawn_here("a", 80), drawn_here("b", 80), 80)
    with pytest.raises(AssertionError):
        assert_same_picture(drawn_here("a", 81), drawn_here("a", 80), 80)

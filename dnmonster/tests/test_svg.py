"""SVG output: the PNG's exact geometry and colour, one <rect> per horizontal run of dots."""

import io
import xml.etree.ElementTree as ET

from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from dnmonster.png import monster_png
from dnmonster.render import draw_monster
from dnmonster.sprites import load_pack
from dnmonster.svg import monster_svg, runs

from .conftest import CLASSIC

PACK = load_pack(CLASSIC)
SVG = "{http://www.w3.org/2000/svg}"


def rasterize(svg: bytes) -> tuple[int, bytes, list[tuple[int, int, int, int]]]:
    """Paint the rects on a transparent RGBA canvas (axis-aligned, integer, crisp)."""
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    side = int(root.get("width"))
    assert root.get("height") == str(side)
    assert root.get("viewBox") == f"0 0 {side} {side}"
    assert root.get("shape-rendering") == "crispEdges"
    group = root.find(f"{SVG}g")
    fill = group.get("fill")
    colour = bytes.fromhex(fill[1:]) + b"\xff"
    canvas = bytearray(side * side * 4)
    rects = []
    for rect in group.findall(f"{SVG}rect"):
        x, y, w, h = (int(rect.get(k)) for k in ("x", "y", "width", "height"))
        rects.append((x, y, w, h))
        for py in range(y, y + h):
            for px in range(x, x + w):
                canvas[(py * side + px) * 4 : (py * side + px) * 4 + 4] = colour
    return side, bytes(canvas), rects


def test_runs_merge_adjacent_cells() -> None:
    assert runs(0b111000110001) == [(0, 3), (6, 2), (11, 1)]
    assert runs(0) == []
    assert runs(0xFFF) == [(0, 12)]


@given(st.text(max_size=80), st.integers(12, 200))
def test_svg_draws_the_png_pixels_with_one_rect_per_run(name: str, side: int) -> None:
    monster = draw_monster(name, PACK)
    svg_side, pixels, rects = rasterize(monster_svg(monster, side))
    png_rgba = Image.open(io.BytesIO(monster_png(monster, side))).convert("RGBA").tobytes()
    assert svg_side == side
    assert pixels == png_rgba
    assert len(rects) == sum(len(runs(row)) for row in monster.rows)
    ends = {(x + w, y) for x, y, w, _ in rects}
    assert not any((x, y) in ends for x, y, _, _ in rects)  # no two rects touch side by side

"""SVG encoding: the same monster as crisp vector shapes, one <rect> per horizontal run of dots."""

from dnmonster.render import Monster, layout
from dnmonster.sprites import GRID


def runs(pattern: int) -> list[tuple[int, int]]:
    """(first cell, length) of each run of painted cells in one grid row, left to right."""
    found: list[tuple[int, int]] = []
    start = None
    for x in range(GRID + 1):
        painted = x < GRID and pattern >> (GRID - 1 - x) & 1
        if painted and start is None:
            start = x
        elif not painted and start is not None:
            found.append((start, x - start))
            start = None
    return found


def monster_svg(monster: Monster, side: int) -> bytes:
    """A side x side SVG with exactly the PNG's geometry and colour (side >= 12)."""
    dot, off = layout(side)
    r, g, b = monster.colour
    rects = "".join(
        f'<rect x="{off + x * dot}" y="{off + y * dot}" width="{n * dot}" height="{dot}"/>'
        for y, pattern in enumerate(monster.rows)
        for x, n in runs(pattern)
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{side}" height="{side}" '
        f'viewBox="0 0 {side} {side}" shape-rendering="crispEdges">'
        f'<g fill="#{r:02x}{g:02x}{b:02x}">{rects}</g></svg>'
    ).encode()

"""The strict SVG check: dnmonster's own SVG passes; anything that could do more is refused."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.image_check import MAX_SVG_BYTES
from chalicelib.svg_check import BadSvg, check_svg, parse_svg
from dnmonster.render import MonsterCache, layout
from dnmonster.sprites import load_pack
from dnmonster.svg import monster_svg

MONSTERS = MonsterCache(load_pack())
GOOD = monster_svg(MONSTERS.get("Joe Bloggs"), 80)
HEAD = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="80" height="80" viewBox="0 0 80 80" '
    b'shape-rendering="crispEdges">'
)


@pytest.mark.parametrize("side", [12, 13, 23, 24, 32, 80, 100, 511, 512, 1024])
@pytest.mark.parametrize("name", ["Joe Bloggs", "a", "ab" * 32, "Zoë"])
def test_dnmonsters_svg_passes_and_reads_back_as_its_dots(side: int, name: str) -> None:
    monster = MONSTERS.get(name)
    drawn = parse_svg(monster_svg(monster, side), side)
    assert drawn.fill == "#{:02x}{:02x}{:02x}".format(*monster.colour)
    dot, off = layout(side)
    cells = {
        ((x - off) // dot + i, (y - off) // dot)
        for x, y, width, _ in drawn.rects
        for i in range(width // dot)
    }
    painted = {
        (x, y) for y, row in enumerate(monster.rows) for x in range(12) if row >> (11 - x) & 1
    }
    assert cells == painted


BAD = {
    "script element": GOOD.replace(b"<g ", b"<script>alert(1)</script><g "),
    "event handler": GOOD.replace(b"<rect ", b'<rect onload="alert(1)" ', 1),
    "xlink href": GOOD.replace(b"<rect ", b'<rect href="https://evil.test/" ', 1),
    "foreignObject": GOOD.replace(b"</g>", b"</g><foreignObject/>"),
    "a style": GOOD.replace(b"<g ", b'<g style="fill:url(https://evil.test)" '),
    "image": GOOD.replace(b"</g>", b'<image href="x"/></g>'),
    "doctype": b"<!DOCTYPE svg>" + GOOD,
    "entity bomb": (
        b'<!DOCTYPE svg [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>' + GOOD
    ),
    "entity in svg": GOOD.replace(b'fill="#', b'fill="&x;#'),
    "character reference": GOOD.replace(b'fill="#', b'fill="&#35;'),
    "xml declaration": b'<?xml version="1.0"?>' + GOOD,
    "processing instruction": GOOD.replace(b"<g ", b"<?php x?><g "),
    "comment": GOOD.replace(b"<g ", b"<!-- x --><g "),
    "cdata": GOOD.replace(b"</g>", b"<![CDATA[x]]></g>"),
    "text": GOOD.replace(b"</g>", b"hello</g>"),
    "whitespace text": GOOD.replace(b"</g>", b" </g>"),
    "trailing element": GOOD + b"<svg/>",
    "two groups": GOOD.replace(b"</g></svg>", b'</g><g fill="#000000"></g></svg>'),
    "rect outside g": GOOD.replace(b"</g>", b'</g><rect x="0" y="0" width="1" height="1"/>'),
    "nested rect": GOOD.replace(b"/>", b'><rect x="0" y="0" width="1" height="1"/></rect>', 1),
    "wrong width": GOOD.replace(b'width="80" height="80"', b'width="81" height="80"'),
    "wrong viewBox": GOOD.replace(b"0 0 80 80", b"0 0 8 8"),
    "no crispEdges": GOOD.replace(b"crispEdges", b"auto"),
    "other namespace": GOOD.replace(b"2000/svg", b"1999/xhtml"),
    "extra namespace": GOOD.replace(b"<svg ", b'<svg xmlns:xlink="http://www.w3.org/1999/xlink" '),
    "named colour": GOOD.replace(b'fill="#', b'fill="red" data-x="#'),
    "short colour": HEAD + b'<g fill="#abc"></g></svg>',
    "url fill": HEAD + b'<g fill="url(#x)"></g></svg>',
    "negative": HEAD + b'<g fill="#aabbcc"><rect x="-1" y="0" width="6" height="6"/></g></svg>',
    "fraction": HEAD + b'<g fill="#aabbcc"><rect x="1.5" y="0" width="6" height="6"/></g></svg>',
    "leading zero": HEAD + b'<g fill="#aabbcc"><rect x="01" y="0" width="6" height="6"/></g></svg>',
    "unit": HEAD + b'<g fill="#aabbcc"><rect x="1px" y="0" width="6" height="6"/></g></svg>',
    "empty rect": HEAD + b'<g fill="#aabbcc"><rect x="1" y="0" width="0" height="6"/></g></svg>',
    "off canvas": HEAD + b'<g fill="#aabbcc"><rect x="78" y="0" width="6" height="6"/></g></svg>',
    "missing attribute": HEAD + b'<g fill="#aabbcc"><rect x="1" y="0" width="6"/></g></svg>',
    "duplicate attribute": GOOD.replace(b'<g fill="', b'<g fill="#000000" fill="'),
    "no group": HEAD + b"</svg>",
    "unclosed": GOOD[:-6],
    "truncated": GOOD[: len(GOOD) // 2],
    "empty": b"",
    "not ascii": GOOD.replace(b"</g>", "<g>é</g></g>".encode()),
    "utf-16": GOOD.decode().encode("utf-16"),
    "bom": b"\xef\xbb\xbf" + GOOD,
    "leading space": b" " + GOOD,
    "too many rects": HEAD
    + b'<g fill="#aabbcc">'
    + b'<rect x="0" y="0" width="1" height="1"/>' * 145
    + b"</g></svg>",
    "too large": GOOD.replace(b"<g ", b"<g " + b" " * MAX_SVG_BYTES),
}


@pytest.mark.parametrize("svg", BAD.values(), ids=BAD.keys())
def test_anything_else_is_refused(svg: bytes) -> None:
    with pytest.raises(BadSvg):
        check_svg(svg, 80)


def test_the_right_svg_at_the_wrong_size_is_refused() -> None:
    with pytest.raises(BadSvg, match="not a 81x81"):
        check_svg(GOOD, 81)


@settings(max_examples=400, deadline=None)
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes_are_refused_with_badsvg_only(data: bytes) -> None:
    with pytest.raises(BadSvg):
        check_svg(data, 80)


@settings(max_examples=400, deadline=None)
@given(at=st.integers(0, len(GOOD) - 1), byte=st.integers(0, 255))
def test_a_changed_byte_is_refused_or_still_a_valid_monster(at: int, byte: int) -> None:
    """One changed byte never slips something unchecked through: BadSvg, or an SVG whose every
    rect is inside the canvas with a #rrggbb fill (e.g. a digit of a coordinate changed)."""
    changed = GOOD[:at] + bytes([byte]) + GOOD[at + 1 :]
    try:
        drawn = parse_svg(changed, 80)
    except BadSvg:
        return
    assert all(x + w <= 80 and y + h <= 80 for x, y, w, h in drawn.rects)
    assert len(drawn.fill) == 7

"""A strict check that bytes are the SVG our dnmonster draws, of the side we asked for.

What dnmonster answers, and what Redis hands back, is untrusted, and an SVG can carry script,
external references or entity bombs. So this accepts only the exact shape `dnmonster/svg.py`
emits and nothing else:

    <svg xmlns="http://www.w3.org/2000/svg" width="S" height="S" viewBox="0 0 S S"
     shape-rendering="crispEdges"><g fill="#rrggbb"><rect x=".." y=".." width=".." height=".."/>
     ...</g></svg>

ASCII only, no `&` (no reference of any kind), at most MAX_SVG_BYTES; parsed by expat with
no DTD, no entity (internal or external), no processing instruction, comment, CDATA or text;
only those three elements, each in its place, with exactly those attributes; whole-number
geometry inside the canvas, and one `#rrggbb` fill. Anything else raises BadSvg.
"""

import re
from typing import NamedTuple, NoReturn
from xml.parsers import expat

from chalicelib.errors import BadImage
from chalicelib.image_check import MAX_SVG_BYTES

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
MAX_RECTS = 144  # one per dot of the 12 x 12 grid at most
_NUMBER = re.compile(r"0|[1-9][0-9]{0,4}")
_FILL = re.compile(r"#[0-9a-f]{6}")
_ATTRIBUTES = {
    "svg": frozenset({"xmlns", "width", "height", "viewBox", "shape-rendering"}),
    "g": frozenset({"fill"}),
    "rect": frozenset({"x", "y", "width", "height"}),
}
_PARENT = {"svg": None, "g": "svg", "rect": "g"}

Rect = tuple[int, int, int, int]  # x, y, width, height


class BadSvg(BadImage):
    """The bytes are not an acceptable SVG; the message says why (for the log)."""


class SvgMonster(NamedTuple):
    side: int
    fill: str  # "#rrggbb"
    rects: tuple[Rect, ...]


def _refuse(what: str) -> NoReturn:
    raise BadSvg(what)


def _number(value: str, what: str) -> int:
    if not _NUMBER.fullmatch(value):
        raise BadSvg(f"{what}={value[:20]!r} is not a whole number")
    return int(value)


class _Reader:
    """expat callbacks: build the monster, or raise BadSvg at the first thing out of place."""

    def __init__(self, side: int) -> None:
        self.side = side
        self.open: list[str] = []
        self.fill: str | None = None
        self.rects: list[Rect] = []
        self.done = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        parent = self.open[-1] if self.open else None
        if tag not in _PARENT or _PARENT[tag] != parent or self.done:
            raise BadSvg(f"element {tag[:20]!r} is not allowed here")
        if set(attrs) != _ATTRIBUTES[tag]:
            raise BadSvg(f"<{tag}> has attributes {sorted(attrs)[:8]!r}")
        self.open.append(tag)
        getattr(self, f"_{tag}")(attrs)

    def end(self, tag: str) -> None:
        self.open.pop()
        if not self.open:
            self.done = True

    def _svg(self, attrs: dict[str, str]) -> None:
        side = str(self.side)
        expected = {
            "xmlns": SVG_NAMESPACE,
            "width": side,
            "height": side,
            "viewBox": f"0 0 {side} {side}",
            "shape-rendering": "crispEdges",
        }
        if attrs != expected:
            raise BadSvg(f"<svg> is not a {side}x{side} crisp SVG: {attrs!r:.200}")

    def _g(self, attrs: dict[str, str]) -> None:
        if self.fill is not None:
            raise BadSvg("more than one <g>")
        if not _FILL.fullmatch(attrs["fill"]):
            raise BadSvg(f"fill {attrs['fill'][:20]!r} is not #rrggbb")
        self.fill = attrs["fill"]

    def _rect(self, attrs: dict[str, str]) -> None:
        x, y, width, height = (_number(attrs[key], key) for key in ("x", "y", "width", "height"))
        if width < 1 or height < 1 or x + width > self.side or y + height > self.side:
            raise BadSvg(f"rect {(x, y, width, height)} is empty or outside the canvas")
        if len(self.rects) >= MAX_RECTS:
            raise BadSvg(f"more than {MAX_RECTS} rects")
        self.rects.append((x, y, width, height))


def parse_svg(data: bytes, side: int) -> SvgMonster:
    """The monster an SVG draws; BadSvg unless it is exactly dnmonster's SVG at side x side."""
    if len(data) > MAX_SVG_BYTES:
        raise BadSvg(f"{len(data)} bytes, the limit is {MAX_SVG_BYTES}")
    if not data.isascii() or not data.startswith(b"<svg "):
        raise BadSvg("not an ASCII document starting with <svg")
    if b"&" in data:  # dnmonster writes no reference; the bytes served must be what is checked
        raise BadSvg("a character or entity reference")
    reader = _Reader(side)
    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.StartDoctypeDeclHandler = lambda *_: _refuse("a DOCTYPE")
    parser.EntityDeclHandler = lambda *_: _refuse("an entity declaration")
    parser.ExternalEntityRefHandler = lambda *_: _refuse("an external entity")
    parser.SkippedEntityHandler = lambda *_: _refuse("an entity reference")
    parser.XmlDeclHandler = lambda *_: _refuse("an XML declaration")
    parser.ProcessingInstructionHandler = lambda *_: _refuse("a processing instruction")
    parser.CommentHandler = lambda *_: _refuse("a comment")
    parser.StartCdataSectionHandler = lambda *_: _refuse("a CDATA section")
    parser.CharacterDataHandler = lambda *_: _refuse("text content")
    try:
        parser.Parse(data, True)
    except expat.ExpatError as error:
        raise BadSvg(f"not well-formed XML: {error}") from None
    if not reader.done or reader.fill is None:
        raise BadSvg("no <svg> with one <g>")
    return SvgMonster(side, reader.fill, tuple(reader.rects))


def check_svg(data: bytes, side: int) -> None:
    """Raise BadSvg unless data is dnmonster's SVG of exactly side x side."""
    parse_svg(data, side)

"""Sprite packs: the six families of 12x12 parts a monster is drawn from, loaded and validated."""

import hashlib
import json
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GRID = 12
# Drawing order, which is also the order the generator picks them in.
FAMILIES = ("legs", "hair", "arms", "body", "eyes", "mouth")
DEFAULT_PACK = Path(__file__).resolve().parent / "sprites" / "identidock.json"
_MAX_PER_FAMILY = 1024
_ROW_STRIDE = 16  # bits per row in a joined mask, so split_rows is one struct.unpack
_SPLIT = struct.Struct(f">{GRID}H")
#: All cells of the grid, as one joined number (see Sprite).
FULL_MASK = int("".join(["0" * (_ROW_STRIDE - GRID) + "1" * GRID] * GRID), 2)


class SpriteError(ValueError):
    """A sprite pack file that cannot be used, with a message saying where and why."""


@dataclass(frozen=True, slots=True)
class Sprite:
    """One part as bit rows: bit (11 - x) of row y is cell (x, y); `paint` cells take the colour,
    `clear` cells are made transparent again. `paint_bits` and `keep_bits` are the same as one
    number each (join_rows: 16 bits a row, row 0 on top), so composing a part is two integer
    ops: `mask = (mask & keep_bits) | paint_bits`."""

    paint: tuple[int, ...]
    clear: tuple[int, ...]
    paint_bits: int = 0
    keep_bits: int = 0


@dataclass(frozen=True, slots=True)
class SpritePack:
    """The families in drawing order, and a digest of their content (part of every ETag)."""

    families: tuple[tuple[Sprite, ...], ...]
    digest: str
    source: str

    @property
    def counts(self) -> tuple[int, ...]:
        return tuple(len(family) for family in self.families)


def join_rows(rows: list[int] | tuple[int, ...]) -> int:
    """12 rows of 12 bits as one number, 16 bits a row, row 0 in the top bits."""
    joined = 0
    for row in rows:
        joined = joined << _ROW_STRIDE | row
    return joined


def split_rows(joined: int) -> tuple[int, ...]:
    """The inverse of join_rows."""
    return _SPLIT.unpack(joined.to_bytes(_SPLIT.size, "big"))


def _sprite(grid: Any, where: str) -> Sprite:
    if not isinstance(grid, list) or len(grid) != GRID:
        raise SpriteError(f"{where}: expected a list of {GRID} rows")
    paint: list[int] = []
    clear: list[int] = []
    for y, row in enumerate(grid):
        if not isinstance(row, list) or len(row) != GRID:
            raise SpriteError(f"{where} row {y}: expected a list of {GRID} cells")
        p = c = 0
        for x, cell in enumerate(row):
            if type(cell) is not int or cell not in (0, 1, 2):
                raise SpriteError(f"{where} row {y} cell {x}: expected 0, 1 or 2, got {cell!r}")
            bit = 1 << (GRID - 1 - x)
            if cell == 1:
                p |= bit
            elif cell == 2:
                c |= bit
        paint.append(p)
        clear.append(c)
    return Sprite(tuple(paint), tuple(clear), join_rows(paint), ~join_rows(clear) & FULL_MASK)


def parse_pack(data: Any, source: str = "<data>") -> SpritePack:
    """Validate decoded JSON (`{"legs": [grid, ...], ...}`) and build a pack from it."""
    if not isinstance(data, dict):
        raise SpriteError(f"{source}: expected a JSON object with keys {', '.join(FAMILIES)}")
    missing = [f for f in FAMILIES if f not in data]
    unknown = sorted(set(data) - set(FAMILIES))
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown {', '.join(map(str, unknown))}")
        raise SpriteError(f"{source}: {'; '.join(parts)} (need exactly {', '.join(FAMILIES)})")
    families = []
    for family in FAMILIES:
        grids = data[family]
        if not isinstance(grids, list) or not 1 <= len(grids) <= _MAX_PER_FAMILY:
            raise SpriteError(
                f"{source}: {family}: expected a list of 1 to {_MAX_PER_FAMILY} sprites"
            )
        families.append(
            tuple(_sprite(grid, f"{source}: {family}[{n}]") for n, grid in enumerate(grids))
        )
    canonical = json.dumps([data[f] for f in FAMILIES], separators=(",", ":")).encode()
    return SpritePack(tuple(families), hashlib.sha256(canonical).hexdigest(), source)


def load_pack(path: str | Path = DEFAULT_PACK) -> SpritePack:
    """Read and validate a sprite pack file; any problem raises SpriteError with a clear message."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SpriteError(f"{path}: cannot read sprite pack: {exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SpriteError(f"{path}: not valid JSON: {exc}") from exc
    return parse_pack(data, str(path))

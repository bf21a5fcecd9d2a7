"""`python -m dnmonster.contact_sheet [--sprites F] [--out PATH]`: 8x8 monsters in one PNG.

Each tile is the monster dnmonster serves for a well-known name at size 80 (names as sent to
dnmonster; identidock itself sends salted hashes), on a light background so the shapes read.
"""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dnmonster.png import encode_indexed
from dnmonster.render import Monster, draw_monster, layout
from dnmonster.sprites import DEFAULT_PACK, GRID, SpriteError, load_pack

NAMES = (
    "Ada Lovelace", "Alan Turing", "Grace Hopper", "Linus Torvalds",
    "Margaret Hamilton", "Dennis Ritchie", "Ken Thompson", "Barbara Liskov",
    "Donald Knuth", "Edsger Dijkstra", "John McCarthy", "Frances Allen",
    "Tim Berners-Lee", "Radia Perlman", "Guido van Rossum", "Katherine Johnson",
    "Joe Bloggs", "Jane Doe", "John Smith", "Erika Mustermann",
    "Alice", "Bob", "Carol", "Dave",
    "Eve", "Mallory", "Trent", "Peggy",
    "Marie Curie", "Albert Einstein", "Isaac Newton", "Rosalind Franklin",
    "Charles Darwin", "Nikola Tesla", "Emmy Noether", "Richard Feynman",
    "Hedy Lamarr", "Claude Shannon", "John von Neumann", "Sophie Wilson",
    "Bjarne Stroustrup", "James Gosling", "Brendan Eich", "Anders Hejlsberg",
    "Rob Pike", "Ken Iverson", "Niklaus Wirth", "Leslie Lamport",
    "Vint Cerf", "Bob Kahn", "Whitfield Diffie", "Martin Hellman",
    "Ron Rivest", "Adi Shamir", "Leonard Adleman", "Shafi Goldwasser",
    "Solomon Hykes", "Adrian Mouat", "Kevin Gaudin", "Moby Dock",
    "identidock", "dnmonster", "redis", "serverless",
)  # fmt: skip
BACKGROUND = (244, 244, 240)
DEFAULT_OUT = Path("docs/contact-sheet.png")


def _tile_rows(monster: Monster, tile: int, index: int) -> list[bytes]:
    """The tile's rows of palette indices: 0 is the background, `index` the monster colour."""
    dot, off = layout(tile)
    blank = bytes(tile)
    rows = [blank] * off
    for pattern in monster.rows:
        row = bytearray(tile)
        for x in range(GRID):
            if pattern >> (GRID - 1 - x) & 1:
                start = off + x * dot
                row[start : start + dot] = bytes([index]) * dot
        rows.extend([bytes(row)] * dot)
    rows.extend([blank] * (tile - len(rows)))
    return rows


def contact_sheet(
    names: Sequence[str], sprites: Path = DEFAULT_PACK, tile: int = 80, columns: int = 8
) -> bytes:
    """An 8-bit indexed PNG with the monsters for `names`, `columns` to a row."""
    if not 1 <= len(names) <= 255:
        raise ValueError("a contact sheet holds 1 to 255 names (one palette entry each)")
    pack = load_pack(sprites)
    monsters = [draw_monster(name, pack) for name in names]
    palette = [BACKGROUND, *(m.colour for m in monsters)]
    tiles = [_tile_rows(m, tile, n + 1) for n, m in enumerate(monsters)]
    blank_tile = [bytes(tile)] * tile
    lines = (len(tiles) + columns - 1) // columns
    scanlines = []
    for line in range(lines):
        row_tiles = tiles[line * columns : (line + 1) * columns]
        row_tiles += [blank_tile] * (columns - len(row_tiles))
        for y in range(tile):
            scanlines.append(b"\x00" + b"".join(t[y] for t in row_tiles))
    return encode_indexed(columns * tile, lines * tile, 8, palette, b"", scanlines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dnmonster.contact_sheet",
        description="Render monsters for 64 well-known names into one PNG.",
    )
    parser.add_argument("--sprites", type=Path, default=DEFAULT_PACK, help="sprite pack JSON")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"default {DEFAULT_OUT}")
    parser.add_argument("--tile", type=int, default=80, help="side of one monster, 12..256")
    args = parser.parse_args(argv)
    if not 12 <= args.tile <= 256:
        parser.error("--tile must be from 12 to 256")
    try:
        data = contact_sheet(NAMES, args.sprites, args.tile)
    except SpriteError as exc:
        print(f"contact_sheet: {exc}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(NAMES)} monsters, {len(data)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

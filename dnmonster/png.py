"""PNG encoding: monsters as 1-bit indexed PNGs with a transparent palette entry.

Index 0 is (0,0,0) made fully transparent by tRNS, index 1 is the monster colour, so a decoder
expands every pixel to exactly the RGBA the original's 8-bit RGBA PNG holds, at a fraction of the
size. Scanlines are built from cached per-(side, row pattern) bytes and compressed once with zlib.
"""

import struct
import zlib
from collections.abc import Iterable, Sequence
from functools import lru_cache

from dnmonster.render import Monster, layout
from dnmonster.sprites import GRID

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPE_INDEXED = 3
_FILTER_NONE = b"\x00"
_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_ZLIB_LEVEL = 9


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC of type + data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def ihdr(width: int, height: int, bit_depth: int) -> bytes:
    return chunk(
        b"IHDR", struct.pack(">IIBBBBB", width, height, bit_depth, _COLOUR_TYPE_INDEXED, 0, 0, 0)
    )


def encode_indexed(
    width: int,
    height: int,
    bit_depth: int,
    palette: Sequence[tuple[int, int, int]],
    alphas: bytes,
    scanlines: Iterable[bytes],
) -> bytes:
    """An indexed-colour PNG from packed scanlines (each already starting with its filter byte);
    `alphas` gives the tRNS alpha of the first palette entries (the rest are opaque)."""
    plte = b"".join(bytes(rgb) for rgb in palette)
    parts = [_SIGNATURE, ihdr(width, height, bit_depth), chunk(b"PLTE", plte)]
    if alphas:
        parts.append(chunk(b"tRNS", alphas))
    parts.append(chunk(b"IDAT", zlib.compress(b"".join(scanlines), _ZLIB_LEVEL)))
    parts.append(_IEND)
    return b"".join(parts)


@lru_cache(maxsize=64)
def _frame(side: int) -> tuple[bytes, bytes, int, int, int]:
    """Per-side constants: IHDR chunk, an empty scanline, dot, offset and rows below the grid."""
    dot, off = layout(side)
    blank = _FILTER_NONE + bytes((side + 7) // 8)
    return ihdr(side, side, 1), blank, dot, off, side - off - GRID * dot


@lru_cache(maxsize=16384)
def _scanline(side: int, pattern: int) -> bytes:
    """The filter byte plus packed 1-bit pixels of one grid row with cells `pattern` painted."""
    dot, off = layout(side)
    row_bytes = (side + 7) // 8
    bits = 0
    block = (1 << dot) - 1
    tail = row_bytes * 8 - off - GRID * dot  # unpainted pixels (and padding bits) on the right
    for x in range(GRID):
        if pattern >> (GRID - 1 - x) & 1:
            bits |= block << (tail + (GRID - 1 - x) * dot)
    return _FILTER_NONE + bits.to_bytes(row_bytes, "big")


def monster_png(monster: Monster, side: int) -> bytes:
    """The monster as a side x side PNG (side >= 12) that decodes to the original's RGBA pixels."""
    header, blank, dot, off, below = _frame(side)
    rows = [_scanline(side, pattern) * dot for pattern in monster.rows]
    raw = blank * off + b"".join(rows) + blank * below
    r, g, b = monster.colour
    palette = b"\x00\x00\x00" + bytes((r, g, b))
    return b"".join(
        (
            _SIGNATURE,
            header,
            chunk(b"PLTE", palette),
            chunk(b"tRNS", b"\x00"),
            chunk(b"IDAT", zlib.compress(raw, _ZLIB_LEVEL)),
            _IEND,
        )
    )

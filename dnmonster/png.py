"""PNG encoding: monsters as 1-bit indexed PNGs with a transparent palette entry.

Index 0 is (0,0,0) made fully transparent by tRNS, index 1 is the monster colour, so a decoder
expands every pixel to exactly the RGBA the original's 8-bit RGBA PNG holds, at a fraction of the
size. The compressed data is assembled from cached per-(side, row pattern) pieces (deflate.py).
"""

import struct
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from dnmonster import deflate
from dnmonster.deflate import Bits
from dnmonster.render import Monster, layout
from dnmonster.sprites import GRID

_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_COLOUR_TYPE_INDEXED = 3
_FILTER_NONE = b"\x00"
_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"
_ZLIB_LEVEL = 9
# CMF 0x78 (deflate, 32 KiB window), FLG 0x01 (no dictionary; check bits make 0x7801 % 31 == 0).
_ZLIB_HEADER = b"\x78\x01"
_ADLER_MOD = 65521
_PLTE_LENGTH = (6).to_bytes(4, "big")
_IDAT_CRC = zlib.crc32(b"IDAT")
# Raw bytes of grid rows a side's cached pieces may stand for (the pieces are ~1/100 of that).
_PIECE_BUDGET = 1 << 24
# From this side up, zlib data is assembled from per-row pieces (below it zlib is cheap).
_ASSEMBLE_FROM = 32


def chunk(kind: bytes, data: bytes) -> bytes:
    """One PNG chunk: length, type, data, CRC of type + data."""
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


_TRNS = chunk(b"tRNS", b"\x00")  # palette entry 0 fully transparent


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


@dataclass(frozen=True, slots=True)
class _Frame:
    """Per-side constants of monster_png."""

    head: bytes  # signature and IHDR chunk
    line: int  # bytes per scanline, filter byte included
    dot: int
    block: int  # bytes of one grid row: dot scanlines
    top: Bits  # BLOCK_START and the blank scanlines above the grid
    top_bytes: int
    repeat: Bits  # one grid row equal to the previous scanline: a copy of `dot` scanlines
    below: int  # blank scanlines under the grid
    bottom_fresh: Bits  # those after a row with paint
    bottom_copied: Bits  # those after a blank row: a copy
    rows: dict[int, "_Row"]  # grid row pieces by pattern, filled as patterns are met
    max_rows: int  # bound on len(rows): a few MiB of pieces per side at most


@dataclass(frozen=True, slots=True)
class _Row:
    """One grid row (`dot` scanlines) compressed on its own, and its Adler-32 sums."""

    bits: Bits
    size: int
    sum1: int  # sum of the bytes
    sum2: int  # sum of the running sums


@lru_cache(maxsize=16)
def _frame(side: int) -> _Frame:
    dot, off = layout(side)
    line = 1 + (side + 7) // 8
    blank = bytes(line)
    below = side - off - GRID * dot
    top = deflate.BLOCK_START + (deflate.repeated(blank, off) if off else deflate.EMPTY)
    return _Frame(
        head=_SIGNATURE + ihdr(side, side, 1),
        line=line,
        dot=dot,
        block=dot * line,
        top=top,
        top_bytes=off * line,
        repeat=deflate.copy(dot * line, line),
        below=below,
        bottom_fresh=deflate.repeated(blank, below) if below else deflate.EMPTY,
        bottom_copied=deflate.copy(below * line, line),
        rows={},
        max_rows=min(4096, max(256, _PIECE_BUDGET // (dot * line))),
    )


@lru_cache(maxsize=1024)
def _copy(length: int, distance: int) -> Bits:
    return deflate.copy(length, distance)


def _new_row(side: int, pattern: int) -> _Row:
    """Grid row `pattern` at this side: its scanline once, then dot - 1 copies of it."""
    frame = _frame(side)
    data = _scanline(side, pattern) * frame.dot
    adler = zlib.adler32(data)
    size = len(data)
    row = _Row(
        deflate.repeated(_scanline(side, pattern), frame.dot),
        size,
        (adler & 0xFFFF) - 1,
        (adler >> 16) - size,
    )
    if len(frame.rows) >= frame.max_rows:
        frame.rows.clear()  # bounded memory; real packs meet far fewer patterns
    frame.rows[pattern] = row
    return row


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
    if side < _ASSEMBLE_FROM:
        return zlib_png(monster, side)
    return assembled_png(monster, side)


def assembled_png(monster: Monster, side: int) -> bytes:
    """monster_png with the zlib stream assembled from per-row pieces (see deflate.py) and the
    Adler-32 checksum combined from per-row sums: no pixel data is built or compressed."""
    frame = _frame(side)
    value, count = frame.top.value, frame.top.count
    s1 = 0  # Adler-32 with its sums unreduced: a = 1 + s1, b = s2 (reduced at the end)
    s2 = pos = frame.top_bytes
    block = frame.block
    rows = frame.rows
    # Where an earlier block of `dot` equal scanlines starts, by pattern (for copies from it).
    seen = {0: pos - block} if pos >= block else {}
    previous = 0 if pos else -1
    for pattern in monster.rows:
        row = rows.get(pattern) or _new_row(side, pattern)
        if pattern == previous:
            bits = frame.repeat
        elif pattern in seen and pos - seen[pattern] <= deflate.MAX_DISTANCE:
            bits = _copy(block, pos - seen[pattern])
        else:
            bits = row.bits
        value |= bits.value << count
        count += bits.count
        s2 += row.size * (1 + s1) + row.sum2
        s1 += row.sum1
        seen[pattern] = pos
        pos += block
        previous = pattern
    if frame.below:
        if previous == 0:
            bits = frame.bottom_copied
        elif 0 in seen and pos - seen[0] <= deflate.MAX_DISTANCE and frame.below <= frame.dot:
            bits = _copy(frame.below * frame.line, pos - seen[0])
        else:
            bits = frame.bottom_fresh
        value |= bits.value << count
        count += bits.count
        s2 += frame.below * frame.line * (1 + s1)
    value |= deflate.BLOCK_END.value << count
    count += deflate.BLOCK_END.count
    adler = (s2 % _ADLER_MOD) << 16 | (1 + s1) % _ADLER_MOD
    idat = _ZLIB_HEADER + value.to_bytes((count + 7) // 8, "little") + adler.to_bytes(4, "big")
    return _png(frame.head, monster.colour, idat)


def zlib_png(monster: Monster, side: int) -> bytes:
    """monster_png with zlib compressing the whole pixel data: as fast below _ASSEMBLE_FROM, and
    smaller there, where fixed chunk overhead would otherwise make it bigger than RGBA."""
    frame = _frame(side)
    dot, off = layout(side)
    blank = bytes(frame.line)
    raw = blank * off + b"".join([_scanline(side, p) * dot for p in monster.rows])
    return _png(frame.head, monster.colour, zlib.compress(raw + blank * frame.below, _ZLIB_LEVEL))


def _png(head: bytes, colour: tuple[int, int, int], idat: bytes) -> bytes:
    r, g, b = colour
    palette = b"PLTE\x00\x00\x00" + bytes((r, g, b))
    return b"".join(
        (
            head,
            _PLTE_LENGTH,
            palette,
            zlib.crc32(palette).to_bytes(4, "big"),
            _TRNS,
            len(idat).to_bytes(4, "big"),
            b"IDAT",
            idat,
            zlib.crc32(idat, _IDAT_CRC).to_bytes(4, "big"),
            _IEND,
        )
    )

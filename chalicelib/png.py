"""A full check that bytes are one whole, decodable, square PNG of the side we asked for.

What dnmonster answers, and what Redis hands back, is untrusted: a truncated body, garbage with a
PNG signature, a bad CRC, a zlib bomb or a 1024 px monster where 80 was asked must never be
cached or served with `immutable`. This walks every chunk (lengths and CRCs), checks IHDR, that
the IDAT data is one complete zlib stream that inflates to exactly the bytes the IHDR implies
(never more: the inflater is capped) and that every row starts with a valid filter type.
It cannot tell whether the picture is the right monster for the name (see docs/function.md).
"""

from __future__ import annotations

import functools
import struct
import zlib

from chalicelib.errors import BadImage

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_CHUNK_HEAD = struct.Struct(">I4s")
_IHDR = struct.Struct(">IIBBBBB")
_MAX_CHUNK = 2**31 - 1
#: bits per pixel of each (colour type) at bit depth 1, and the depths each type allows.
_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}


class BadPng(BadImage):
    """The bytes are not an acceptable PNG; the message says why (for the log)."""


def _chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, CRCs checked, nothing after IEND."""
    chunks: list[tuple[bytes, bytes]] = []
    at = len(SIGNATURE)
    end = len(data)
    while at < end:
        if end - at < 12:
            raise BadPng("truncated chunk")
        length, kind = _CHUNK_HEAD.unpack_from(data, at)
        body_end = at + 8 + length
        if length > _MAX_CHUNK or body_end + 4 > end:
            raise BadPng(f"chunk {kind!r} runs past the end")
        (crc,) = struct.unpack_from(">I", data, body_end)
        if zlib.crc32(data[at + 4 : body_end]) != crc:
            raise BadPng(f"bad CRC in chunk {kind!r}")
        chunks.append((kind, data[at + 8 : body_end]))
        at = body_end + 4
        if kind == b"IEND":
            break
    if at != end:
        raise BadPng("bytes after IEND")
    return chunks


def _row_bytes(width: int, depth: int, colour: int) -> int:
    return (width * depth * _CHANNELS[colour] + 7) // 8


#: PNGs that passed, kept by value: a warm instance serves the same popular monsters again and
#: again, and a repeat costs a dict lookup (hash and compare of ~200 bytes) instead of the
#: 10-30 µs check. Keyed by the bytes themselves, so only identical bytes skip the check.
CHECKED_PNGS = 256


def check_png(data: bytes, side: int) -> None:
    """Raise BadPng unless data is a complete PNG of exactly side x side pixels."""
    _check_once(data, side)


@functools.lru_cache(maxsize=CHECKED_PNGS)  # a failure raises, so only passes are remembered
def _check_once(data: bytes, side: int) -> None:
    if not data.startswith(SIGNATURE):
        raise BadPng("no PNG signature")
    chunks = _chunks(data)
    if not chunks or chunks[0][0] != b"IHDR" or len(chunks[0][1]) != _IHDR.size:
        raise BadPng("IHDR is not the first chunk")
    if chunks[-1] != (b"IEND", b""):
        raise BadPng("no IEND")
    width, height, depth, colour, compression, filtering, interlace = _IHDR.unpack(chunks[0][1])
    if (width, height) != (side, side):
        raise BadPng(f"{width}x{height} where {side}x{side} was asked")
    if depth not in _DEPTHS.get(colour, ()) or compression or filtering or interlace:
        raise BadPng("unsupported IHDR (colour type, depth, compression, filter or interlace)")
    kinds = [kind for kind, _ in chunks]
    idat = [at for at, kind in enumerate(kinds) if kind == b"IDAT"]
    if not idat or idat[-1] - idat[0] + 1 != len(idat):
        raise BadPng("IDAT chunks missing or not consecutive")
    if colour == 3 and b"PLTE" not in kinds[: idat[0]]:
        raise BadPng("palette image without PLTE")
    stride = 1 + _row_bytes(width, depth, colour)
    expected = stride * height
    inflater = zlib.decompressobj()
    stream = b"".join(body for kind, body in chunks if kind == b"IDAT")
    try:
        pixels = inflater.decompress(stream, expected + 1)
    except zlib.error as error:
        raise BadPng(f"IDAT is not a valid zlib stream: {error}") from None
    if not inflater.eof or inflater.unused_data or len(pixels) != expected:
        raise BadPng("IDAT does not inflate to exactly the image's bytes")
    if max(pixels[::stride]) > 4:
        raise BadPng("a row has an unknown filter type")

"""PNG encoding: valid, indexed with a transparent entry, smaller than RGBA of the same pixels."""

import io
import struct
import zlib

from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from dnmonster.png import assembled_png, encode_indexed, monster_png, zlib_png
from dnmonster.render import draw_monster
from dnmonster.sprites import load_pack

from .conftest import CLASSIC, VECTORS

PACK = load_pack(CLASSIC)


def chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    found, pos = [], 8
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        kind, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(kind + data)
        found.append((kind, data))
        pos += 12 + length
    return found


def rgba_png_like_the_original(rgba: bytes, side: int) -> bytes:
    """The same pixels as an 8-bit RGBA PNG, as the original's node-canvas (libpng) writes."""
    out = io.BytesIO()
    Image.frombytes("RGBA", (side, side), rgba).save(out, format="PNG")
    return out.getvalue()


def test_layout_is_one_bit_indexed_with_one_transparent_entry() -> None:
    png = monster_png(draw_monster("Joe Bloggs", PACK), 80)
    kinds = [kind for kind, _ in chunks(png)]
    assert kinds == [b"IHDR", b"PLTE", b"tRNS", b"IDAT", b"IEND"]
    ihdr, plte, trns = (data for _, data in chunks(png)[:3])
    assert struct.unpack(">IIBBBBB", ihdr) == (80, 80, 1, 3, 0, 0, 0)
    assert plte == bytes([0, 0, 0, 232, 251, 112])
    assert trns == b"\x00"


@given(st.text(max_size=64), st.integers(12, 400))
def test_smaller_than_rgba_and_at_most_two_colours(name: str, side: int) -> None:
    png = monster_png(draw_monster(name, PACK), side)
    image = Image.open(io.BytesIO(png))
    rgba = image.convert("RGBA").tobytes()
    assert len({rgba[i : i + 4] for i in range(0, len(rgba), 4)}) <= 2
    if side < 16:  # both are mostly fixed chunks; some 12 px monsters tie (122 bytes each)
        assert len(png) <= len(rgba_png_like_the_original(rgba, side))
    else:
        assert len(png) < len(rgba_png_like_the_original(rgba, side))


def test_sample_vectors_shrink_more_as_they_grow() -> None:
    for vector in VECTORS:
        side = vector["width"]
        png = monster_png(draw_monster(vector["name"], PACK), side)
        rgba = Image.open(io.BytesIO(png)).convert("RGBA").tobytes()
        factor = 3 if side >= 200 else 1  # small images are mostly fixed chunk overhead
        assert len(png) * factor < len(rgba_png_like_the_original(rgba, side))


def test_encode_indexed_eight_bit_palette() -> None:
    palette = [(10, 20, 30), (200, 100, 50), (1, 2, 3)]
    scanlines = [b"\x00" + bytes([0, 1, 2]), b"\x00" + bytes([2, 1, 0])]
    png = encode_indexed(3, 2, 8, palette, b"\x80", scanlines)
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    assert image.tobytes() == bytes(
        [10, 20, 30, 128, 200, 100, 50, 255, 1, 2, 3, 255,
         1, 2, 3, 255, 200, 100, 50, 255, 10, 20, 30, 128]
    )  # fmt: skip


def idat_raw(png: bytes) -> bytes:
    return zlib.decompress(b"".join(data for kind, data in chunks(png) if kind == b"IDAT"))


# Sizes on both sides of the switch to assembled pieces, up to past the default max-size.
@settings(max_examples=150, deadline=None)
@given(st.text(max_size=64), st.integers(12, 40) | st.integers(12, 1100))
def test_assembled_stream_holds_exactly_zlibs_pixel_data(name: str, side: int) -> None:
    monster = draw_monster(name, PACK)
    assembled, compressed = assembled_png(monster, side), zlib_png(monster, side)
    assert idat_raw(assembled) == idat_raw(compressed)
    assert [kind for kind, _ in chunks(assembled)] == [kind for kind, _ in chunks(compressed)]
    assert chunks(assembled)[:3] == chunks(compressed)[:3]  # IHDR, PLTE, tRNS


def test_monster_png_switches_encoder_by_side() -> None:
    monster = draw_monster("Joe Bloggs", PACK)
    assert monster_png(monster, 31) == zlib_png(monster, 31)
    assert monster_png(monster, 32) == assembled_png(monster, 32)
    assert monster_png(monster, 1024) == assembled_png(monster, 1024)

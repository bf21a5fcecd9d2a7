"""The PNG check: every way an answer can be broken is refused, real monsters pass."""

from __future__ import annotations

import contextlib
import io
import struct
import zlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from chalicelib import png as png_module
from chalicelib.png import SIGNATURE, BadPng, check_png
from tests.support.upstream import make_png


def chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_of(side: int, idat: bytes, *, extra: bytes = b"", ihdr: bytes | None = None) -> bytes:
    header = ihdr or struct.pack(">IIBBBBB", side, side, 8, 6, 0, 0, 0)
    return SIGNATURE + chunk(b"IHDR", header) + extra + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def pillow_png(side: int, mode: str = "RGBA") -> bytes:
    out = io.BytesIO()
    Image.new(mode, (side, side)).save(out, "PNG")
    return out.getvalue()


@pytest.mark.parametrize("mode", ["RGBA", "RGB", "L", "1", "P", "LA"])
def test_real_pngs_pass(mode: str) -> None:
    check_png(pillow_png(80, mode), 80)
    check_png(make_png(12), 12)


def test_dnmonster_pngs_pass(dnmonster_png: bytes) -> None:
    check_png(dnmonster_png, 80)


@pytest.fixture
def dnmonster_png() -> bytes:
    from dnmonster.images import Images
    from dnmonster.sprites import load_pack

    return Images(load_pack()).body("a" * 64, 80, "png")


ROW = b"\x00" + b"\x01\x02\x03\x04" * 12


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "signature"),
        (b"<html>" + make_png(), "signature"),
        (make_png()[:-1], "truncated|past the end"),
        (make_png() + b"x", "after IEND"),
        (make_png(13), "13x13 where 12x12"),
        (png_of(12, b"garbage-not-zlib"), "zlib"),
        (png_of(12, zlib.compress(ROW * 11)), "exactly"),  # one row short
        (png_of(12, zlib.compress(ROW * 12 + b"\x00")), "exactly"),  # a byte too many
        (png_of(12, zlib.compress(ROW * 12)[:-3]), "exactly|zlib"),  # stream not finished
        (png_of(12, zlib.compress(b"\x07" + ROW[1:] + ROW * 11)), "filter"),
        (png_of(12, zlib.compress(b"\x00" * 10**6)), "exactly"),  # a small bomb stays small
        (png_of(12, b"", ihdr=struct.pack(">IIBBBBB", 12, 12, 8, 6, 0, 0, 1)), "interlace"),
        (png_of(12, b"", ihdr=struct.pack(">IIBBBBB", 12, 12, 3, 6, 0, 0, 0)), "IHDR"),
        (
            SIGNATURE
            + chunk(b"IHDR", struct.pack(">IIBBBBB", 12, 12, 8, 6, 0, 0, 0))
            + chunk(b"IEND", b""),
            "IDAT",
        ),  # no IDAT
    ],
)
def test_broken_pngs_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(BadPng, match=reason):
        check_png(data, 12)


def test_a_bad_crc_is_refused() -> None:
    good = make_png()
    at = good.index(b"IDAT") + 6
    broken = good[:at] + bytes([good[at] ^ 1]) + good[at + 1 :]
    with pytest.raises(BadPng, match="CRC"):
        check_png(broken, 12)


def test_palette_without_plte_is_refused() -> None:
    header = struct.pack(">IIBBBBB", 12, 12, 1, 3, 0, 0, 0)
    data = png_of(12, zlib.compress((b"\x00" + b"\x00\x00") * 12), ihdr=header)
    with pytest.raises(BadPng, match="PLTE"):
        check_png(data, 12)


@given(st.binary(max_size=400), st.integers(min_value=0, max_value=400))
def test_arbitrary_bytes_never_crash(tail: bytes, cut: int) -> None:
    data = (make_png() + tail)[: cut or None]
    with contextlib.suppress(BadPng):
        check_png(data, 12)


def test_a_repeat_of_identical_bytes_skips_the_check_and_only_identical_bytes_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The checked-PNG cache (issue 12, the hit path): keyed by the bytes themselves."""
    inflations: list[int] = []
    real_decompressobj = zlib.decompressobj

    def counting_decompressobj(*args: object) -> object:
        inflations.append(1)
        return real_decompressobj(*args)

    monkeypatch.setattr(png_module.zlib, "decompressobj", counting_decompressobj)
    good = pillow_png(41, "RGB")  # a size no other test uses: not cached yet
    check_png(good, 41)
    check_png(good, 41)
    assert len(inflations) == 1
    check_png(bytes(good), 41)  # equal bytes, another object: still a repeat
    assert len(inflations) == 1
    broken = bytearray(good)
    broken[-20] ^= 0xFF  # inside IDAT or its CRC
    with pytest.raises(BadPng):
        check_png(bytes(broken), 41)
    with pytest.raises(BadPng):  # a failure is never remembered as a pass
        check_png(bytes(broken), 41)

"""The fast renderer draws exactly the original's monsters: sample vectors and any name/size."""

import hashlib
import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from dnmonster import reference
from dnmonster.png import monster_png
from dnmonster.render import draw_monster
from dnmonster.sprites import load_pack

from .conftest import CLASSIC, VECTORS

PACK = load_pack(CLASSIC)
FAMILIES = reference.load_families(CLASSIC)


def decode_rgba(png: bytes) -> tuple[tuple[int, int], bytes]:
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.size, image.convert("RGBA").tobytes()


def side_for(size_param: int | None) -> int:
    return max(20 if size_param is None else size_param, 12)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['name']!r}-{v['size_param']}")
def test_reference_draws_the_sample_vectors(vector: dict) -> None:
    rgba = reference.draw_rgba(vector["name"], side_for(vector["size_param"]), FAMILIES)
    assert hashlib.sha256(rgba).hexdigest() == vector["rgba_sha256"]


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['name']!r}-{v['size_param']}")
def test_fast_png_decodes_to_the_sample_vectors(vector: dict) -> None:
    side = side_for(vector["size_param"])
    (width, height), rgba = decode_rgba(monster_png(draw_monster(vector["name"], PACK), side))
    assert (width, height) == (vector["width"], vector["height"])
    assert hashlib.sha256(rgba).hexdigest() == vector["rgba_sha256"]
    colours = {rgba[i : i + 4] for i in range(0, len(rgba), 4)} - {bytes(4)}
    assert [list(c) for c in colours] == vector["opaque_colours"]


names = st.text() | st.text(min_size=257, max_size=400) | st.text("ab🐳é\x00", max_size=40)


@settings(max_examples=150, deadline=None)
@given(names, st.integers(0, 300))
def test_fast_equals_reference_for_any_name_and_size(name: str, size: int) -> None:
    side = max(size, 12)
    (width, height), rgba = decode_rgba(monster_png(draw_monster(name, PACK), side))
    assert (width, height) == (side, side)
    assert rgba == reference.draw_rgba(name, side, FAMILIES)

"""Loading and validating sprite packs."""

import copy
import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnmonster.sprites import (
    FAMILIES,
    SpriteError,
    join_rows,
    load_pack,
    parse_pack,
    split_rows,
)

from .conftest import CLASSIC


def classic_data() -> dict:
    return json.loads(CLASSIC.read_text(encoding="utf-8"))


def test_classic_pack_loads_in_drawing_order() -> None:
    pack = load_pack(CLASSIC)
    assert pack.counts == (10, 10, 10, 10, 8, 8)
    data = classic_data()
    first_legs = pack.families[0][0]
    for y in range(12):
        for x in range(12):
            cell = data["legs"][0][y][x]
            bit = 1 << (11 - x)
            assert bool(first_legs.paint[y] & bit) == (cell == 1)
            assert bool(first_legs.clear[y] & bit) == (cell == 2)


def test_digest_follows_content_not_formatting(tmp_path: Path) -> None:
    data = classic_data()
    spaced = tmp_path / "spaced.json"
    spaced.write_text(json.dumps(dict(reversed(list(data.items()))), indent=2))
    assert load_pack(spaced).digest == load_pack(CLASSIC).digest
    data["mouth"][0][0][0] = 1 - data["mouth"][0][0][0]
    assert parse_pack(data).digest != load_pack(CLASSIC).digest


def _broken(change) -> dict:
    data = copy.deepcopy(classic_data())
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("eyes"), "missing eyes"),
        (lambda d: d.update(tail=d["legs"]), "unknown tail"),
        (lambda d: d.update(legs=[]), "legs: expected a list of 1 to"),
        (lambda d: d["hair"][2].pop(), "hair[2]: expected a list of 12 rows"),
        (lambda d: d["arms"][1][4].pop(), "arms[1] row 4: expected a list of 12 cells"),
        (lambda d: d["body"][0][3].__setitem__(5, 3), "body[0] row 3 cell 5: expected 0, 1 or 2"),
        (lambda d: d["body"][0][3].__setitem__(5, True), "got True"),
        (lambda d: d["mouth"][0][0].__setitem__(0, "1"), "got '1'"),
    ],
)
def test_bad_packs_are_rejected_with_where_and_why(change, message: str) -> None:
    with pytest.raises(SpriteError, match=message.replace("[", r"\[").replace("]", r"\]")):
        parse_pack(_broken(change), "pack.json")


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(SpriteError, match="cannot read sprite pack"):
        load_pack(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SpriteError, match="not valid JSON"):
        load_pack(bad)
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(SpriteError, match=", ".join(FAMILIES)):
        load_pack(listed)


@given(st.lists(st.integers(0, 4095), min_size=12, max_size=12))
def test_joined_rows_split_back(rows: list[int]) -> None:
    assert split_rows(join_rows(rows)) == tuple(rows)


def test_joined_masks_compose_like_the_row_rules() -> None:
    """(mask & keep_bits) | paint_bits, row by row, is (row & ~clear) | paint."""
    pack = load_pack(CLASSIC)
    rows = [0b101010101010] * 12
    for family in pack.families:
        for sprite in family:
            joined = (join_rows(rows) & sprite.keep_bits) | sprite.paint_bits
            expected = [
                (row & ~clear) | paint
                for row, paint, clear in zip(rows, sprite.paint, sprite.clear, strict=True)
            ]
            assert split_rows(joined) == tuple(expected)

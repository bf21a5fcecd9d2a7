"""Loading and validating sprite packs."""

import copy
import json
from pathlib import Path

import pytest

from dnmonster.sprites import FAMILIES, SpriteError, load_pack, parse_pack

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

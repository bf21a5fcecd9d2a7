"""`python -m dnmonster.contact_sheet` renders the monsters it names, tile by tile."""

import io
import subprocess
import sys
from pathlib import Path

from PIL import Image

from dnmonster.contact_sheet import BACKGROUND, NAMES
from dnmonster.png import monster_png
from dnmonster.render import draw_monster
from dnmonster.sprites import load_pack

from .conftest import CLASSIC, PROJECT


def test_contact_sheet_tiles_are_the_served_monsters(tmp_path: Path) -> None:
    out = tmp_path / "sheet.png"
    result = subprocess.run(
        [sys.executable, "-m", "dnmonster.contact_sheet", "--sprites", str(CLASSIC),
         "--out", str(out), "--tile", "40"],
        cwd=PROJECT, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert str(out) in result.stdout
    sheet = Image.open(out).convert("RGBA")
    assert len(NAMES) == 64
    assert sheet.size == (8 * 40, 8 * 40)
    pack = load_pack(CLASSIC)
    for n, name in enumerate(NAMES):
        tile = sheet.crop((n % 8 * 40, n // 8 * 40, n % 8 * 40 + 40, n // 8 * 40 + 40))
        served = Image.open(io.BytesIO(monster_png(draw_monster(name, pack), 40)))
        expected = Image.new("RGBA", (40, 40), (*BACKGROUND, 255))
        expected.alpha_composite(served.convert("RGBA"))
        assert tile.tobytes() == expected.tobytes(), name


def test_bad_pack_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dnmonster.contact_sheet", "--sprites", str(tmp_path / "no.json"),
         "--out", str(tmp_path / "x.png")],
        cwd=PROJECT, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 2
    assert "cannot read sprite pack" in result.stderr
    assert not (tmp_path / "x.png").exists()


def test_readme_sheet_is_current() -> None:
    """docs/contact-sheet.png (shown in the README) is what the default pack draws today."""
    from dnmonster.contact_sheet import DEFAULT_OUT, contact_sheet

    committed = PROJECT / DEFAULT_OUT
    assert committed.read_bytes() == contact_sheet(NAMES), (
        "regenerate it: .venv/bin/python -m dnmonster.contact_sheet"
    )

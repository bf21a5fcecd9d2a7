"""The shipped sprite pack (dnmonster/sprites/identidock.json): our own art, at least as rich as
the classic pack, and drawn so every combination is a monster with a face and attached limbs.

Painting order is legs, hair, arms, body, eyes, mouth: 1 paints, 2 clears, 0 leaves. Limbs and hair
are painted before the body, so only their cells the body leaves uncovered are seen; eyes and mouth
are painted after it, so their 2s carve holes in it."""

import json
import math
from collections.abc import Iterator
from itertools import product
from pathlib import Path

import pytest

HERE = Path(__file__).resolve()
PACK_PATH = HERE.parents[1] / "sprites" / "identidock.json"
CLASSIC_PATH = HERE.parents[2].parent / "shared" / "dnmonster" / "classic-sprites.json"

FAMILIES = ["legs", "hair", "arms", "body", "eyes", "mouth"]
MIN_COUNTS = {"legs": 10, "hair": 10, "arms": 10, "body": 10, "eyes": 8, "mouth": 8}
GRID = 12

Grid = list[list[int]]
Cell = tuple[int, int]


def _load(path: Path) -> dict[str, list[Grid]]:
    return json.loads(path.read_text(encoding="utf-8"))


PACK = _load(PACK_PATH)
CLASSIC = _load(CLASSIC_PATH)


def cells(grid: Grid, value: int) -> set[Cell]:
    return {(r, c) for r in range(GRID) for c in range(GRID) if grid[r][c] == value}


def neighbours(cell: Cell, diagonal: bool) -> Iterator[Cell]:
    r, c = cell
    for dr, dc in product((-1, 0, 1), repeat=2):
        if (dr or dc) and (diagonal or not (dr and dc)):
            yield r + dr, c + dc


def components(points: set[Cell]) -> list[set[Cell]]:
    """8-connected groups of cells (pixel art reads a diagonal step as joined)."""
    left, groups = set(points), []
    while left:
        stack = [left.pop()]
        group = set(stack)
        while stack:
            for n in neighbours(stack.pop(), diagonal=True):
                if n in left:
                    left.remove(n)
                    group.add(n)
                    stack.append(n)
        groups.append(group)
    return groups


def translations(grid: Grid) -> Iterator[Grid]:
    """Every shift of the sprite that keeps all its non-zero cells on the grid."""
    filled = [(r, c) for r in range(GRID) for c in range(GRID) if grid[r][c]]
    rows = [r for r, _ in filled] or [0]
    cols = [c for _, c in filled] or [0]
    for dr in range(-min(rows), GRID - max(rows)):
        for dc in range(-min(cols), GRID - max(cols)):
            moved = [[0] * GRID for _ in range(GRID)]
            for r, c in filled:
                moved[r + dr][c + dc] = grid[r][c]
            yield moved


def outside(painted: set[Cell]) -> set[Cell]:
    """Unpainted cells reachable from the canvas edge without crossing paint (4-connected)."""
    edge = [
        (r, c)
        for r in range(GRID)
        for c in range(GRID)
        if (r in (0, GRID - 1) or c in (0, GRID - 1)) and (r, c) not in painted
    ]
    seen, stack = set(edge), list(edge)
    while stack:
        for n in neighbours(stack.pop(), diagonal=False):
            if 0 <= n[0] < GRID and 0 <= n[1] < GRID and n not in painted and n not in seen:
                seen.add(n)
                stack.append(n)
    return seen


def test_families_are_in_drawing_order() -> None:
    assert list(PACK) == FAMILIES


@pytest.mark.parametrize("family", FAMILIES)
def test_every_sprite_is_a_12x12_grid_of_0_1_2(family: str) -> None:
    for n, grid in enumerate(PACK[family]):
        assert len(grid) == GRID, f"{family}[{n}] has {len(grid)} rows"
        for r, row in enumerate(grid):
            assert len(row) == GRID, f"{family}[{n}] row {r} has {len(row)} cells"
            assert all(type(v) is int and v in (0, 1, 2) for v in row), f"{family}[{n}] row {r}"


@pytest.mark.parametrize("family", FAMILIES)
def test_each_family_has_at_least_as_many_sprites_as_the_classic_pack(family: str) -> None:
    assert len(PACK[family]) >= max(MIN_COUNTS[family], len(CLASSIC[family]))


def test_at_least_as_many_combinations_as_the_classic_pack() -> None:
    ours = math.prod(len(PACK[f]) for f in FAMILIES)
    assert ours >= math.prod(len(CLASSIC[f]) for f in FAMILIES)
    assert ours >= 10 * 10 * 10 * 10 * 8 * 8


@pytest.mark.parametrize("family", FAMILIES)
def test_no_duplicate_sprites_within_a_family(family: str) -> None:
    keys = [json.dumps(grid) for grid in PACK[family]]
    assert len(set(keys)) == len(keys)


@pytest.mark.parametrize("family", FAMILIES)
def test_no_sprite_is_a_classic_sprite_even_when_shifted(family: str) -> None:
    classic = {json.dumps(moved) for grid in CLASSIC[family] for moved in translations(grid)}
    classic |= {json.dumps(grid) for f in FAMILIES for grid in CLASSIC[f]}
    copies = [n for n, grid in enumerate(PACK[family]) if json.dumps(grid) in classic]
    assert not copies, f"{family} sprites {copies} copy classic art"


@pytest.mark.parametrize("family", ["eyes", "mouth"])
def test_face_parts_only_carve(family: str) -> None:
    for n, grid in enumerate(PACK[family]):
        assert cells(grid, 2), f"{family}[{n}] carves nothing"
        assert not cells(grid, 1), f"{family}[{n}] paints cells (faces are holes in the body)"


@pytest.mark.parametrize("body_index", range(len(PACK["body"])))
def test_every_face_lands_on_the_body_as_enclosed_holes(body_index: int) -> None:
    """Each eyes x mouth carves only painted body cells, leaves holes the body surrounds (not
    notches in its outline), and keeps eyes and mouth apart so both read as features."""
    body = cells(PACK["body"][body_index], 1)
    for (e, eyes), (m, mouth) in product(enumerate(PACK["eyes"]), enumerate(PACK["mouth"])):
        where = f"body[{body_index}] eyes[{e}] mouth[{m}]"
        eye_holes, mouth_holes = cells(eyes, 2), cells(mouth, 2)
        assert eye_holes <= body, f"{where}: eyes carve off the body"
        assert mouth_holes <= body, f"{where}: mouth carves off the body"
        painted = body - eye_holes - mouth_holes
        escaped = (eye_holes | mouth_holes) & outside(painted)
        assert not escaped, f"{where}: holes {sorted(escaped)} open onto the outline"
        touching = {n for cell in eye_holes for n in neighbours(cell, diagonal=False)}
        assert not touching & mouth_holes, f"{where}: eyes run into the mouth"


@pytest.mark.parametrize(("family", "min_seen"), [("legs", 3), ("hair", 3), ("arms", 2)])
def test_limbs_and_hair_show_and_stay_attached_on_every_body(family: str, min_seen: int) -> None:
    """What the body leaves uncovered is enough to see (arms: on both sides) and every visible
    piece touches the body."""
    for (n, part), (b, body_grid) in product(enumerate(PACK[family]), enumerate(PACK["body"])):
        where = f"{family}[{n}] on body[{b}]"
        body = cells(body_grid, 1)
        seen = cells(part, 1) - body
        if family == "arms":
            left = sum(c < GRID // 2 for _, c in seen)
            right = len(seen) - left
            assert min(left, right) >= min_seen, f"{where}: {left} left, {right} right visible"
        else:
            assert len(seen) >= min_seen, f"{where}: only {len(seen)} cells visible"
        for piece in components(seen):
            near = {n for cell in piece for n in neighbours(cell, diagonal=True)}
            assert near & body, f"{where}: {sorted(piece)} floats off the body"

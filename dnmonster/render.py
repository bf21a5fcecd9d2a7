"""Name -> monster: the generator's picks composed into a 12x12 bit mask and one colour."""

from dataclasses import dataclass
from functools import lru_cache

from dnmonster.prng import seeded
from dnmonster.sprites import GRID, SpritePack, split_rows

MIN_SIDE = GRID


@dataclass(frozen=True, slots=True)
class Monster:
    """Bit (11 - x) of rows[y] set means cell (x, y) is painted in `colour`; else transparent."""

    rows: tuple[int, ...]
    colour: tuple[int, int, int]


def layout(side: int) -> tuple[int, int]:
    """(dot, offset) of the 12x12 grid on a side x side canvas, as the original centres it."""
    dot = side // GRID
    return dot, (side - GRID * dot + 1) // 2


def draw_monster(name: str, pack: SpritePack) -> Monster:
    """Pick parts and colour for a name the way the original does, then compose the parts."""
    rng = seeded(name)
    mask = 0
    for family in pack.families:
        sprite = family[int(rng.random() * len(family))]
        mask = (mask & sprite.keep_bits) | sprite.paint_bits
    red = int(rng.random() * 200) + 55
    green = int(rng.random() * 200) + 55
    blue = int(rng.random() * 200) + 55
    return Monster(split_rows(mask), (red, green, blue))


class MonsterCache:
    """draw_monster for one pack, remembering recent names (identidock asks for the same ones)."""

    def __init__(self, pack: SpritePack, maxsize: int = 4096) -> None:
        self.pack = pack
        self.get = lru_cache(maxsize=maxsize)(self._draw)

    def _draw(self, name: str) -> Monster:
        return draw_monster(name, self.pack)

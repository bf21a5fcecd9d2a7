"""A deliberately literal, slow port of the original dnmonster drawing, for tests and the benchmark.

It follows the algorithm step by step as the JavaScript runs it (seedrandom's mixkey and ARC4 with
JS number semantics, then fillRect/clearRect on an RGBA canvas) and shares no code with the fast
path in prng.py / render.py / png.py, so comparing the two is a real check. Never used to serve.
"""

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

FAMILIES = ("legs", "hair", "arms", "body", "eyes", "mouth")


class _JsArc4:
    def __init__(self, key: list[int]) -> None:
        keylen = len(key)
        if not keylen:
            key = [0]
            keylen = 1
        self.i = 0
        self.j = 0
        self.S = list(range(256))
        j = 0
        for i in range(256):
            t = self.S[i]
            j = 255 & (j + key[i % keylen] + t)
            self.S[i] = self.S[j]
            self.S[j] = t
        self.g(256)

    def g(self, count: int) -> float:
        r = 0.0
        i, j, s = self.i, self.j, self.S
        while count:
            count -= 1
            i = 255 & (i + 1)
            t = s[i]
            j = 255 & (j + t)
            s[i] = s[j]
            s[j] = t
            r = r * 256 + s[255 & (s[i] + s[j])]
        self.i, self.j = i, j
        return r


def _mixkey(seed: str) -> list[int]:
    units = [
        int.from_bytes(seed.encode("utf-16-le")[k : k + 2], "little")
        for k in range(0, len(seed.encode("utf-16-le")), 2)
    ]
    key: dict[int, int] = {}
    smear = 0
    j = 0
    while j < len(units):
        old = key.get(255 & j)
        smear ^= 0 if old is None else old * 19  # undefined * 19 is NaN, and NaN ^ s == s
        key[255 & j] = 255 & (smear + units[j])
        j += 1
    return [key[k] for k in range(len(key))]


def _prng(name: str) -> Callable[[], float]:
    arc4 = _JsArc4(_mixkey(name))

    def draw() -> float:
        n = arc4.g(6)
        d = 2.0**48
        x = 0.0
        while n < 2.0**52:
            n = (n + x) * 256
            d *= 256
            x = arc4.g(1)
        while n >= 2.0**53:
            n /= 2
            d /= 2
            x = float(int(x) >> 1)
        return (n + x) / d

    return draw


def load_families(path: str | Path) -> dict[str, list[Any]]:
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    return {family: data[family] for family in FAMILIES}


def draw_rgba(name: str, side: int, families: dict[str, list[Any]]) -> bytes:
    """The RGBA pixels (row-major, top-left first) the original draws for a name on a side x side
    canvas; side is already max(size, 12)."""
    draw = _prng(name)
    picks = [families[f][math.floor(draw() * len(families[f]))] for f in FAMILIES]
    colour = [math.floor(draw() * 200) + 55 for _ in range(3)]
    canvas = [[(0, 0, 0, 0)] * side for _ in range(side)]
    dot = side // 12
    off = math.floor((side - 12 * dot) / 2 + 0.5)
    for sprite in picks:
        for y in range(12):
            for x in range(12):
                cell = sprite[y][x]
                if cell == 0:
                    continue
                fill = (colour[0], colour[1], colour[2], 255) if cell == 1 else (0, 0, 0, 0)
                for py in range(off + y * dot, off + (y + 1) * dot):
                    for px in range(off + x * dot, off + (x + 1) * dot):
                        canvas[py][px] = fill
    return bytes(v for row in canvas for pixel in row for v in pixel)

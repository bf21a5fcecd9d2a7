"""Port of seedrandom 2.3.11's ARC4 generator, as the original dnmonster seeds it with a name.

The original is JavaScript, so every draw is a double built from generator bytes; Python floats
are IEEE doubles with the same rounding, so the float arithmetic below reproduces JS exactly.
"""

import sys
from array import array

_WIDTH = 256
_MASK = 255
_START_DENOM = float(2**48)
_SIGNIFICANCE = float(2**52)
_OVERFLOW = float(2**53)
# Bytes produced up front: nine draws need 63 in the common case; more are made on demand.
_BATCH = 72
# i's walk through the discarded first 256 bytes: 1, 2, ..., 255, 0.
_DISCARD_WALK = (*range(1, _WIDTH), 0)


def utf16_units(name: str) -> array:
    """The name's UTF-16 code units (astral characters become surrogate pairs), as JS sees them."""
    units = array("H", name.encode("utf-16-le"))
    if sys.byteorder == "big":
        units.byteswap()
    return units


def mix_key(name: str) -> list[int]:
    """seedrandom's mixkey(): the ARC4 key (1 to 256 bytes) for a name."""
    key: list[int] = []
    smear = 0
    for j, unit in enumerate(utf16_units(name)):
        k = j & _MASK
        if k < len(key):
            smear ^= key[k] * 19
            key[k] = (smear + unit) & _MASK
        else:
            key.append((smear + unit) & _MASK)
    return key or [0]


class Arc4:
    """seedrandom's ARC4: RC4 key schedule, then the first 256 output bytes thrown away."""

    __slots__ = ("_buf", "_i", "_j", "_pos", "_s")

    def __init__(self, key: list[int]) -> None:
        keylen = len(key)
        full_key = key * (_WIDTH // keylen + 1) if keylen < _WIDTH else key
        s = list(range(_WIDTH))
        j = 0
        for i in range(_WIDTH):
            t = s[i]
            j = (j + full_key[i] + t) & _MASK
            s[i] = s[j]
            s[j] = t
        j = 0
        for i in _DISCARD_WALK:
            t = s[i]
            j = (j + t) & _MASK
            s[i] = s[j]
            s[j] = t
        self._s = s
        self._i = 0
        self._j = j
        self._buf = bytearray()
        self._pos = 0
        self._fill(_BATCH)

    def _fill(self, count: int) -> None:
        s = self._s
        i = self._i
        j = self._j
        out = bytearray(count)
        for n in range(count):
            i = (i + 1) & _MASK
            t = s[i]
            j = (j + t) & _MASK
            s[i] = sj = s[j]
            s[j] = t
            out[n] = s[(sj + t) & _MASK]
        self._i = i
        self._j = j
        self._buf += out

    def g(self, count: int) -> int:
        """The next `count` output bytes as one big-endian integer (seedrandom's arc4.g)."""
        pos = self._pos
        end = pos + count
        if end > len(self._buf):
            self._fill(end - len(self._buf) + _BATCH)
        self._pos = end
        return int.from_bytes(self._buf[pos:end], "big")

    def random(self) -> float:
        """One draw in [0, 1), with seedrandom's exact float arithmetic."""
        n = float(self.g(6))
        d = _START_DENOM
        x = 0
        while n < _SIGNIFICANCE:
            n = (n + x) * 256.0
            d *= 256.0
            x = self.g(1)
        while n >= _OVERFLOW:
            n /= 2.0
            d /= 2.0
            x >>= 1
        return (n + x) / d


def seeded(name: str) -> Arc4:
    """The generator the original creates with `Math.seedrandom(name)`."""
    return Arc4(mix_key(name))

"""Port of seedrandom 2.3.11's ARC4 generator, as the original dnmonster seeds it with a name.

The original is JavaScript, so every draw is a double built from generator bytes; Python floats
are IEEE doubles with the same rounding, so the float arithmetic below reproduces JS exactly.

Two keystreams feed the same draw arithmetic: OpenSSL's RC4 through `cryptography` (fast: about
4 us to seed, against about 50 us for the key schedule and the 256 discarded bytes in Python),
and the pure-Python port (`Arc4`), used when OpenSSL's RC4 is unavailable or fails its self-check.
"""

import sys
from array import array
from typing import Any

_WIDTH = 256
_MASK = 255
_START_DENOM = float(2**48)
_SIGNIFICANCE = float(2**52)
_OVERFLOW = float(2**53)
# Bytes produced up front: nine draws need 63 in the common case; more are made on demand.
_BATCH = 72
# i's walk through the discarded first 256 bytes: 1, 2, ..., 255, 0.
_DISCARD_WALK = (*range(1, _WIDTH), 0)
_DROPPED_AND_BATCH = bytes(_WIDTH + _BATCH)
# A 7-byte value at least this big (first byte >= 16) ends seedrandom's first loop at once.
_FAST_FLOOR = 1 << 52
_POW2 = tuple(float(2**e) for e in range(57))


def utf16_units(name: str) -> "array[int]":
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


def key_bytes(name: str) -> bytes:
    """mix_key(name) as bytes, quickly for names of at most 256 UTF-16 units.

    Until a key slot is revisited (unit 257 on) the smear stays 0, so the key is just the low
    byte of every unit: for an ASCII name, the name's own bytes (identidock's 64-hex names)."""
    if len(name) <= _WIDTH and name.isascii():
        return name.encode("ascii") or b"\x00"
    units = name.encode("utf-16-le")
    if len(units) <= 2 * _WIDTH:
        return units[::2] or b"\x00"
    return bytes(mix_key(name))


class _Draws:
    """seedrandom's draw arithmetic over a keystream; subclasses supply the bytes (`_more`)."""

    __slots__ = ("_buf", "_pos")

    def __init__(self, first: bytes) -> None:
        self._buf = first
        self._pos = 0

    def _more(self, count: int) -> bytes:
        raise NotImplementedError

    def g(self, count: int) -> int:
        """The next `count` output bytes as one big-endian integer (seedrandom's arc4.g)."""
        pos = self._pos
        end = pos + count
        if end > len(self._buf):
            self._buf += self._more(end - len(self._buf) + _BATCH)
        self._pos = end
        return int.from_bytes(self._buf[pos:end], "big")

    def random(self) -> float:
        """One draw in [0, 1), with seedrandom's exact float arithmetic.

        Common case first (15 draws in 16): the first byte is 16 or more, so the draw takes
        exactly 7 bytes v and equals v / 2**56 cut to 53 significant bits, which the JS loop
        computes exactly (every intermediate is an integer below 2**53 or a power of two)."""
        pos = self._pos
        if pos + 7 <= len(self._buf):
            v = int.from_bytes(self._buf[pos : pos + 7], "big")
            if v >= _FAST_FLOOR:
                self._pos = pos + 7
                k = v.bit_length() - 53
                if k > 0:
                    return (v >> k) / _POW2[56 - k]
                return v / _POW2[56]
        return self._slow_random()

    def _slow_random(self) -> float:
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


class Arc4(_Draws):
    """seedrandom's ARC4 in Python: RC4 key schedule, then the first 256 output bytes dropped."""

    __slots__ = ("_i", "_j", "_s")

    def __init__(self, key: list[int] | bytes) -> None:
        keylen = len(key)
        full_key = list(key) * (_WIDTH // keylen + 1) if keylen < _WIDTH else list(key)
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
        super().__init__(b"")
        self._buf = self._more(_BATCH)

    def _more(self, count: int) -> bytes:
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
        return bytes(out)


def _openssl_rc4() -> Any:
    """A factory of RC4 encryptors from OpenSSL, or None when this cryptography has none.

    cryptography's Python wrapper only admits 40..256-bit RC4 keys, but OpenSSL's RC4 takes any
    1..256-byte key, and a name's key is often 64 bytes. So the key-size check in the wrapper's
    constructor is skipped and the result is verified: `_self_check` below, and the tests."""
    try:
        from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
        from cryptography.hazmat.primitives.ciphers import Cipher
    except ImportError:
        return None

    def encryptor(key: bytes) -> Any:
        algorithm = ARC4.__new__(ARC4)
        algorithm.key = key
        return Cipher(algorithm, mode=None).encryptor()

    return encryptor


class OpenSslArc4(_Draws):
    """The same keystream as Arc4, from OpenSSL's RC4 (through `cryptography`)."""

    __slots__ = ("_rc4",)

    def __init__(self, key: bytes) -> None:
        rc4 = _RC4_ENCRYPTOR(key)  # only built when OPENSSL_RC4, so never None here
        self._rc4 = rc4
        super().__init__(rc4.update(_DROPPED_AND_BATCH)[_WIDTH:])

    def _more(self, count: int) -> bytes:
        return bytes(self._rc4.update(bytes(count)))


def _self_check() -> bool:
    """OpenSSL's keystream equals the Python port's for short, odd, 64- and 256-byte keys."""
    if _RC4_ENCRYPTOR is None:
        return False
    try:
        for key in (b"\x00", b"ab", b"dnmonster", bytes(range(64)), bytes(range(255, -1, -1))):
            fast, slow = OpenSslArc4(key), Arc4(key)
            if fast.g(_BATCH + 9) != slow.g(_BATCH + 9):
                return False
    except Exception:  # any refusal (e.g. a future key check in Rust) means: use the Python port
        return False
    return True


_RC4_ENCRYPTOR = _openssl_rc4()
#: True when draws come from OpenSSL's RC4 (the normal case); False: the pure-Python port.
OPENSSL_RC4 = _self_check()


def python_seeded(name: str) -> Arc4:
    """The generator `Math.seedrandom(name)` creates, from the pure-Python port (the slow path)."""
    return Arc4(key_bytes(name))


def seeded(name: str) -> _Draws:
    """The generator the original creates with `Math.seedrandom(name)`."""
    key = key_bytes(name)
    return OpenSslArc4(key) if OPENSSL_RC4 else Arc4(key)


def generator_name() -> str:
    """Which keystream `seeded` uses, for the benchmark and the logs."""
    return "OpenSSL RC4 (cryptography)" if OPENSSL_RC4 else "pure-Python ARC4"

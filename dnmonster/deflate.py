"""Just enough DEFLATE (RFC 1951, fixed Huffman codes) to write monster scanlines without zlib.

A monster image is a few distinct scanlines, each repeated `dot` times. zlib finds that out again
for every image, which costs 15 us at size 80 and about 1 ms at 1024; here the compressed form of
"this scanline, then n copies of it" is built once per (side, row pattern) as a bit string, and
an image is the concatenation of 14 such strings. Bit strings are Python ints read from the least
significant bit up, which is DEFLATE's bit order, so concatenating is a shift and an or.
"""

from collections.abc import Iterable
from dataclasses import dataclass

_MAX_MATCH = 258
_MIN_MATCH = 3
MAX_DISTANCE = 32768
_LENGTH_BASES = (
    *(3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31),
    *(35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258),
)
_LENGTH_EXTRA = (0,) * 8 + (1,) * 4 + (2,) * 4 + (3,) * 4 + (4,) * 4 + (5,) * 4 + (0,)
_DISTANCE_BASES = (
    *(1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193),
    *(257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577),
)
_DISTANCE_EXTRA = tuple(max(0, code // 2 - 1) for code in range(30))
_END_OF_BLOCK = 256


@dataclass(frozen=True, slots=True)
class Bits:
    """A DEFLATE bit string: `count` bits, the first one in bit 0 of `value`."""

    value: int
    count: int

    def __add__(self, other: "Bits") -> "Bits":
        return Bits(self.value | other.value << self.count, self.count + other.count)


EMPTY = Bits(0, 0)


def _reversed(code: int, length: int) -> int:
    """Huffman codes go into the stream most significant bit first."""
    return int(format(code, f"0{length}b")[::-1], 2)


def _fixed_code(symbol: int) -> Bits:
    """The fixed literal/length code of a symbol (RFC 1951, 3.2.6)."""
    if symbol < 144:
        return Bits(_reversed(0x30 + symbol, 8), 8)
    if symbol < 256:
        return Bits(_reversed(0x190 + symbol - 144, 9), 9)
    if symbol < 280:
        return Bits(_reversed(symbol - 256, 7), 7)
    return Bits(_reversed(0xC0 + symbol - 280, 8), 8)


def literal(byte: int) -> Bits:
    return _fixed_code(byte)


def _last_at_most(bases: tuple[int, ...], value: int) -> int:
    return max(code for code, base in enumerate(bases) if base <= value)


def match(length: int, distance: int) -> Bits:
    """Copy `length` (3..258) bytes from `distance` (1..32768) bytes back."""
    if not _MIN_MATCH <= length <= _MAX_MATCH or not 1 <= distance <= MAX_DISTANCE:
        raise ValueError(f"no DEFLATE match of length {length} at distance {distance}")
    code = 28 if length == _MAX_MATCH else _last_at_most(_LENGTH_BASES, length)
    bits = _fixed_code(257 + code) + Bits(length - _LENGTH_BASES[code], _LENGTH_EXTRA[code])
    dcode = _last_at_most(_DISTANCE_BASES, distance)
    return (
        bits
        + Bits(_reversed(dcode, 5), 5)
        + Bits(distance - _DISTANCE_BASES[dcode], _DISTANCE_EXTRA[dcode])
    )


def copy(length: int, distance: int) -> Bits:
    """Copy any length (0, or 3 and more) from `distance` back, as a series of matches."""
    if length in (1, 2):
        raise ValueError("a copy of 1 or 2 bytes needs literals")
    bits = EMPTY
    while length:
        step = min(length, _MAX_MATCH)
        if 0 < length - step < _MIN_MATCH:
            step = length - _MIN_MATCH  # leave a last match of at least 3
        bits += match(step, distance)
        length -= step
    return bits


def run_length(data: bytes) -> Bits:
    """`data` as literals, with every run of 4 or more equal bytes as one literal and a copy."""
    bits = EMPTY
    start = 0
    while start < len(data):
        end = start + 1
        while end < len(data) and data[end] == data[start]:
            end += 1
        bits += literal(data[start])
        repeat = end - start - 1
        if repeat >= _MIN_MATCH:
            bits += copy(repeat, 1)
        else:
            bits += concat(map(literal, data[start + 1 : end]))
        start = end
    return bits


def repeated(unit: bytes, times: int) -> Bits:
    """`unit` repeated `times` (>= 1) times: run-length coded once, then copied."""
    return run_length(unit) + copy(len(unit) * (times - 1), len(unit))


def concat(parts: Iterable[Bits]) -> Bits:
    bits = EMPTY
    for part in parts:
        bits += part
    return bits


#: A final block with fixed Huffman codes: BFINAL = 1, BTYPE = 01.
BLOCK_START = Bits(0b011, 3)
BLOCK_END = _fixed_code(_END_OF_BLOCK)

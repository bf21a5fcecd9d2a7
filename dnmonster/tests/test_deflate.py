"""The hand-built DEFLATE pieces inflate, with zlib itself, to exactly the bytes they stand for."""

import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dnmonster import deflate
from dnmonster.deflate import BLOCK_END, BLOCK_START, Bits


def inflate(*parts: Bits) -> bytes:
    bits = deflate.concat((BLOCK_START, *parts, BLOCK_END))
    raw = bits.value.to_bytes((bits.count + 7) // 8, "little")
    decompressor = zlib.decompressobj(-15)  # a raw DEFLATE stream, no zlib header
    out = decompressor.decompress(raw) + decompressor.flush()
    assert decompressor.eof
    assert not decompressor.unused_data
    return out


# Runs of equal bytes (what scanlines are made of) as well as arbitrary bytes.
data = st.binary(max_size=300) | st.lists(
    st.tuples(st.sampled_from([0, 1, 0x7F, 0x80, 0x8F, 0x90, 0xFF]), st.integers(1, 600)),
    max_size=6,
).map(lambda runs: b"".join(bytes([byte]) * n for byte, n in runs))


@settings(deadline=None)
@given(data)
def test_run_length_inflates_to_the_data(raw: bytes) -> None:
    assert inflate(deflate.run_length(raw)) == raw


@settings(deadline=None)
@given(st.binary(min_size=3, max_size=40), st.integers(1, 900))
def test_repeated_inflates_to_the_repetition(unit: bytes, times: int) -> None:
    assert inflate(deflate.repeated(unit, times)) == unit * times


@settings(deadline=None)
@given(st.integers(3, 2000), st.integers(1, 700) | st.integers(1, deflate.MAX_DISTANCE))
def test_copy_of_any_length_and_distance(length: int, distance: int) -> None:
    # Runs of 61 equal bytes keep the head cheap to build; every byte still differs from the
    # one `distance` back often enough for a wrong copy to show.
    head = bytes((i // 61 + i % 3) % 251 for i in range(distance))
    expected = head + bytes(head[i % distance] for i in range(length))
    assert inflate(deflate.run_length(head), deflate.copy(length, distance)) == expected


@pytest.mark.parametrize(("length", "distance"), [(2, 1), (259, 1), (3, 0), (3, 32769)])
def test_impossible_matches_are_refused(length: int, distance: int) -> None:
    with pytest.raises(ValueError, match="no DEFLATE match"):
        deflate.match(length, distance)


def test_copies_of_one_or_two_bytes_are_refused() -> None:
    with pytest.raises(ValueError, match="literals"):
        deflate.copy(2, 1)

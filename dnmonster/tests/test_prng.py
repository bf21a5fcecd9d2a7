"""The seedrandom ARC4 port against the literal reference and an independent RC4 (OpenSSL)."""

from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
from cryptography.hazmat.primitives.ciphers import Cipher
from hypothesis import given
from hypothesis import strategies as st

from dnmonster import reference
from dnmonster.prng import Arc4, mix_key, seeded, utf16_units

names = st.text() | st.text(min_size=257, max_size=600)


def test_astral_characters_are_two_utf16_units() -> None:
    assert list(utf16_units("a🐳")) == [0x61, 0xD83D, 0xDC33]


def test_empty_name_gives_key_zero() -> None:
    assert mix_key("") == [0]


def test_repeated_name_gives_same_stream_as_original_notes() -> None:
    one, two = seeded("ab"), seeded("abab")
    assert [one.random() for _ in range(9)] == [two.random() for _ in range(9)]


def test_long_names_smear_into_a_256_byte_key() -> None:
    key = mix_key("x" * 300)
    assert len(key) == 256
    assert key != mix_key("x" * 256)


@given(names)
def test_key_matches_reference(name: str) -> None:
    assert mix_key(name) == (reference._mixkey(name) or [0])


@given(names)
def test_draws_match_reference(name: str) -> None:
    fast = seeded(name)
    slow = reference._prng(name)
    assert [fast.random() for _ in range(12)] == [slow() for _ in range(12)]


# OpenSSL's RC4 takes 5..32-byte keys; shorter ones repeat to 8 bytes (RC4 reads key[i % len]).
@given(
    st.sampled_from([1, 2, 4, 5, 7, 8, 10, 16, 20, 24, 32]).flatmap(
        lambda n: st.lists(st.integers(0, 255), min_size=n, max_size=n)
    ),
    st.integers(1, 300),
)
def test_keystream_is_rc4_after_dropping_256_bytes(key: list[int], count: int) -> None:
    full_key = bytes(key * (8 // len(key)) if len(key) < 5 else key)
    encryptor = Cipher(ARC4(full_key), mode=None).encryptor()
    expected = encryptor.update(bytes(256 + count))[256:]
    rng = Arc4(key)
    assert rng.g(count).to_bytes(count, "big") == expected


@given(names)
def test_draws_are_in_unit_interval(name: str) -> None:
    rng = seeded(name)
    for _ in range(20):
        assert 0.0 <= rng.random() < 1.0

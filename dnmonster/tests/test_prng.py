"""The seedrandom ARC4 port against the literal reference and an independent RC4 (OpenSSL), and
the fast generator (OpenSSL's RC4, key and draw shortcuts) against the slow one."""

import pytest
from cryptography.hazmat.decrepit.ciphers.algorithms import ARC4
from cryptography.hazmat.primitives.ciphers import Cipher
from hypothesis import given, settings
from hypothesis import strategies as st

from dnmonster import prng, reference
from dnmonster.prng import (
    Arc4,
    OpenSslArc4,
    _Draws,
    key_bytes,
    mix_key,
    python_seeded,
    seeded,
    utf16_units,
)

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


def test_openssl_keystream_is_in_use_here() -> None:
    """The fast path must really be on where cryptography is installed (here, and the image)."""
    assert prng.OPENSSL_RC4
    assert isinstance(seeded("a" * 64), OpenSslArc4)
    assert prng.generator_name().startswith("OpenSSL")


@settings(deadline=None)  # timing is not under test; the machine may be loaded
@given(names)
def test_key_bytes_equal_mix_key(name: str) -> None:
    assert key_bytes(name) == bytes(mix_key(name))


@settings(deadline=None)  # timing is not under test; the machine may be loaded
@given(names)
def test_openssl_generator_equals_python_port(name: str) -> None:
    fast, slow = seeded(name), python_seeded(name)
    assert isinstance(slow, Arc4)
    # 40 draws run past the first batch of bytes, so both refill paths are compared too.
    assert [fast.random() for _ in range(40)] == [slow.random() for _ in range(40)]
    assert fast.g(300) == slow.g(300)


@settings(deadline=None)  # timing is not under test; the machine may be loaded
@given(st.binary(min_size=1, max_size=256), st.integers(1, 600))
def test_openssl_keystream_equals_python_port_for_any_key(key: bytes, count: int) -> None:
    assert OpenSslArc4(key).g(count) == Arc4(key).g(count)


class _Fixed(_Draws):
    """A keystream of given bytes, then 0xff bytes (endless zeros would never end a draw)."""

    def _more(self, count: int) -> bytes:
        return b"\xff" * count


def _js_draws(stream: bytes, count: int) -> list[float]:
    """seedrandom's draw, transcribed statement by statement, over the same bytes."""
    data = iter(stream + b"\xff" * 64 * count)

    def g(n: int) -> float:
        r = 0.0
        for _ in range(n):
            r = r * 256 + next(data)
        return r

    out = []
    for _ in range(count):
        n, d, x = g(6), 2.0**48, 0.0
        while n < 2.0**52:
            n = (n + x) * 256
            d *= 256
            x = g(1)
        while n >= 2.0**53:
            n /= 2
            d /= 2
            x = float(int(x) >> 1)
        out.append((n + x) / d)
    return out


# Small and zero bytes force the slow branch (more than 7 bytes a draw) and refills.
streams = st.binary(max_size=200) | st.lists(
    st.sampled_from([0, 1, 15, 16, 17, 31, 32, 255]), max_size=200
).map(bytes)


@settings(deadline=None)  # timing is not under test; the machine may be loaded
@given(streams)
def test_fast_draw_arithmetic_equals_seedrandom(stream: bytes) -> None:
    draws = _Fixed(stream)
    assert [draws.random() for _ in range(12)] == _js_draws(stream, 12)


def test_a_failing_openssl_keystream_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    class Wrong:
        def update(self, data: bytes) -> bytes:
            return bytes(len(data))

    monkeypatch.setattr(prng, "_RC4_ENCRYPTOR", lambda key: Wrong())
    assert not prng._self_check()
    monkeypatch.setattr(prng, "_RC4_ENCRYPTOR", None)
    assert not prng._self_check()

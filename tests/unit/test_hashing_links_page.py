"""The book's hash, relative links and the page's whole-factor display size."""

from __future__ import annotations

import hashlib

import pytest

from chalicelib.hashing import name_hash
from chalicelib.links import relative_base
from chalicelib.page import display_px


def test_name_hash_is_the_books() -> None:
    expected = hashlib.sha256(b"UNIQUE_SALTJoe Bloggs").hexdigest()
    assert name_hash("UNIQUE_SALT", "Joe Bloggs") == expected
    assert name_hash("s", "Zoë") == hashlib.sha256("sZoë".encode()).hexdigest()


@pytest.mark.parametrize(
    ("path", "base"),
    [("/", "./"), ("", "./"), ("/api/", "./"), ("/api", "./api/"), ("/a/b", "./b/")],
)
def test_relative_base(path: str, base: str) -> None:
    assert relative_base(path) == base


def test_display_size_is_a_whole_multiple() -> None:
    assert display_px(80) == 320
    assert display_px(12) == 312
    assert display_px(500) == 500

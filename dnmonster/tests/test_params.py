"""Request parsing rules: names from raw path segments, and the query parameters."""

from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dnmonster.params import (
    MAX_NAME_BYTES,
    BadRequest,
    decode_name,
    parse_query,
    parse_query_general,
)


@pytest.mark.parametrize(
    ("segment", "name"),
    [
        (b"", ""),
        (b"Joe%20Bloggs", "Joe Bloggs"),
        (b"a+b", "a+b"),
        (b"a%2Fb", "a/b"),
        (b"%C3%BC", "ü"),
        (b"%F0%9F%90%B3", "🐳"),
        (b"%00", "\x00"),
        ("日本語".encode(), "日本語"),
    ],
)
def test_names_are_percent_decoded_utf8(segment: bytes, name: str) -> None:
    assert decode_name(segment) == name


@pytest.mark.parametrize(
    ("segment", "status", "message"),
    [
        (b"%zz", 400, "malformed percent-encoding"),
        (b"abc%4", 400, "malformed percent-encoding"),
        (b"%ff", 400, "not valid UTF-8"),
        (b"%ED%A0%80", 400, "not valid UTF-8"),  # a lone surrogate
        (b"a" * (MAX_NAME_BYTES + 1), 414, "name too long"),
        (b"%C3%BC" * (MAX_NAME_BYTES // 2 + 1), 414, "name too long"),
    ],
)
def test_bad_names(segment: bytes, status: int, message: str) -> None:
    with pytest.raises(BadRequest, match=message) as caught:
        decode_name(segment)
    assert caught.value.status == status


def test_longest_name_is_accepted() -> None:
    assert decode_name(b"a" * MAX_NAME_BYTES) == "a" * MAX_NAME_BYTES


@pytest.mark.parametrize(
    ("query", "side", "fmt"),
    [
        (b"", 20, "png"),
        (b"size=", 20, "png"),
        (b"size=80", 80, "png"),
        (b"size=0080", 80, "png"),
        (b"size=5", 12, "png"),
        (b"size=0", 12, "png"),
        (b"size=1024", 1024, "png"),
        (b"width=30", 30, "png"),
        (b"height=30&size=10", 30, "png"),
        (b"width=30&height=50", 50, "png"),
        (b"size=90&width=30&height=50", 50, "png"),
        (b"width=&height=", 20, "png"),
        (b"format=svg&size=64", 64, "svg"),
        (b"format=", 20, "png"),
        (b"size=80&cachebust=123&x", 80, "png"),
        (b"size=%38%30", 80, "png"),
    ],
)
def test_queries(query: bytes, side: int, fmt: str) -> None:
    assert parse_query(query, 1024) == (side, fmt)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (b"size=abc", "size must be a whole number from 0 to 1024"),
        (b"size=-1", "size must be a whole number"),
        (b"size=1.5", "size must be a whole number"),
        (b"size=1e3", "size must be a whole number"),
        (b"size=+80", "size must be a whole number"),
        (b"size=%2080", "size must be a whole number"),
        (b"size=%D9%A1", "size must be a whole number"),  # Arabic-Indic digit one
        (b"size=" + b"9" * 40, "size must be a whole number"),
        (b"size=1025", "size must be at most 1024"),
        (b"width=5000", "width must be at most 1024"),
        (b"height=x", "height must be a whole number"),
        (b"size=80&size=90", "size given more than once"),
        (b"format=gif", "format must be png or svg"),
        (b"format=SVG", "format must be png or svg"),
        (b"size=%ff", "malformed query string"),
        (b"\xff", "malformed query string"),
        (b"&".join(b"a%d=1" % n for n in range(100)), "too many query parameters"),
    ],
)
def test_bad_queries(query: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message) as caught:
        parse_query(query, 1024)
    assert caught.value.status == 400


def test_max_size_is_configurable() -> None:
    assert parse_query(b"size=64", 64) == (64, "png")
    with pytest.raises(BadRequest, match="size must be at most 64"):
        parse_query(b"size=65", 64)


def _outcome(parse: Callable[[bytes, int], tuple[int, str]], query: bytes) -> object:
    try:
        return parse(query, 1024)
    except BadRequest as exc:
        return (exc.status, exc.message)


queries = (
    st.binary(max_size=40)
    | st.builds(lambda digits: b"size=" + digits, st.binary(max_size=14))
    | st.builds(lambda n: b"size=" + str(n).encode(), st.integers(0, 10**12))
    | st.sampled_from([b"", b"size=", b"size=080", b"size=0000000000080", b"size=80&size=80"])
)


@given(queries)
def test_fast_query_path_agrees_with_the_general_parser(query: bytes) -> None:
    assert _outcome(parse_query, query) == _outcome(parse_query_general, query)

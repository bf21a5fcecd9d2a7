"""Property-based tests against the real server: any name, any size string."""

import io
from urllib.parse import quote, quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from .conftest import Client

pytestmark = pytest.mark.integration
PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
size_strings = (
    st.integers(0, 1100).map(str)
    | st.text(alphabet="0123456789", max_size=12)
    | st.text(max_size=12)
    | st.sampled_from(["", "-1", "1.5", "1e3", "0x10", " 80", "80 ", "\uff18\uff10", "+80", "NaN"])
)


def expected_side(size: str) -> int | None:
    """The side a valid size string gives, or None when it must be rejected."""
    if size == "":
        return 20
    if size.isascii() and size.isdigit() and int(size) <= 1024:
        return max(int(size), 12)
    return None


@PROPERTY
@given(name=st.text(max_size=300), size=size_strings)
def test_any_name_and_size(classic: Client, name: str, size: str) -> None:
    path = f"/monster/{quote(name, safe='')}?size={quote(size, safe='')}"
    first = classic.get(path)
    second = classic.get(path)
    assert first.status < 500
    assert (first.status, first.body) == (second.status, second.body)
    side = expected_side(size)
    if side is None:
        assert first.status == 400
        assert first.headers["content-type"].startswith("text/plain")
        return
    assert first.status == 200
    image = Image.open(io.BytesIO(first.body))
    assert image.size == (side, side)
    rgba = image.convert("RGBA").tobytes()
    assert len({rgba[i : i + 4] for i in range(0, len(rgba), 4)}) <= 2


@PROPERTY
@given(segment=st.binary(max_size=80), query=st.binary(max_size=60))
def test_any_bytes_never_5xx(classic: Client, segment: bytes, query: bytes) -> None:
    path = "/monster/" + quote_from_bytes(segment, safe="%/") + "?" + quote_from_bytes(query, "=&%")
    reply = classic.get(path)
    assert reply.status in (200, 400, 404, 414)
    assert reply.status == classic.get(path).status

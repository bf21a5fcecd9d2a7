"""The HTTP contract and hardening rules, against a real server process (classic sprite pack)."""

import hashlib
import io
from urllib.parse import quote

import pytest
from PIL import Image

from .conftest import VECTORS, Client, Reply

pytestmark = pytest.mark.integration
CACHE_FOREVER = "public, max-age=31536000, immutable"


def rgba_of(reply: Reply) -> tuple[tuple[int, int], bytes]:
    image = Image.open(io.BytesIO(reply.body))
    return image.size, image.convert("RGBA").tobytes()


def assert_text_error(reply: Reply, status: int, message: str) -> None:
    assert reply.status == status
    assert reply.headers["content-type"] == "text/plain; charset=utf-8"
    assert message in reply.body.decode()
    assert len(reply.body) < 200
    assert int(reply.headers["content-length"]) == len(reply.body)


@pytest.mark.parametrize("vector", VECTORS, ids=lambda v: f"{v['name']!r}-{v['size_param']}")
def test_sample_vectors_over_http(classic: Client, vector: dict) -> None:
    path = "/monster/" + quote(vector["name"], safe="")
    if vector["size_param"] is not None:
        path += f"?size={vector['size_param']}"
    reply = classic.get(path)
    assert reply.status == 200
    assert reply.headers["content-type"] == "image/png"
    size, rgba = rgba_of(reply)
    assert size == (vector["width"], vector["height"])
    assert hashlib.sha256(rgba).hexdigest() == vector["rgba_sha256"]


def test_image_headers(classic: Client) -> None:
    reply = classic.get("/monster/Joe%20Bloggs?size=80")
    assert reply.status == 200
    assert int(reply.headers["content-length"]) == len(reply.body)
    assert reply.headers["cache-control"] == CACHE_FOREVER
    etag = reply.headers["etag"]
    assert etag.startswith('"')  # strong: no W/
    assert etag.endswith('"')
    assert len(etag) == 34
    assert classic.get("/monster/Joe%20Bloggs?size=80").body == reply.body


def test_empty_name_and_trailing_slash(classic: Client) -> None:
    empty = classic.get("/monster/?size=80")
    assert empty.status == 200
    size, _ = rgba_of(empty)
    assert size == (80, 80)
    assert classic.get("/monster/abc/").body == classic.get("/monster/abc").body


def test_encoded_slash_is_part_of_the_name(classic: Client) -> None:
    reply = classic.get("/monster/a%2Fb")
    assert reply.status == 200
    assert reply.body != classic.get("/monster/a").body


@pytest.mark.parametrize(
    ("query", "side"),
    [("", 20), ("?size=5", 12), ("?size=0", 12), ("?width=30", 30), ("?width=30&height=50", 50)],
)
def test_sides(classic: Client, query: str, side: int) -> None:
    reply = classic.get("/monster/alice" + query)
    assert reply.status == 200
    assert rgba_of(reply)[0] == (side, side)


def test_unknown_parameters_are_ignored(classic: Client) -> None:
    plain = classic.get("/monster/alice?size=64")
    busted = classic.get("/monster/alice?size=64&v=12345&utm_source=x")
    assert busted.body == plain.body
    assert busted.headers["etag"] == plain.headers["etag"]


@pytest.mark.parametrize(
    ("path", "status", "message"),
    [
        ("/monster/x?size=abc", 400, "size must be a whole number from 0 to 1024"),
        ("/monster/x?size=-5", 400, "size must be a whole number"),
        ("/monster/x?size=12.5", 400, "size must be a whole number"),
        ("/monster/x?size=99999999999999999999", 400, "size must be a whole number"),
        ("/monster/x?size=32768", 400, "size must be at most 1024"),
        ("/monster/x?size=1025", 400, "size must be at most 1024"),
        ("/monster/x?height=5000", 400, "height must be at most 1024"),
        ("/monster/x?size=1&size=2", 400, "size given more than once"),
        ("/monster/x?format=jpeg", 400, "format must be png or svg"),
        ("/monster/%zz", 400, "malformed percent-encoding"),
        ("/monster/%C3", 400, "not valid UTF-8"),
        ("/monster/" + "a" * 1025, 414, "name too long"),
        ("/monster/" + "%C3%BC" * 513, 414, "name too long"),
        ("/", 404, "not found"),
        ("/monster", 404, "not found"),
        ("/monster/a/b", 404, "not found"),
        ("/monsters/a", 404, "not found"),
    ],
)
def test_bad_requests_get_short_text(classic: Client, path: str, status: int, message: str) -> None:
    reply = classic.get(path)
    assert_text_error(reply, status, message)
    assert b"Traceback" not in reply.body


def test_longest_name_is_served(classic: Client) -> None:
    assert classic.get("/monster/" + "%C3%BC" * 512).status == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
@pytest.mark.parametrize("path", ["/monster/alice", "/health"])
def test_other_methods_get_405_with_allow(classic: Client, method: str, path: str) -> None:
    reply = classic.request(path, method=method)
    assert_text_error(reply, 405, "method not allowed")
    assert reply.headers["allow"] == "GET, HEAD"


def test_head_matches_get_without_body(classic: Client) -> None:
    for path in ("/monster/alice?size=80", "/monster/alice?format=svg", "/health"):
        got = classic.get(path)
        head = classic.request(path, method="HEAD")
        assert head.status == got.status == 200
        assert head.body == b""
        for key in ("content-type", "content-length", "etag", "cache-control"):
            assert head.headers.get(key) == got.headers.get(key)


def test_if_none_match_gives_304(classic: Client) -> None:
    first = classic.get("/monster/bob?size=80")
    etag = first.headers["etag"]
    for value in (etag, "W/" + etag, f'"other", {etag}', "*"):
        reply = classic.get("/monster/bob?size=80", If_None_Match=value)
        assert reply.status == 304
        assert reply.body == b""
        assert reply.headers["etag"] == etag
        assert reply.headers["cache-control"] == CACHE_FOREVER
    assert classic.get("/monster/bob?size=81", If_None_Match=etag).status == 200
    assert classic.request("/monster/bob?size=80", "HEAD", {"If-None-Match": etag}).status == 304


def test_etag_depends_on_name_size_and_format(classic: Client) -> None:
    tags = {
        classic.get(path).headers["etag"]
        for path in (
            "/monster/bob?size=80",
            "/monster/bob?size=81",
            "/monster/bo?size=80",
            "/monster/bob?size=80&format=svg",
        )
    }
    assert len(tags) == 4
    same_side = {classic.get(f"/monster/bob?size={s}").headers["etag"] for s in (0, 5, 12)}
    assert len(same_side) == 1  # all draw the same 12 px image


def test_svg(classic: Client) -> None:
    reply = classic.get("/monster/Joe%20Bloggs?size=80&format=svg")
    assert reply.status == 200
    assert reply.headers["content-type"] == "image/svg+xml"
    assert int(reply.headers["content-length"]) == len(reply.body)
    assert reply.headers["cache-control"] == CACHE_FOREVER
    body = reply.body.decode()
    assert body.startswith("<svg")
    assert 'width="80"' in body
    assert 'fill="#e8fb70"' in body
    assert 'shape-rendering="crispEdges"' in body


def test_health(classic: Client) -> None:
    reply = classic.get("/health")
    assert reply.status == 200
    assert reply.body == b"ok\n"
    assert reply.headers["cache-control"] == "no-store"

"""Issue 13: `/monster/{name}?size=N&format=svg|png`, one cache entry per variant, /favicon.ico.

The app runs under chalice.test.Client and as raw API Gateway events; a real HTTP server stands
in for dnmonster (its default answer is a valid PNG, or SVG for `format=svg`, of the size asked).
"""

from __future__ import annotations

import base64
import hashlib
import string
from typing import Any
from urllib.parse import quote

import pytest
from chalice.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.cache import InMemoryLRUCache, Keys, get_cache
from chalicelib.config import get_settings
from chalicelib.png import check_png
from chalicelib.responses import monster_etag
from chalicelib.svg_check import parse_svg
from chalicelib.variants import variant_count
from tests.support.gateway import IMAGE_ACCEPT, invoke, proxy_event
from tests.support.upstream import Answer, UpstreamServer, make_png, make_svg

IMG = {"Accept": IMAGE_ACCEPT}
NAME = "ab" * 32
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"


def memory_cache() -> InMemoryLRUCache:
    cache = get_cache(get_settings().cache)
    assert isinstance(cache, InMemoryLRUCache)
    return cache


def cached_keys() -> set[str]:
    return set(memory_cache()._items)


def test_no_parameters_is_the_books_png_with_todays_key_and_etag(
    client: Client, upstream: UpstreamServer
) -> None:
    response = client.http.get(f"/monster/{NAME}", headers=IMG)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    check_png(response.body, 80)
    assert upstream.paths == [f"/monster/{NAME}?size=80"]
    # Exactly the key and ETag of the version before `?size=`/`?format=` (no cache flush).
    digest = hashlib.sha256(NAME.encode()).hexdigest()
    assert cached_keys() == {f"identidock:v1:monster:80:{digest}"}
    material = f"1\n80\n{NAME}".encode()
    assert response.headers["ETag"] == '"' + hashlib.sha256(material).hexdigest()[:40] + '"'


@pytest.mark.parametrize("size", [12, 13, 32, 100, 512])
def test_size_is_drawn_as_asked(client: Client, upstream: UpstreamServer, size: int) -> None:
    response = client.http.get(f"/monster/{NAME}?size={size}", headers=IMG)
    assert response.status_code == 200
    check_png(response.body, size)
    assert upstream.paths == [f"/monster/{NAME}?size={size}"]
    assert response.headers["ETag"] == monster_etag("1", size, NAME)
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert response.headers["Content-Security-Policy"] == IMAGE_CSP  # every image's CSP


@pytest.mark.parametrize("query", ["format=svg", "size=32&format=svg", "format=svg&size=512"])
def test_svg_is_checked_text_with_a_sandboxing_csp(
    client: Client, upstream: UpstreamServer, query: str
) -> None:
    size = int(query.split("size=")[1].split("&")[0]) if "size=" in query else 80
    response = client.http.get(f"/monster/{NAME}?{query}", headers=IMG)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == IMAGE_CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.body == make_svg(size)
    assert parse_svg(response.body, size).side == size
    assert upstream.paths == [f"/monster/{NAME}?size={size}&format=svg"]
    assert response.headers["ETag"] == monster_etag("1", size, NAME, "svg")
    assert response.headers["ETag"] != monster_etag("1", size, NAME)


def test_svg_304_keeps_its_type_and_touches_nothing(
    client: Client, upstream: UpstreamServer
) -> None:
    tag = monster_etag("1", 64, NAME, "svg")
    response = client.http.get(
        f"/monster/{NAME}?size=64&format=svg", headers={**IMG, "If-None-Match": tag}
    )
    assert response.status_code == 304
    assert response.headers["Content-Type"] == "image/svg+xml"
    assert response.headers["ETag"] == tag
    # The PNG's tag does not validate the SVG.
    other = client.http.get(
        f"/monster/{NAME}?format=svg&size=64",
        headers={**IMG, "If-None-Match": monster_etag("1", 64, NAME)},
    )
    assert other.status_code == 200
    assert upstream.calls == 1


def test_spelled_out_defaults_share_the_default_entry(
    client: Client, upstream: UpstreamServer
) -> None:
    urls = ["", "?size=80", "?format=png", "?size=80&format=png", "?size=0080", "?size=&format="]
    bodies = {client.http.get(f"/monster/{NAME}{url}", headers=IMG).body for url in urls}
    assert len(bodies) == 1
    assert upstream.calls == 1
    assert len(cached_keys()) == 1


def test_unknown_parameters_are_ignored_and_make_no_entry(
    client: Client, upstream: UpstreamServer
) -> None:
    first = client.http.get(f"/monster/{NAME}?size=32", headers=IMG)
    for junk in ["v=1", "s=999", "SIZE=40", "Format=svg", "size[]=13", "x=%FF", "cb=" + "9" * 50]:
        again = client.http.get(f"/monster/{NAME}?size=32&{junk}", headers=IMG)
        assert (again.status_code, again.body) == (200, first.body), junk
    assert upstream.calls == 1
    assert len(cached_keys()) == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("size=32&size=32", b"Send size only once.\n"),
        ("size=32&size=64", b"Send size only once.\n"),
        ("format=svg&format=svg", b"Send format only once.\n"),
        ("size=11", b"size must be a whole number from 12 to 512.\n"),
        ("size=0", b"size must be a whole number from 12 to 512.\n"),
        ("size=513", b"size must be a whole number from 12 to 512.\n"),
        ("size=-1", b"size must be a whole number from 12 to 512.\n"),
        ("size=%2B32", b"size must be a whole number from 12 to 512.\n"),
        ("size=%2032", b"size must be a whole number from 12 to 512.\n"),
        ("size=32.0", b"size must be a whole number from 12 to 512.\n"),
        ("size=0x20", b"size must be a whole number from 12 to 512.\n"),
        ("size=1e2", b"size must be a whole number from 12 to 512.\n"),
        ("size=%EF%BC%93%EF%BC%92", b"size must be a whole number from 12 to 512.\n"),
        ("size=%FF", b"size must be a whole number from 12 to 512.\n"),
        ("size=" + "9" * 5000, b"size must be a whole number from 12 to 512.\n"),
        ("format=SVG", b"format must be png or svg.\n"),
        ("format=gif", b"format must be png or svg.\n"),
        ("format=svg%00", b"format must be png or svg.\n"),
    ],
)
def test_bad_parameters_are_a_one_line_400(
    client: Client, upstream: UpstreamServer, query: str, message: bytes
) -> None:
    response = client.http.get(f"/monster/{NAME}?{query}", headers=IMG)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.body == message
    assert upstream.calls == 0


def test_the_largest_size_is_a_setting_up_to_dnmonsters_own(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVATAR_MAX_SIZE", "1024")
    assert client.http.get(f"/monster/{NAME}?size=1024", headers=IMG).status_code == 200
    refused = client.http.get(f"/monster/{NAME}?size=1025", headers=IMG)
    assert refused.body == b"size must be a whole number from 12 to 1024.\n"
    monkeypatch.setenv("AVATAR_MAX_SIZE", "2048")
    assert client.http.get(f"/monster/{NAME}", headers=IMG).status_code == 503


def test_without_a_media_range_first_the_svg_is_406_too(
    client: Client, upstream: UpstreamServer
) -> None:
    for accept in (None, "garbage", "svg"):
        headers = {} if accept is None else {"Accept": accept}
        response = client.http.get(f"/monster/{NAME}?format=svg", headers=headers)
        assert response.status_code == 406
    assert upstream.calls == 0


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (Answer(body=make_svg(80).replace(b"<g ", b"<script>alert(1)</script><g ")), "script"),
        (Answer(body=make_svg(80).replace(b"<rect ", b'<rect onload="alert(1)" ', 1)), "event"),
        (Answer(body=make_svg(40)), "wrong size"),
        (Answer(body=make_png(80)), "a PNG for an SVG"),
        (Answer(body=make_svg(80), content_type="text/html"), "content type"),
        (Answer(body=b"<!DOCTYPE svg>" + make_svg(80)), "doctype"),
        (Answer(body=make_svg(80) + b" " * 70000), "too large"),
        (Answer(status=500), "5xx"),
    ],
    ids=lambda value: value if isinstance(value, str) else "",
)
def test_an_untrusted_svg_is_502_and_never_cached(
    client: Client, answer: Answer, why: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if answer.body is not None and answer.content_type == "image/png" and b"<svg" in answer.body:
        answer.content_type = "image/svg+xml"
    with UpstreamServer(answer) as server:
        monkeypatch.setenv("DNMONSTER_URL", server.url)
        response = client.http.get(f"/monster/{NAME}?format=svg", headers=IMG)
        assert response.status_code == 502, why
        assert response.body == b"The monster service gave a bad answer.\n"
        assert "immutable" not in response.headers["Cache-Control"]
        assert server.calls == 1
    assert cached_keys() == set()  # no value stored (only the leader's short failure marker)


def test_a_corrupt_cached_svg_is_a_miss_and_is_replaced(
    client: Client, upstream: UpstreamServer
) -> None:
    first = client.http.get(f"/monster/{NAME}?format=svg&size=48", headers=IMG)
    keys = Keys.for_monster("1", 48, NAME, "svg")
    assert cached_keys() == {keys.value}
    memory_cache()._items[keys.value] = (b"<svg><script/></svg>", float("inf"))
    again = client.http.get(f"/monster/{NAME}?format=svg&size=48", headers=IMG)
    assert (again.status_code, again.body) == (200, first.body)
    assert upstream.calls == 2


def test_formats_and_sizes_have_their_own_keys_locks_and_markers() -> None:
    png, svg, other = (Keys.for_monster("1", 80, "n", f) for f in ("png", "svg", "png"))
    assert png == other
    assert len({*png, *svg}) == 6
    digest = hashlib.sha256(b"n").hexdigest()
    assert svg == Keys(
        f"identidock:v1:monster-svg:80:{digest}",
        f"identidock:v1:lock-svg:80:{digest}",
        f"identidock:v1:failed-svg:80:{digest}",
    )
    assert Keys.for_monster("1", 81, "n").value != png.value


def test_every_variant_of_one_name_and_nothing_else_is_cached(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever a visitor sends, one name has at most 2 x (AVATAR_MAX_SIZE - 11) entries."""
    monkeypatch.setenv("AVATAR_MAX_SIZE", "30")
    monkeypatch.setenv("MEMORY_CACHE_ITEMS", "100000")
    statuses = set()
    for size in ["", *map(str, range(0, 45)), "030", "12.0", "x"]:
        for fmt in ["", "png", "svg", "gif"]:
            for junk in ["", "&v=1", "&v=2"]:
                query = f"size={size}&format={fmt}{junk}"
                statuses.add(client.http.get(f"/monster/{NAME}?{query}", headers=IMG).status_code)
    assert statuses == {200, 400}
    expected = {
        Keys.for_monster("1", size, NAME, fmt).value
        for size in [*range(12, 31), 80]  # the default size is always there
        for fmt in ("png", "svg")
    }
    assert cached_keys() == expected
    assert len(expected) == variant_count(get_settings().image) + 2
    assert upstream.calls == len(expected)


QUERY_TEXT = st.text(alphabet=st.sampled_from(string.printable + "é３\u00a0\u0000"), max_size=12)
FIELD = st.sampled_from(["size", "format", "name", "s", "Size", ""]) | QUERY_TEXT


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pairs=st.lists(st.tuples(FIELD, st.one_of(QUERY_TEXT, st.integers(-5, 1100).map(str)))))
def test_fuzzed_parameters_are_never_a_5xx(
    client: Client, upstream: UpstreamServer, pairs: list[tuple[str, str]]
) -> None:
    """Any query string: the image asked for, or a one-line 400; never a 5xx, never more
    entries than the variants."""
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    response = client.http.get(f"/monster/{NAME}?{query}", headers=IMG)
    assert response.status_code in (200, 400), (query, response.body)
    if response.status_code == 400:
        assert response.body.count(b"\n") == 1
        assert response.body.endswith(b".\n")
    else:
        assert response.headers["Content-Type"] in ("image/png", "image/svg+xml")
    assert len(cached_keys()) <= variant_count(get_settings().image) + 1


def test_through_the_gateway_svg_is_text_and_png_is_base64(upstream: UpstreamServer) -> None:
    """API Gateway: the SVG leaves as plain text (isBase64Encoded false, passed unchanged),
    the PNG as base64 for the gateway to decode."""

    def event(query: dict[str, list[str]]) -> dict[str, Any]:
        return proxy_event(
            resource="/monster/{name}",
            path=f"/monster/{NAME}",
            headers=IMG,
            path_parameters={"name": NAME},
            query=query,
        )

    svg = invoke(event({"format": ["svg"], "size": ["36"]}))
    assert svg["statusCode"] == 200
    assert svg.get("isBase64Encoded") is not True
    assert svg["body"] == make_svg(36).decode()
    assert svg["headers"]["Content-Type"] == "image/svg+xml"
    assert svg["headers"]["Content-Length"] == str(len(make_svg(36)))
    png = invoke(event({"size": ["36"]}))
    assert png["isBase64Encoded"] is True
    assert base64.b64decode(png["body"]) == make_png(36)
    repeated = invoke(event({"size": ["36", "40"]}))
    assert (repeated["statusCode"], repeated["body"]) == (400, "Send size only once.\n")


def test_favicon_is_a_small_monster_for_any_browser(
    client: Client, upstream: UpstreamServer
) -> None:
    response = client.http.get("/favicon.ico", headers=IMG)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    check_png(response.body, 32)
    assert response.headers["Cache-Control"] == "public, max-age=86400"
    assert upstream.paths == ["/monster/identidock?size=32"]
    head = client.http.head("/favicon.ico", headers=IMG)
    assert head.status_code == 200
    tag = response.headers["ETag"]
    again = client.http.get("/favicon.ico", headers={**IMG, "If-None-Match": tag})
    assert again.status_code == 304
    assert client.http.get("/favicon.ico").status_code == 406
    assert upstream.calls == 1

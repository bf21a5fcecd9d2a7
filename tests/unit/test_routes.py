"""The routes through chalice.test.Client, against a real (scripted) upstream HTTP server."""

from __future__ import annotations

import hashlib
import re
import time
from html import unescape
from urllib.parse import quote

import pytest
from chalice.test import Client

from chalicelib import single_flight
from chalicelib.page import CONTENT_SECURITY_POLICY, STYLE
from tests.support.gateway import IMAGE_ACCEPT, PAGE_ACCEPT
from tests.support.upstream import Answer, UpstreamServer, make_png

FORM = {"Accept": PAGE_ACCEPT, "Content-Type": "application/x-www-form-urlencoded"}


def book_hash(name: str, salt: str = "UNIQUE_SALT") -> str:
    return hashlib.sha256((salt + name).encode("utf-8")).hexdigest()


def input_value(html: str) -> str:
    match = re.search(r'<input id="name" name="name" type="text" value="([^"]*)"', html)
    assert match, html
    return unescape(match.group(1))


def image_src(html: str) -> str:
    match = re.search(r'<img src="([^"]*)"', html)
    assert match, html
    return unescape(match.group(1))


def test_page_shows_default_name_and_its_monster(client: Client, upstream: UpstreamServer) -> None:
    response = client.http.get("/", headers={"Accept": PAGE_ACCEPT})
    html = response.body.decode()
    assert response.status_code == 200
    assert input_value(html) == "Joe Bloggs"
    assert image_src(html) == "./monster/" + book_hash("Joe Bloggs")
    assert 'alt="The monster for Joe Bloggs"' in html
    assert '<label for="name">Name</label>' in html
    assert '<html lang="en">' in html
    assert '<meta name="viewport"' in html
    # The page warmed the cache: the upstream drew the monster once, for the hash.
    assert upstream.paths == [f"/monster/{book_hash('Joe Bloggs')}?size=80"]


def test_page_headers(client: Client, upstream: UpstreamServer) -> None:
    response = client.http.get("/?name=alice", headers={"Accept": PAGE_ACCEPT})
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    csp = response.headers["Content-Security-Policy"]
    assert csp == CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in csp
    assert "script-src" not in csp
    assert "unsafe-inline" not in csp
    assert f"<style>{STYLE}</style>" in response.body.decode()


def test_query_name_is_a_shareable_link(client: Client, upstream: UpstreamServer) -> None:
    html = client.http.get("/?name=alice", headers={"Accept": PAGE_ACCEPT}).body.decode()
    assert input_value(html) == "alice"
    assert image_src(html) == "./monster/" + book_hash("alice")
    assert 'href="./?name=alice"' in html


def test_post_shows_the_submitted_name(client: Client, upstream: UpstreamServer) -> None:
    response = client.http.post("/", headers=FORM, body=b"name=Ann+%C3%A9%26co")
    html = response.body.decode()
    assert response.status_code == 200
    assert input_value(html) == "Ann é&co"
    assert image_src(html) == "./monster/" + book_hash("Ann é&co")
    assert "Ann é&amp;co" in html


def test_post_without_name_field_uses_default(client: Client, upstream: UpstreamServer) -> None:
    response = client.http.post("/", headers=FORM, body=b"other=1")
    assert response.status_code == 200
    assert input_value(response.body.decode()) == "Joe Bloggs"


@pytest.mark.parametrize(
    "hostile",
    ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "' onmouseover='x", "a&b<c"],
)
def test_name_is_escaped_everywhere(client: Client, upstream: UpstreamServer, hostile: str) -> None:
    response = client.http.get("/?name=" + quote(hostile, safe=""), headers={"Accept": PAGE_ACCEPT})
    html = response.body.decode()
    assert response.status_code == 200
    assert hostile not in html
    assert "<script" not in html
    assert input_value(html) == hostile


def test_too_long_name_gets_400_page_keeping_what_was_typed(
    client: Client, upstream: UpstreamServer
) -> None:
    typed = "x" * 201
    response = client.http.post("/", headers=FORM, body=f"name={typed}".encode())
    html = response.body.decode()
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'role="alert"' in html
    assert "the limit is 200" in html
    assert input_value(html) == typed
    assert "<img" not in html
    assert upstream.calls == 0


def test_name_at_the_limit_is_fine(client: Client, upstream: UpstreamServer) -> None:
    response = client.http.get("/?name=" + "y" * 200, headers={"Accept": PAGE_ACCEPT})
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"name=%ff", "application/x-www-form-urlencoded"),
        (b"\xff\xfe", "application/x-www-form-urlencoded"),
        (b"name", "application/x-www-form-urlencoded"),
        (b'{"name": "a"}', "application/json"),
        (b"name=" + b"a" * 9000, "application/x-www-form-urlencoded"),
    ],
)
def test_malformed_form_gets_400_page(
    client: Client, upstream: UpstreamServer, body: bytes, content_type: str
) -> None:
    response = client.http.post(
        "/", headers={"Accept": PAGE_ACCEPT, "Content-Type": content_type}, body=body
    )
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'role="alert"' in response.body.decode()


def test_empty_name_asks_for_one(client: Client, upstream: UpstreamServer) -> None:
    response = client.http.post("/", headers=FORM, body=b"name=")
    assert response.status_code == 400
    assert "Please type a name." in response.body.decode()


def test_monster_route_headers(client: Client, upstream: UpstreamServer) -> None:
    response = client.http.get("/monster/abc", headers={"Accept": IMAGE_ACCEPT})
    assert response.status_code == 200
    assert response.body == make_png(80)
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Length"] == str(len(make_png(80)))
    assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    assert re.fullmatch(r'"[0-9a-f]{40}"', response.headers["ETag"])
    assert upstream.paths == ["/monster/abc?size=80"]


def test_configured_size_is_sent(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTICON_SIZE", "120")
    assert client.http.get("/monster/abc", headers={"Accept": "*/*"}).status_code == 200
    assert upstream.paths == ["/monster/abc?size=120"]


def test_original_dnmonster_contract_without_content_length(
    client: Client, upstream: UpstreamServer
) -> None:
    upstream.answer = Answer(chunked=True)
    response = client.http.get("/monster/abc", headers={"Accept": "*/*"})
    assert response.status_code == 200
    assert response.body == make_png(80)
    assert response.headers["Content-Length"] == str(len(make_png(80)))


def test_second_request_is_served_from_the_cache(client: Client, upstream: UpstreamServer) -> None:
    for _ in range(3):
        response = client.http.get("/monster/abc", headers={"Accept": "*/*"})
        assert response.body == make_png(80)
    assert upstream.calls == 1


@pytest.mark.parametrize("if_none_match", ["{etag}", "W/{etag}", '"other", {etag}', "*"])
def test_if_none_match_answers_304_without_upstream(
    client: Client, upstream: UpstreamServer, if_none_match: str
) -> None:
    etag = client.http.get("/monster/abc", headers={"Accept": "*/*"}).headers["ETag"]
    upstream.answer = Answer(status=500, content_type="text/plain", body=b"must not be asked")
    response = client.http.get(
        "/monster/abc", headers={"Accept": "*/*", "If-None-Match": if_none_match.format(etag=etag)}
    )
    assert response.status_code == 304
    assert response.body == b""
    assert response.headers["ETag"] == etag
    assert upstream.calls == 1


def test_etag_differs_by_name_and_art_version(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = client.http.get("/monster/a", headers={"Accept": "*/*"}).headers["ETag"]
    other = client.http.get("/monster/b", headers={"Accept": "*/*"}).headers["ETag"]
    monkeypatch.setenv("ART_VERSION", "2")
    new_art = client.http.get("/monster/a", headers={"Accept": "*/*"}).headers["ETag"]
    assert len({first, other, new_art}) == 3


def test_stale_etag_gets_the_image(client: Client, upstream: UpstreamServer) -> None:
    response = client.http.get(
        "/monster/abc", headers={"Accept": "*/*", "If-None-Match": '"stale"'}
    )
    assert response.status_code == 200
    assert response.body == make_png(80)


def test_name_is_one_path_segment_to_dnmonster(client: Client, upstream: UpstreamServer) -> None:
    # The gateway hands the segment over still encoded; it is decoded once, re-encoded whole.
    response = client.http.get("/monster/x%3Fsize%3D30000%23", headers={"Accept": "*/*"})
    assert response.status_code == 200
    assert upstream.paths == ["/monster/x%3Fsize%3D30000%23?size=80"]


def test_name_that_is_not_utf8_is_400(client: Client, upstream: UpstreamServer) -> None:
    response = client.http.get("/monster/%FF%FE", headers={"Accept": "*/*"})
    assert response.status_code == 400
    assert b"percent-encoded UTF-8" in response.body
    assert upstream.paths == []


def test_too_long_monster_name_is_400(client: Client, upstream: UpstreamServer) -> None:
    response = client.http.get("/monster/" + "a" * 257, headers={"Accept": "*/*"})
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert b"limit is 256" in response.body
    assert upstream.calls == 0


def test_image_without_accept_header_is_406(client: Client, upstream: UpstreamServer) -> None:
    response = client.http.get("/monster/abc")
    assert response.status_code == 406
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert b"Accept" in response.body
    assert upstream.calls == 0


def test_page_without_accept_header_is_still_the_page(
    client: Client, upstream: UpstreamServer
) -> None:
    response = client.http.get("/?name=bob")
    assert response.status_code == 200
    assert input_value(response.body.decode()) == "bob"


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (Answer(content_type="text/html", body=b"<html>oops</html>"), 502),
        (Answer(status=500, content_type="image/png", body=b"Error: stack trace"), 502),
        (Answer(body=make_png(80)[:-10]), 502),
        (Answer(body=b"GIF89a not a png"), 502),
        (Answer(status=404, content_type="text/plain", body=b"no"), 502),
        (Answer(delay_seconds=1.5), 504),
    ],
    ids=["html", "500", "truncated-png", "not-png", "404", "slow"],
)
def test_upstream_failures_map_to_clear_errors_and_are_not_cached(
    client: Client,
    upstream: UpstreamServer,
    answer: Answer,
    status: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(single_flight, "FAILURE_MARKER_MS", 50)
    upstream.answer = answer
    response = client.http.get("/monster/abc", headers={"Accept": "*/*"})
    assert response.status_code == status
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert len(response.body) < 200
    assert b"Traceback" not in response.body
    upstream.answer = Answer()
    time.sleep(0.1)  # the failure marker that answered followers has expired
    healed = client.http.get("/monster/abc", headers={"Accept": "*/*"})
    assert healed.status_code == 200
    assert healed.body == make_png(80)
    assert upstream.calls == 2  # the bad answer was not cached


def test_unreachable_dnmonster_is_503_with_retry_after(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    with UpstreamServer() as gone:
        url = gone.url
    monkeypatch.setenv("DNMONSTER_URL", url)
    response = client.http.get("/monster/abc", headers={"Accept": "*/*"})
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    page = client.http.get("/?name=abc", headers={"Accept": PAGE_ACCEPT})
    assert page.status_code == 200
    html = page.body.decode()
    assert "could not draw this monster" in html
    assert input_value(html) == "abc"


def test_method_not_allowed_is_short_text(client: Client) -> None:
    response = client.http.request("DELETE", "/", headers={"Accept": "*/*"})
    assert response.status_code == 405
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.headers["Allow"] == "GET, HEAD, POST"


def test_prod_without_salt_refuses_to_serve(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTIDOCK_STAGE", "prod")
    for path, accept in (("/", PAGE_ACCEPT), ("/monster/abc", IMAGE_ACCEPT)):
        response = client.http.get(path, headers={"Accept": accept})
        assert response.status_code == 503
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert b"not configured" in response.body
    assert upstream.calls == 0


def test_configured_salt_is_used(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTIDOCK_STAGE", "prod")
    monkeypatch.setenv("IDENTIDOCK_SALT", "pepper")
    html = client.http.get("/?name=alice", headers={"Accept": "*/*"}).body.decode()
    assert image_src(html) == "./monster/" + book_hash("alice", salt="pepper")


def test_bad_configuration_is_503_not_500(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IDENTICON_SIZE", "huge")
    response = client.http.get("/monster/abc", headers={"Accept": "*/*"})
    assert response.status_code == 503
    assert b"Traceback" not in response.body

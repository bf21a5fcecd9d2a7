"""One way to read a name everywhere, HEAD like GET, and protective headers on every answer."""

from __future__ import annotations

from typing import Any

import pytest
from chalice.test import Client

from chalicelib.responses import PROTECTIVE_HEADERS
from tests.support.gateway import IMAGE_ACCEPT, PAGE_ACCEPT, invoke, proxy_event
from tests.support.upstream import Answer, UpstreamServer

PAGE = {"Accept": PAGE_ACCEPT}
FORM = {**PAGE, "Content-Type": "application/x-www-form-urlencoded"}
IMG = {"Accept": IMAGE_ACCEPT}


@pytest.mark.parametrize("escape", ["%FF", "%ED%A0%80", "%C0%AF", "a%EF%BF%BDb"])
def test_invalid_utf8_is_400_on_get_and_post(
    client: Client, upstream: UpstreamServer, escape: str
) -> None:
    got = client.http.get(f"/?name={escape}", headers=PAGE)
    posted = client.http.post("/", headers=FORM, body=f"name={escape}".encode())
    for response in (got, posted):
        assert response.status_code == 400
        assert b"UTF-8" in response.body or b"could not be read" in response.body
    assert upstream.calls == 0


@pytest.mark.parametrize("path", ["/monster/%zz", "/monster/a%2", "/monster/%", "/monster/%FF"])
def test_malformed_escapes_in_the_path_are_400(
    client: Client, upstream: UpstreamServer, path: str
) -> None:
    response = client.http.get(path, headers=IMG)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert upstream.calls == 0


def test_a_repeated_name_is_400_on_get_and_post(client: Client, upstream: UpstreamServer) -> None:
    got = client.http.get("/?name=a&name=b", headers=PAGE)
    posted = client.http.post("/", headers=FORM, body=b"name=a&name=b")
    for response in (got, posted):
        assert response.status_code == 400
        assert b"only once" in response.body
    assert upstream.calls == 0


@pytest.mark.parametrize("typed", ["%20%20", "%09", "a%00b", "a%1Bb", "a%7Fb", "a%C2%85b"])
def test_blank_names_and_control_characters_are_400(
    client: Client, upstream: UpstreamServer, typed: str
) -> None:
    page = client.http.get(f"/?name={typed}", headers=PAGE)
    image = client.http.get(f"/monster/{typed}", headers=IMG)
    assert page.status_code == image.status_code == 400
    assert b"\x00" not in page.body
    assert upstream.calls == 0


def test_head_is_get_without_a_body_for_the_gateway_to_drop(
    client: Client, upstream: UpstreamServer
) -> None:
    for path, accept in (("/?name=alice", PAGE), ("/monster/abc", IMG)):
        got = client.http.get(path, headers=accept)
        head = client.http.request("HEAD", path, headers=accept)
        assert head.status_code == got.status_code == 200
        assert head.headers == got.headers


def every_kind_of_answer(client: Client, upstream: UpstreamServer) -> dict[int, Any]:
    answers = {
        200: client.http.get("/monster/abc", headers=IMG),
        400: client.http.get("/monster/%zz", headers=IMG),
        405: client.http.request("DELETE", "/", headers=PAGE),
        406: client.http.get("/monster/abc"),
    }
    etag = answers[200].headers["ETag"]
    answers[304] = client.http.get("/monster/abc", headers={**IMG, "If-None-Match": etag})
    upstream.answer = Answer(status=500, content_type="text/plain", body=b"no")
    answers[502] = client.http.get("/monster/other", headers=IMG)
    return answers


def test_every_answer_carries_the_protective_headers(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = every_kind_of_answer(client, upstream)
    monkeypatch.setenv("DNMONSTER_TIMEOUT", "0.2")
    upstream.answer = Answer(delay_seconds=1)
    answers[504] = client.http.get("/monster/slow", headers=IMG)
    monkeypatch.setenv("IDENTIDOCK_STAGE", "prod")
    answers[503] = client.http.get("/", headers=PAGE)
    for status, response in answers.items():
        assert response.status_code == status
        for name, value in PROTECTIVE_HEADERS.items():
            if name == "Content-Security-Policy":
                assert "frame-ancestors 'none'" in response.headers[name]
            else:
                assert response.headers[name] == value, (status, name)


def test_an_unhandled_error_is_a_short_500_with_the_headers(
    upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from chalicelib import views

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(views, "get_monster", broken)
    event = proxy_event(
        resource="/monster/{name}",
        path="/monster/abc",
        path_parameters={"name": "abc"},
        headers=IMG,
    )
    response = invoke(event)
    assert response["statusCode"] == 500
    assert "a bug" not in response["body"]
    assert response["headers"]["X-Content-Type-Options"] == "nosniff"


def test_a_redis_url_that_would_turn_tls_checks_off_is_refused(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REDIS_URL", "rediss://127.0.0.1:6379/0?ssl_cert_reqs=none")
    response = client.http.get("/monster/abc", headers=IMG)
    assert response.status_code == 503
    assert upstream.calls == 0

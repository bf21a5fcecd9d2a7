"""The Lambda's answers to API Gateway proxy events: what a real gateway would turn into bytes.

API Gateway base64-decodes a body marked isBase64Encoded only when the FIRST value of the
request's Accept header matches one of the API's binary media types. chalice.test.Client and
`chalice local` decode regardless, so these tests look at the raw response dicts instead.
"""

from __future__ import annotations

import base64
import hashlib
import re
from html import unescape
from urllib.parse import urljoin

import pytest

from app import app
from tests.support.gateway import BROWSER_ACCEPT, invoke, proxy_event
from tests.support.upstream import UpstreamServer, make_png

ACCEPT = BROWSER_ACCEPT


def aws_decodes(accept: str, binary_types: list[str]) -> bool:
    """AWS's rule: the first Accept media type against the binary types, with wildcards."""
    first = accept.split(",")[0].split(";")[0].strip().lower()
    kind, _, sub = first.partition("/")
    for binary in binary_types:
        b_kind, _, b_sub = binary.lower().partition("/")
        if b_kind in ("*", kind) and b_sub in ("*", sub):
            return True
    return False


def monster_event(accept: str | None, **extra: object) -> dict:
    headers = {"Host": "abc123.execute-api.eu-west-1.amazonaws.com"}
    if accept is not None:
        headers["Accept"] = accept
    headers.update(extra.pop("headers", {}))  # type: ignore[arg-type]
    return proxy_event(
        resource="/monster/{name}",
        path="/monster/abc",
        path_parameters={"name": "abc"},
        headers=headers,
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("client", list(ACCEPT))
def test_png_is_base64_for_the_gateway_to_decode(upstream: UpstreamServer, client: str) -> None:
    response = invoke(monster_event(ACCEPT[client]))
    assert response["statusCode"] == 200
    assert response["isBase64Encoded"] is True
    assert base64.b64decode(response["body"]) == make_png(80)
    assert response["headers"]["Content-Type"] == "image/png"
    assert aws_decodes(ACCEPT[client], app.api.binary_types)


def test_binary_types_cover_browsers_without_relying_on_star_star() -> None:
    # Gateways that skip a */* entry (stock LocalStack) still see image/* and text/*.
    assert "*/*" in app.api.binary_types
    without = [t for t in app.api.binary_types if t != "*/*"]
    for client in ("chrome-img", "firefox-img", "safari-img", "chrome-navigate"):
        assert aws_decodes(ACCEPT[client], without), client


def test_png_without_accept_is_a_clear_406_in_plain_text(upstream: UpstreamServer) -> None:
    response = invoke(monster_event(None))
    assert response["statusCode"] == 406
    assert not response.get("isBase64Encoded")
    assert response["headers"]["Content-Type"] == "text/plain; charset=utf-8"
    assert "Accept" in response["body"]
    assert upstream.calls == 0


@pytest.mark.parametrize("accept", [*ACCEPT.values(), None])
def test_page_is_plain_text_whatever_the_accept(
    upstream: UpstreamServer, accept: str | None
) -> None:
    headers = {"Accept": accept} if accept else {}
    response = invoke(proxy_event(headers=headers, query={"name": ["alice"]}))
    assert response["statusCode"] == 200
    assert not response.get("isBase64Encoded")
    assert response["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert response["body"].startswith("<!doctype html>")


def test_304_and_errors_are_never_base64(upstream: UpstreamServer) -> None:
    etag = invoke(monster_event("*/*"))["headers"]["ETag"]
    not_modified = invoke(monster_event("*/*", headers={"If-None-Match": etag}))
    assert not_modified["statusCode"] == 304
    assert not not_modified.get("isBase64Encoded")
    assert not_modified["body"] == ""
    wrong_method = proxy_event("DELETE", headers={"Accept": "*/*"})
    response = invoke(wrong_method)
    assert response["statusCode"] == 405
    assert not response.get("isBase64Encoded")
    assert response["body"] == "Unsupported method: DELETE\n"


@pytest.mark.parametrize("encoded", [True, False])
def test_form_body_base64_encoded_by_the_gateway(upstream: UpstreamServer, encoded: bool) -> None:
    event = proxy_event(
        "POST",
        headers={
            "Accept": ACCEPT["chrome-navigate"],
            "Content-Type": "application/x-www-form-urlencoded",
        },
        body="name=Zoë+%3Cb%3E".encode(),
        base64_body=encoded,
    )
    response = invoke(event)
    assert response["statusCode"] == 200
    assert 'value="Zoë &lt;b&gt;"' in response["body"]


def page_links(html: str) -> dict[str, str]:
    found = {
        "img": re.search(r'<img src="([^"]*)"', html),
        "form": re.search(r'<form method="get" action="([^"]*)"', html),
        "share": re.search(r'<dd><a href="([^"]*)"', html),
        "image_text": re.search(r"<dd><code>([^<]*)</code>", html),
    }
    assert all(found.values()), html
    return {key: unescape(match.group(1)) for key, match in found.items() if match}


@pytest.mark.parametrize(
    ("page_url", "context_path"),
    [
        ("https://abc123.execute-api.eu-west-1.amazonaws.com/api/", "/api/"),
        ("https://abc123.execute-api.eu-west-1.amazonaws.com/api", "/api"),
        ("https://monsters.example.com/", "/"),
        ("https://monsters.example.com/identidock", "/identidock"),
        ("https://monsters.example.com/identidock/", "/identidock/"),
        ("http://127.0.0.1:8000/", "/"),
    ],
)
def test_links_work_under_every_prefix(
    upstream: UpstreamServer, page_url: str, context_path: str
) -> None:
    scheme, _, rest = page_url.partition("://")
    host = rest.split("/")[0]
    event = proxy_event(
        headers={"Accept": "*/*", "Host": host, "X-Forwarded-Proto": scheme},
        query={"name": ["alice"]},
        stage_path=context_path,
    )
    links = page_links(invoke(event)["body"])
    digest = hashlib.sha256(b"UNIQUE_SALTalice").hexdigest()
    base = page_url if page_url.endswith("/") else page_url + "/"
    assert urljoin(page_url, links["img"]) == f"{base}monster/{digest}"
    assert urljoin(page_url, links["form"]) == base
    assert urljoin(page_url, links["share"]) == f"{base}?name=alice"
    assert links["image_text"] == f"{base}monster/{digest}"

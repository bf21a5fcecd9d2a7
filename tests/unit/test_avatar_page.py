"""The page offers the avatar: a srcset for dense screens, sizes and SVG to copy or download,
and absolute URLs under PUBLIC_BASE_URL (issue 13, items 5 and 6)."""

from __future__ import annotations

import hashlib
import re
from html import unescape
from urllib.parse import urljoin

import pytest
from chalice.test import Client

from chalicelib.config import ConfigError, build_settings
from chalicelib.page import CONTENT_SECURITY_POLICY
from tests.support.gateway import IMAGE_ACCEPT, PAGE_ACCEPT, invoke, proxy_event
from tests.support.upstream import UpstreamServer

PAGE = {"Accept": PAGE_ACCEPT}
DIGEST = hashlib.sha256(b"UNIQUE_SALTalice").hexdigest()


def attribute(html: str, tag: str, name: str) -> str:
    found = re.search(rf'<{tag} [^>]*\b{name}="([^"]*)"', html)
    assert found, html
    return unescape(found.group(1))


def offers(html: str) -> list[tuple[str, str]]:
    block = re.search(r'<dd class="variants">(.*?)</dd>', html, re.S)
    assert block, html
    return [
        (unescape(href), text)
        for href, text in re.findall(r'<a href="([^"]*)">([^<]*)</a>', block.group(1))
    ]


def test_the_img_has_2x_and_3x_candidates_drawn_by_dnmonster(
    client: Client, upstream: UpstreamServer
) -> None:
    html = client.http.get("/?name=alice", headers=PAGE).body.decode()
    image = f"./monster/{DIGEST}"
    assert attribute(html, "img", "src") == image  # the book's URL, warmed by the page
    assert attribute(html, "img", "srcset") == (
        f"{image} 1x, {image}?size=160 2x, {image}?size=240 3x"
    )
    assert (attribute(html, "img", "width"), attribute(html, "img", "height")) == ("320", "320")
    for candidate in ("", "?size=160", "?size=240"):
        response = client.http.get(
            f"/monster/{DIGEST}{candidate}", headers={"Accept": IMAGE_ACCEPT}
        )
        assert response.status_code == 200, candidate


def test_sizes_and_svg_are_offered_to_download_and_copy(
    client: Client, upstream: UpstreamServer
) -> None:
    html = client.http.get("/?name=alice", headers=PAGE).body.decode()
    assert offers(html) == [
        *((f"./monster/{DIGEST}?size={size}", f"{size} px") for size in (32, 64, 128, 256, 512)),
        (f"./monster/{DIGEST}?format=svg", "SVG"),
    ]
    assert "“?size=N” (12 to\n 512 pixels)" in html
    assert "<script" not in html
    response = client.http.get("/?name=alice", headers=PAGE)
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    for href, _ in offers(html):
        answer = client.http.get(href.removeprefix("."), headers={"Accept": IMAGE_ACCEPT})
        assert answer.status_code == 200, href


def test_a_lower_limit_trims_the_srcset_and_the_offers(
    client: Client, upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AVATAR_MAX_SIZE", "200")
    html = client.http.get("/?name=alice", headers=PAGE).body.decode()
    image = f"./monster/{DIGEST}"
    assert attribute(html, "img", "srcset") == f"{image} 1x, {image}?size=160 2x"
    assert [text for _, text in offers(html)] == ["32 px", "64 px", "128 px", "SVG"]
    monkeypatch.setenv("AVATAR_MAX_SIZE", "100")
    html = client.http.get("/?name=alice", headers=PAGE).body.decode()
    assert "srcset" not in html


@pytest.mark.parametrize(
    ("public", "shown"),
    [
        ("https://cdn.example.com", "https://cdn.example.com/"),
        ("https://monsters.example.com/identidock/", "https://monsters.example.com/identidock/"),
        (
            "http://localhost:4566/restapis/abc123/api/_user_request_",
            "http://localhost:4566/restapis/abc123/api/_user_request_/",
        ),
    ],
)
def test_public_base_url_sets_the_urls_shown_to_copy(
    upstream: UpstreamServer, monkeypatch: pytest.MonkeyPatch, public: str, shown: str
) -> None:
    monkeypatch.setenv("PUBLIC_BASE_URL", public)
    event = proxy_event(
        headers={"Accept": "*/*", "Host": "internal.example", "X-Forwarded-Proto": "http"},
        query={"name": ["alice"]},
        stage_path="/api/",
    )
    html = invoke(event)["body"]
    code = re.search(r"<dd><code>([^<]*)</code>", html)
    assert code
    assert code.group(1) == f"{shown}monster/{DIGEST}"
    share = re.search(r'<dd><a href="([^"]*)">([^<]*)</a>', html)
    assert share
    assert share.group(2) == f"{shown}?name=alice"
    # The links themselves stay relative, so they work whatever the URL.
    assert attribute(html, "img", "src") == f"./monster/{DIGEST}"
    assert urljoin(shown, attribute(html, "img", "src")) == f"{shown}monster/{DIGEST}"


def test_without_public_base_url_the_request_decides(upstream: UpstreamServer) -> None:
    event = proxy_event(
        headers={"Accept": "*/*", "Host": "abc.execute-api.test", "X-Forwarded-Proto": "https"},
        query={"name": ["alice"]},
        stage_path="/api/",
    )
    html = invoke(event)["body"]
    assert f"<dd><code>https://abc.execute-api.test/api/monster/{DIGEST}</code>" in html


@pytest.mark.parametrize(
    "value",
    [
        "cdn.example.com",
        "ftp://cdn.example.com/",
        "https://cdn.example.com/?x=1",
        "https://cdn.example.com/#top",
        'https://cdn.example.com/"onmouseover="x',
        "https://cdn.example.com/<b>",
        "https://cdn.exämple.com/",
        "https:///nohost",
    ],
)
def test_a_bad_public_base_url_is_a_configuration_error(value: str) -> None:
    with pytest.raises(ConfigError, match="PUBLIC_BASE_URL"):
        build_settings({"PUBLIC_BASE_URL": value})


@pytest.mark.parametrize("value", ["11", "1025", "x", "512.5"])
def test_avatar_max_size_stays_within_dnmonsters_range(value: str) -> None:
    with pytest.raises(ConfigError, match="AVATAR_MAX_SIZE"):
        build_settings({"AVATAR_MAX_SIZE": value})


def test_defaults() -> None:
    settings = build_settings({})
    assert (settings.image.size, settings.image.max_size) == (80, 512)
    assert settings.page.public_base_url is None

"""Every avatar variant through LocalStack's API Gateway (issue 13, items 3, 6 and 7).

A real `deploy --target localstack`, reached only through its execute-api URL. Each PNG is
checked against what the deployment's own dnmonster answers for that size (pixels), each SVG
byte for byte against dnmonster's SVG and dot for dot against the PNG: the SVG goes out as text
and must pass the gateway unchanged for every Accept a browser or client sends, where the PNG
goes out as base64 for the gateway to decode.
"""

from __future__ import annotations

import html
import http.client
import re
from collections.abc import Iterator
from urllib.parse import quote, urljoin, urlsplit

import pytest
import requests

from chalicelib.hashing import name_hash
from identidock_fn.bench.events import BROWSER_ACCEPT
from tests.e2e.stack import Deployment, aws_client
from tests.unit.test_avatar_pixels import (
    SIZES,
    assert_same_picture,
    assert_svg_is_the_png,
    dnmonster_own,
)

pytestmark = pytest.mark.e2e

CHROME_IMAGE = BROWSER_ACCEPT["chrome-img"]
FIREFOX_IMAGE = BROWSER_ACCEPT["firefox-img"]
CHROME_NAVIGATION = BROWSER_ACCEPT["chrome-navigate"]
ACCEPTS = {
    "chrome img": CHROME_IMAGE,
    "firefox img": FIREFOX_IMAGE,
    "chrome tab": CHROME_NAVIGATION,
    "curl": "*/*",
    "svg only": "image/svg+xml",
    "png only": "image/png",
}
NAME = "avatar-e2e"


def get(url: str, accept: str = CHROME_IMAGE, **headers: str) -> requests.Response:
    return requests.get(url, headers={"Accept": accept, **headers}, timeout=60)


def hashed(deployment: Deployment) -> str:
    return name_hash(deployment.salt, NAME)


def image_url(deployment: Deployment, query: str = "") -> str:
    return f"{deployment.url}monster/{hashed(deployment)}{query}"


@pytest.mark.parametrize("size", SIZES)
def test_every_size_as_png_and_svg_through_api_gateway(deployment: Deployment, size: int) -> None:
    png = get(image_url(deployment, f"?size={size}"))
    svg = get(image_url(deployment, f"?size={size}&format=svg"))
    assert (png.status_code, svg.status_code) == (200, 200), (png.text[:200], svg.text[:200])
    assert png.headers["Content-Type"] == "image/png"
    assert svg.headers["Content-Type"] == "image/svg+xml"
    own = dnmonster_own(deployment.dnmonster.url, hashed(deployment), size)
    assert_same_picture(png.content, own, size)
    assert svg.content == dnmonster_own(deployment.dnmonster.url, hashed(deployment), size, "svg")
    assert_svg_is_the_png(svg.content, png.content, size)


@pytest.mark.parametrize("accept", ACCEPTS.values(), ids=ACCEPTS.keys())
def test_the_svg_passes_the_gateway_unchanged_whatever_the_accept(
    deployment: Deployment, accept: str
) -> None:
    """Text, never base64: the same bytes as dnmonster's SVG for every Accept, cached or not."""
    own = dnmonster_own(deployment.dnmonster.url, hashed(deployment), 64, "svg")
    for _ in range(2):  # a miss, then a Redis hit
        svg = get(image_url(deployment, "?format=svg&size=64"), accept)
        assert svg.status_code == 200
        assert svg.headers["Content-Type"] == "image/svg+xml"
        assert svg.headers["Content-Security-Policy"] == (
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"
        )
        assert svg.headers["X-Content-Type-Options"] == "nosniff"
        assert svg.content == own


def test_without_accept_the_svg_is_406_as_the_png(deployment: Deployment) -> None:
    parts = urlsplit(deployment.url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    try:
        for query in ("?format=svg", "?size=32"):
            connection.request("GET", f"{parts.path}monster/{hashed(deployment)}{query}")
            answer = connection.getresponse()
            body = answer.read()
            assert answer.status == 406, body
            assert answer.getheader("Content-Type") == "text/plain; charset=utf-8"
    finally:
        connection.close()


def test_the_books_url_and_its_etag_are_unchanged(deployment: Deployment) -> None:
    plain = get(image_url(deployment))
    assert plain.status_code == 200
    assert_same_picture(
        plain.content, dnmonster_own(deployment.dnmonster.url, hashed(deployment), 80), 80
    )
    assert get(image_url(deployment, "?size=80&format=png&cb=1")).content == plain.content
    tag = plain.headers["ETag"]
    assert get(image_url(deployment, "?size=80"), **{"If-None-Match": tag}).status_code == 304
    svg_tag = get(image_url(deployment, "?format=svg")).headers["ETag"]
    assert svg_tag != tag


NASTY = [
    "size=",
    "size=0",
    "size=11",
    "size=513",
    "size=-12",
    "size=%2B32",
    "size=32.5",
    "size=1e3",
    "size=" + "9" * 400,
    "size=%FF",
    "size=%00",
    "size=32&size=32",
    "format=",
    "format=SVG",
    "format=svg%00",
    "format=svg&format=svg",
    "format[]=svg",
    "size=32;format=svg",
    "%73ize=32",
    "&&&=&=",
    "a=" + "b" * 2000,
]


@pytest.mark.parametrize("query", NASTY)
def test_odd_parameters_are_never_a_5xx_through_the_gateway(
    deployment: Deployment, query: str
) -> None:
    response = get(image_url(deployment, f"?{query}"))
    assert response.status_code in (200, 400), (query, response.status_code, response.text[:200])
    if response.status_code == 400:
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.text.count("\n") == 1


def test_favicon_under_the_stage(deployment: Deployment) -> None:
    icon = get(urljoin(deployment.url, "favicon.ico"))
    assert icon.status_code == 200
    assert icon.headers["Content-Type"] == "image/png"
    assert_same_picture(icon.content, dnmonster_own(deployment.dnmonster.url, "identidock", 32), 32)


def test_the_page_srcset_and_offers_load_through_the_gateway(deployment: Deployment) -> None:
    page = get(f"{deployment.url}?name={quote(NAME)}", CHROME_NAVIGATION)
    assert page.status_code == 200
    found = re.search(r'<img src="[^"]*" srcset="([^"]*)"', page.text)
    assert found, page.text
    candidates = [part.strip().split(" ")[0] for part in html.unescape(found.group(1)).split(",")]
    block = re.search(r'<dd class="variants">(.*?)</dd>', page.text, re.DOTALL)
    assert block, page.text
    offers = [html.unescape(h) for h in re.findall(r'<a href="([^"]*)">', block.group(1))]
    assert len(candidates) == 3
    assert len(offers) == 6
    for url in candidates + offers:
        response = get(urljoin(deployment.url, url))
        assert response.status_code == 200, url


@pytest.fixture
def public_base_url(deployment: Deployment) -> Iterator[str]:
    """PUBLIC_BASE_URL set on the deployed function to its execute-api URL, then removed."""
    lambdas = aws_client(deployment.env, "lambda")
    (function,) = [
        f["FunctionName"]
        for f in lambdas.list_functions()["Functions"]
        if f["FunctionName"].startswith("identidock-fn")
    ]
    variables = lambdas.get_function_configuration(FunctionName=function)["Environment"][
        "Variables"
    ]

    def configure(values: dict[str, str]) -> None:
        lambdas.update_function_configuration(
            FunctionName=function, Environment={"Variables": values}
        )
        lambdas.get_waiter("function_updated_v2").wait(
            FunctionName=function, WaiterConfig={"Delay": 1, "MaxAttempts": 120}
        )

    configure({**variables, "PUBLIC_BASE_URL": deployment.url})
    try:
        yield deployment.url
    finally:
        configure(variables)


def test_public_base_url_makes_the_shown_urls_right_behind_the_prefix(
    deployment: Deployment, public_base_url: str
) -> None:
    """LocalStack's `/_aws/execute-api/<id>/api/` prefix never reaches the function, which sees
    `/api/`: with PUBLIC_BASE_URL the URLs shown to copy are the ones that work."""
    page = get(f"{deployment.url}?name={quote(NAME)}", CHROME_NAVIGATION)
    assert page.status_code == 200
    shown = re.search(r"<dd><code>([^<]*)</code>", page.text)
    assert shown, page.text
    assert html.unescape(shown.group(1)) == image_url(deployment)
    assert get(html.unescape(shown.group(1))).status_code == 200
    share = re.search(r'<dd><a href="[^"]*">([^<]*)</a>', page.text)
    assert share, page.text
    assert html.unescape(share.group(1)) == f"{public_base_url}?name={quote(NAME)}"
    assert get(html.unescape(share.group(1)), CHROME_NAVIGATION).status_code == 200

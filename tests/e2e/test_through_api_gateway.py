"""What a browser meets through API Gateway: the page, the image, binary bodies, odd names."""

import base64
import re
import uuid
from urllib.parse import quote, urljoin, urlsplit

import pytest
import requests

from chalicelib.hashing import name_hash
from identidock_fn.bench.events import BROWSER_ACCEPT
from tests.e2e.stack import EXTERNAL_LOCALSTACK, Deployment

pytestmark = pytest.mark.e2e

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHROME_IMAGE = BROWSER_ACCEPT["chrome-img"]
FIREFOX_IMAGE = BROWSER_ACCEPT["firefox-img"]
SAFARI_IMAGE = BROWSER_ACCEPT["safari-img"]
CHROME_NAVIGATION = BROWSER_ACCEPT["chrome-navigate"]
IMG_SRC = re.compile(r'<img src="([^"]+)"')


def get(url: str, accept: str | None = None, **kwargs: object) -> requests.Response:
    headers = {"Accept": accept} if accept else {}
    return requests.get(url, headers=headers, timeout=30, **kwargs)


def assert_html_page(response: requests.Response) -> str:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/html")
    text = response.text
    assert text.lstrip().lower().startswith("<!doctype html"), text[:80]
    return text


def monster_url(deployment: Deployment, name: str) -> str:
    return f"{deployment.url}monster/{quote(name, safe='')}"


def test_get_page_is_html_text_and_its_image_loads_under_the_stage_prefix(
    deployment: Deployment,
) -> None:
    page = get(deployment.url, CHROME_NAVIGATION)
    html = assert_html_page(page)
    src = IMG_SRC.search(html)
    assert src, html
    image_url = urljoin(deployment.url, src.group(1))
    assert "/api/monster/" in urlsplit(image_url).path
    image = get(image_url, CHROME_IMAGE)
    assert image.status_code == 200
    assert image.content.startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("name", ["Ada Lovelace", "a/b?c#d%e", "zoë 名前 🐙"])
def test_post_form_shows_the_monster_of_exactly_that_name(
    deployment: Deployment, name: str
) -> None:
    page = requests.post(
        deployment.url,
        data={"name": name},
        headers={"Accept": CHROME_NAVIGATION},
        timeout=30,
    )
    html = assert_html_page(page)
    src = IMG_SRC.search(html)
    assert src, html
    expected_hash = name_hash(deployment.salt, name)
    assert src.group(1).endswith(f"monster/{expected_hash}")
    image = get(urljoin(deployment.url, src.group(1)), FIREFOX_IMAGE)
    assert image.content.startswith(PNG_SIGNATURE)
    assert deployment.proxy.count(expected_hash) >= 1


@pytest.mark.parametrize(
    "accept",
    [CHROME_IMAGE, FIREFOX_IMAGE, SAFARI_IMAGE, CHROME_NAVIGATION],
    ids=["chrome-img", "firefox-img", "safari-img", "chrome-navigation"],
)
def test_image_arrives_as_png_bytes_for_browser_accept_headers(
    deployment: Deployment, accept: str
) -> None:
    response = get(monster_url(deployment, "accept-check"), accept)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.content.startswith(PNG_SIGNATURE)


def test_star_slash_star_accept(deployment: Deployment) -> None:
    """curl's default Accept. AWS decodes it (binaryMediaTypes has `*/*`); our LocalStack plugin
    makes the emulator follow AWS; stock LocalStack (docker compose) answers the base64 text."""
    browser = get(monster_url(deployment, "star-check"), CHROME_IMAGE).content
    response = get(monster_url(deployment, "star-check"), "*/*")
    assert response.status_code == 200
    if EXTERNAL_LOCALSTACK:
        assert base64.b64decode(response.content, validate=True) == browser
    else:
        assert response.content == browser
        assert response.content.startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("special", ["what?", "a#b", "a/b", "100%", "%2F", "zoë 名前", "?#/% ü"])
def test_odd_names_reach_dnmonster_as_that_one_name(deployment: Deployment, special: str) -> None:
    """The browser percent-encodes the name as one path segment; dnmonster must get it back intact.

    LocalStack 4.13.1 hands the Lambda `pathParameters` still percent-encoded (its router says so;
    reports on AWS REST APIs say the same), so whichever layer decodes must decode exactly once.
    """
    name = f"{uuid.uuid4().hex[:8]} {special}"
    response = get(monster_url(deployment, name), CHROME_IMAGE)
    assert response.status_code == 200, response.text
    assert response.content.startswith(PNG_SIGNATURE)
    seen = [seen for seen in deployment.proxy.names if name[:8] in seen]
    assert seen == [name]
    assert deployment.proxy.count(name) == 1

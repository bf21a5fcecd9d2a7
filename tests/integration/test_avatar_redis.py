"""The avatar variants against a real redis-server and a real dnmonster process (issue 13).

Each variant is dnmonster's own picture for that size (pixels) or its SVG (dot for dot with the
PNG), stored under its own Redis key; the defaults keep today's key; and whatever a visitor
sends, one name never has more entries in Redis than the variants allow.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator

import pytest
from chalice.test import Client

from app import app
from chalicelib.cache import Keys
from chalicelib.config import get_settings
from chalicelib.variants import variant_count
from identidock_fn.bench.events import IMAGE_ACCEPT
from identidock_fn.services import DnmonsterServer, RedisServer
from tests.support.upstream import UpstreamServer
from tests.unit.test_avatar_pixels import (
    SIZES,
    assert_same_picture,
    assert_svg_is_the_png,
    dnmonster_own,
)

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("clean_function_state")]

IMG = {"Accept": IMAGE_ACCEPT}
NAME = hashlib.sha256(b"an avatar").hexdigest()


@pytest.fixture
def client(
    monkeypatch: pytest.MonkeyPatch, redis_service: RedisServer, counted: UpstreamServer
) -> Iterator[Client]:
    monkeypatch.setenv("REDIS_URL", redis_service.url)
    monkeypatch.setenv("DNMONSTER_URL", counted.url)
    with Client(app, stage_name="integration-test") as test_client:
        yield test_client


def redis_keys(redis_service: RedisServer, name: str = NAME) -> set[str]:
    digest = hashlib.sha256(name.encode()).hexdigest()
    found = redis_service.client().keys(f"identidock:*:{digest}")
    return {key.decode() if isinstance(key, bytes) else key for key in found}


@pytest.mark.parametrize("size", SIZES)
def test_each_size_and_format_is_dnmonsters_own_picture(
    client: Client,
    redis_service: RedisServer,
    dnmonster_service: DnmonsterServer,
    counted: UpstreamServer,
    size: int,
) -> None:
    png = client.http.get(f"/monster/{NAME}?size={size}", headers=IMG)
    svg = client.http.get(f"/monster/{NAME}?size={size}&format=svg", headers=IMG)
    assert (png.status_code, svg.status_code) == (200, 200)
    assert png.headers["Content-Type"] == "image/png"
    assert svg.headers["Content-Type"] == "image/svg+xml"
    own_png = dnmonster_own(dnmonster_service.url, NAME, size)
    assert png.body == own_png
    assert_same_picture(png.body, own_png, size)
    assert svg.body == dnmonster_own(dnmonster_service.url, NAME, size, "svg")
    assert_svg_is_the_png(svg.body, png.body, size)
    assert redis_keys(redis_service) == {
        Keys.for_monster("1", size, NAME, "png").value,
        Keys.for_monster("1", size, NAME, "svg").value,
    }
    # Both are hits now: the same bytes, no new dnmonster call.
    calls = counted.calls
    assert client.http.get(f"/monster/{NAME}?size={size}", headers=IMG).body == png.body
    again = client.http.get(f"/monster/{NAME}?format=svg&size={size}", headers=IMG)
    assert again.body == svg.body
    assert counted.calls == calls == 2


def test_the_default_url_reads_the_entry_written_before_the_upgrade(
    client: Client, redis_service: RedisServer, dnmonster_service: DnmonsterServer
) -> None:
    """An entry stored under today's key (as the previous version wrote it) is served as is."""
    own = dnmonster_own(dnmonster_service.url, NAME, 80)
    digest = hashlib.sha256(NAME.encode()).hexdigest()
    redis_service.client().set(f"identidock:v1:monster:80:{digest}", own)
    for url in (f"/monster/{NAME}", f"/monster/{NAME}?size=80", f"/monster/{NAME}?format=png"):
        response = client.http.get(url, headers=IMG)
        assert (response.status_code, response.body) == (200, own)
    assert redis_keys(redis_service) == {f"identidock:v1:monster:80:{digest}"}


def test_one_name_has_a_bounded_number_of_entries(
    client: Client,
    redis_service: RedisServer,
    counted: UpstreamServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every size, format, spelling, repetition and unknown parameter a visitor could send
    (here with AVATAR_MAX_SIZE=24 to keep it short): exactly the allowed variants are stored."""
    monkeypatch.setenv("AVATAR_MAX_SIZE", "24")
    sizes = ["", "0", "11", *map(str, range(12, 30)), "012", "1024", "99999", "12.0", "abc"]
    formats = ["", "png", "svg", "SVG", "webp"]
    junk = ["", "&v=1", "&size2=13", "&format%5B%5D=svg"]
    statuses: set[int] = set()
    for size, fmt, extra in itertools.product(sizes, formats, junk):
        response = client.http.get(f"/monster/{NAME}?size={size}&format={fmt}{extra}", headers=IMG)
        statuses.add(response.status_code)
    assert statuses == {200, 400}
    image = get_settings().image
    allowed = {
        Keys.for_monster("1", size, NAME, fmt).value
        for size in [*range(12, image.max_size + 1), image.size]
        for fmt in ("png", "svg")
    }
    assert redis_keys(redis_service) == allowed
    assert len(allowed) == variant_count(image) + 2  # + the default size's PNG and SVG
    assert counted.calls == len(allowed)

"""The README's pictures (docs/) show the page as the code renders it today, on `make run`.

`python -m identidock_fn screenshot` records in each picture a fingerprint of the page and the
SHA-256 of the monster it showed; a change to the page or to the art needs new pictures.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from PIL import Image

from chalicelib.aws_secrets import DEV_SALT
from chalicelib.config import DEFAULT_SIZE
from chalicelib.page import DEFAULT_NAME
from identidock_fn.screenshot import (
    DEVICES,
    FACT_MONSTER,
    FACT_PAGE,
    Device,
    page_fingerprint,
    screenshot_facts,
    screenshot_path,
)
from tests.browser.page_model import Target

pytestmark = pytest.mark.browser

DOCS = Path(__file__).resolve().parents[2] / "docs"
REGENERATE = "run `python -m identidock_fn screenshot` to take them again"


@pytest.mark.parametrize("device", DEVICES, ids=[device.name for device in DEVICES])
def test_readme_picture_is_of_the_page_as_it_is(device: Device) -> None:
    path = screenshot_path(DOCS, device)
    with Image.open(path) as picture:
        assert picture.width == device.width * device.scale
    facts = screenshot_facts(path)
    assert facts[FACT_PAGE] == page_fingerprint(), f"{path.name} shows an older page: {REGENERATE}"
    # The page's srcset gives a 2x screen (the phone) the monster drawn at twice the size.
    size = DEFAULT_SIZE * int(device.scale)
    make_run = Target("make run", "http://127.0.0.1:8000/", size, DEV_SALT)
    drawn = hashlib.sha256(make_run.expected_png(DEFAULT_NAME)).hexdigest()
    assert facts[FACT_MONSTER] == drawn, f"{path.name} shows an older monster: {REGENERATE}"

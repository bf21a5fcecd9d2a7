"""The page's colours (WCAG AA), the monster's backdrop, the CSP hash and the page's markup."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.links import page_links
from chalicelib.page import CONTENT_SECURITY_POLICY, DEFAULT_NAME, render_page
from chalicelib.page_style import (
    CONTRAST_PAIRS,
    MONSTER_CHANNEL_RANGE,
    PALETTE,
    STYLE,
    contrast_ratio,
    rgb,
)

LOW, HIGH = MONSTER_CHANNEL_RANGE
channel = st.integers(min_value=LOW, max_value=HIGH)
BACKDROP = rgb(PALETTE["backdrop"])


def test_contrast_ratio_matches_wcag_reference_values() -> None:
    assert contrast_ratio((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast_ratio((255, 255, 255), (255, 255, 255)) == pytest.approx(1.0)
    assert contrast_ratio(rgb("#767676"), rgb("#ffffff")) == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(("fg", "bg", "minimum"), CONTRAST_PAIRS)
def test_palette_meets_wcag_aa(fg: str, bg: str, minimum: float) -> None:
    assert contrast_ratio(rgb(PALETTE[fg]), rgb(PALETTE[bg])) >= minimum


def test_every_palette_colour_is_used_in_the_stylesheet() -> None:
    for name, colour in PALETTE.items():
        assert colour in STYLE, name
    assert set(re.findall(r"#[0-9a-f]{6}\b", STYLE)) <= set(PALETTE.values())


def test_backdrop_is_darker_than_every_monster_channel() -> None:
    # dnmonster's channels start at 55, so no monster colour can sink into the backdrop.
    assert max(BACKDROP) <= LOW - 40


@given(colour=st.tuples(channel, channel, channel))
def test_backdrop_keeps_every_monster_colour_visible(colour: tuple[int, int, int]) -> None:
    # The darkest grey monster is the worst case; on white the palest one all but vanishes.
    assert contrast_ratio(colour, BACKDROP) >= contrast_ratio((LOW, LOW, LOW), BACKDROP) >= 1.65
    palest = (HIGH, HIGH, HIGH)
    assert contrast_ratio(palest, BACKDROP) >= 18
    assert contrast_ratio(palest, (255, 255, 255)) < 1.01


def test_most_monster_colours_reach_3_to_1_on_the_backdrop() -> None:
    steps = range(LOW, HIGH + 1, 11)
    colours = [(r, g, b) for r in steps for g in steps for b in steps]
    good = sum(contrast_ratio(colour, BACKDROP) >= 3 for colour in colours)
    on_white = sum(contrast_ratio(colour, (255, 255, 255)) >= 3 for colour in colours)
    assert good / len(colours) >= 0.9
    assert good > 2 * on_white


def test_csp_allows_exactly_this_stylesheet_and_nothing_else() -> None:
    digest = base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in CONTENT_SECURITY_POLICY
    assert "default-src 'none'" in CONTENT_SECURITY_POLICY
    assert "unsafe" not in CONTENT_SECURITY_POLICY
    assert "script-src" not in CONTENT_SECURITY_POLICY


class Outline(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.starts: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))

    def first(self, tag: str) -> dict[str, str | None]:
        return next(attrs for name, attrs in self.starts if name == tag)


def outline(html: str) -> Outline:
    reader = Outline()
    reader.feed(html)
    return reader


def monster_page(name: str = DEFAULT_NAME, size: int = 80) -> str:
    links = page_links("/api/", "example.test", "https", "ab" * 32, name)
    return render_page(name=name, form_action="./", links=links, size=size, max_chars=200)


def test_form_is_a_get_so_back_and_forward_work_and_the_url_is_shareable() -> None:
    form = outline(monster_page()).first("form")
    assert (form["method"], form["action"]) == ("get", "./")


def test_field_has_a_label_a_hint_and_no_silent_length_cut() -> None:
    page = outline(monster_page())
    field = page.first("input")
    assert page.first("label")["for"] == field["id"] == "name"
    assert "maxlength" not in field
    assert field["aria-describedby"] == "name-hint"
    assert "required" in field


def test_error_is_announced_and_tied_to_the_field() -> None:
    html = render_page(
        name="x" * 201,
        form_action="./",
        links=None,
        size=80,
        max_chars=200,
        error="That name is too long.",
    )
    page = outline(html)
    assert page.first("input")["aria-describedby"] == "name-error name-hint"
    assert page.first("p") is not None
    alert = next(attrs for tag, attrs in page.starts if attrs.get("role") == "alert")
    assert alert["id"] == "name-error"
    assert page.first("main")["class"] == ""


@pytest.mark.parametrize(("size", "shown"), [(80, 320), (12, 312), (100, 300), (500, 500)])
def test_monster_is_shown_large_at_a_whole_scale(size: int, shown: int) -> None:
    img = outline(monster_page(size=size)).first("img")
    assert (img["width"], img["height"]) == (str(shown), str(shown))
    assert img["alt"] == f"The monster for {DEFAULT_NAME}"


def test_tab_icon_is_the_monster_or_a_same_origin_monster_on_error_pages() -> None:
    assert outline(monster_page()).first("link")["href"] == "./monster/" + "ab" * 32
    error_page = render_page(
        name="x", form_action="./api/", links=None, size=80, max_chars=200, error="No."
    )
    assert outline(error_page).first("link")["href"] == "./api/monster/identidock"


def test_page_has_lang_title_viewport_and_monster_layout() -> None:
    page = outline(monster_page("Zoë"))
    assert page.first("html")["lang"] == "en"
    assert page.first("meta") == {"charset": "utf-8"}
    viewport = next(a for t, a in page.starts if t == "meta" and a.get("name") == "viewport")
    assert viewport["content"] == "width=device-width, initial-scale=1"
    assert page.first("main")["class"] == "with-monster"
    assert "<title>Zoë — identidock</title>" in monster_page("Zoë")

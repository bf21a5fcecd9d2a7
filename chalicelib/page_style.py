"""The page's one stylesheet and its colours (no external assets: the CSP allows none).

The colours live in `PALETTE` so a unit test can check every pair the page puts together against
WCAG AA. The monster sits on `BACKDROP`, a near-black tile: dnmonster paints with channels from
55 to 254, so a white page hides the palest monsters, while a backdrop darker than every channel
keeps each colour apart from it (and most of them at 3:1 or more).
"""

from __future__ import annotations

import base64
import hashlib
from string import Template

#: The lowest and highest value dnmonster gives each colour channel (`int(random * 200) + 55`).
MONSTER_CHANNEL_RANGE = (55, 254)

PALETTE: dict[str, str] = {
    "ink": "#1b1f24",  # body text
    "muted": "#4b5563",  # secondary text
    "paper": "#f3f4f6",  # the page around the card
    "card": "#ffffff",  # the card and the input
    "line": "#dde1e7",  # decorative borders only
    "field": "#6b7280",  # the input's border: must stand out from the card (3:1)
    "accent": "#4338ca",  # the button, links, the focus ring
    "accent_hover": "#3730a3",
    "accent_ink": "#ffffff",  # text on the button
    "error_bg": "#fef2f2",
    "error_ink": "#991b1b",
    "backdrop": "#08090c",  # behind the monster
}

#: (foreground, background, minimum ratio): text needs 4.5:1, UI parts and the focus ring 3:1.
CONTRAST_PAIRS: tuple[tuple[str, str, float], ...] = (
    ("ink", "card", 4.5),
    ("ink", "paper", 4.5),
    ("muted", "card", 4.5),
    ("muted", "paper", 4.5),
    ("accent", "card", 4.5),
    ("accent", "paper", 4.5),
    ("accent_ink", "accent", 4.5),
    ("accent_ink", "accent_hover", 4.5),
    ("error_ink", "error_bg", 4.5),
    ("field", "card", 3.0),
    ("accent", "error_bg", 3.0),
)

# Phones (up to 30rem): the card becomes the page and the monster loses its frame padding, so a
# 320 px monster still fits a 360 px screen at a whole scale factor (crisp, even dots).
# Wide screens (52rem and more): the monster stands beside the form instead of below it.
_STYLE = Template(
    """
:root { color-scheme: light; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif;
  font-size: 100%; line-height: 1.5; color: $ink; background: $paper;
  -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body { margin: 0; padding: 2.5rem 1rem 1.5rem; }
main { max-width: 35rem; margin: 0 auto; padding: 2rem; background: $card;
  border: 1px solid $line; border-radius: 16px;
  box-shadow: 0 1px 2px rgb(16 24 40 / 6%), 0 12px 32px rgb(16 24 40 / 8%); }
h1 { margin: 0; font-size: 1.875rem; line-height: 1.2; letter-spacing: -0.02em; }
.lede { margin: .375rem 0 1.75rem; color: $muted; }
label { display: block; margin-bottom: .375rem; font-weight: 600; }
.row { display: flex; flex-wrap: wrap; gap: .5rem; }
input { flex: 1 1 12rem; min-width: 0; margin: 0; padding: .625rem .75rem; font: inherit;
  color: $ink; background: $card; border: 1px solid $field; border-radius: 10px; }
button { flex: 0 0 auto; margin: 0; padding: .625rem 1.25rem; font: inherit; font-weight: 600;
  color: $accent_ink; background: $accent; border: 1px solid $accent; border-radius: 10px;
  cursor: pointer; }
button:hover { background: $accent_hover; border-color: $accent_hover; }
:focus-visible { outline: 3px solid $accent; outline-offset: 2px; }
.hint { margin: .5rem 0 0; font-size: .875rem; color: $muted; }
.error { margin: 1.5rem 0 0; padding: .75rem 1rem; color: $error_ink; background: $error_bg;
  border: 1px solid $error_ink; border-left-width: 6px; border-radius: 10px; }
figure { margin: 2rem 0 0; text-align: center; }
figure img { display: block; box-sizing: content-box; max-width: 100%; height: auto;
  margin: 0 auto; padding: 1.5rem; background: $backdrop; border-radius: 20px;
  image-rendering: crisp-edges; image-rendering: pixelated; }
figcaption { margin-top: .75rem; color: $muted; overflow-wrap: anywhere; }
figcaption strong { color: $ink; }
dl { margin: 1.75rem 0 0; padding: 1rem 1.25rem; background: $paper; border-radius: 12px; }
dt { font-size: .875rem; font-weight: 600; color: $muted; }
dd { margin: .125rem 0 0; overflow-wrap: anywhere; }
dd + dt { margin-top: .75rem; }
.variants { display: flex; flex-wrap: wrap; gap: .25rem 1rem; }
a { color: $accent; text-underline-offset: .15em; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .875em;
  user-select: all; }
.footer { max-width: 35rem; margin: 1.25rem auto 0; font-size: .875rem; color: $muted;
  text-align: center; }
@media (min-width: 52rem) {
  main.with-monster { max-width: 60rem; display: grid; column-gap: 2.5rem;
    grid-template-columns: minmax(0, 1fr) auto; grid-template-rows: auto auto auto auto 1fr;
    grid-template-areas: "intro monster" "form monster" "error monster" "links monster"
      ". monster"; }
  .intro { grid-area: intro; }
  form { grid-area: form; }
  .error { grid-area: error; }
  figure { grid-area: monster; margin: 0; }
  dl { grid-area: links; }
  .footer { max-width: 60rem; }
}
@media (max-width: 30rem) {
  html { background: $card; }
  body { padding: 0; }
  main { padding: 1.5rem 20px; border: 0; border-radius: 0; box-shadow: none; }
  button { flex-grow: 1; }
  figure img { padding: 0; border-radius: 12px; }
  .footer { margin: 0; padding: 0 20px 1.5rem; }
}
"""
)

STYLE = _STYLE.substitute(PALETTE)
STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(rgb: tuple[int, int, int]) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""
    red, green, blue = (_channel(value) for value in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: tuple[int, int, int], second: tuple[int, int, int]) -> float:
    """WCAG 2 contrast ratio, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def rgb(hex_colour: str) -> tuple[int, int, int]:
    """`#rrggbb` as a tuple of three channels."""
    digits = hex_colour.removeprefix("#")
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)

"""The HTML page: a form, the monster, a shareable link; no JavaScript and no external assets.

Every value put into the page is HTML-escaped. The one inline stylesheet (`page_style.py`) is
allowed by its SHA-256 hash in the Content-Security-Policy, computed at import.
"""

from __future__ import annotations

from string import Template

from chalicelib.config import DEFAULT_AVATAR_MAX_SIZE, MIN_SIZE
from chalicelib.links import PageLinks
from chalicelib.page_style import STYLE, STYLE_HASH

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "DEFAULT_NAME",
    "DISPLAY_PX",
    "STYLE",
    "display_px",
    "offered_sizes",
    "render_page",
    "srcset",
]

#: What `html.escape(text, quote=True)` replaces, with the same entities. Importing `html` costs
#: 1.3 ms of a cold start (it loads the table of 2,231 named entities, for `unescape`).
_HTML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"}
)


def escape(text: str) -> str:
    """`text` safe inside an element and in a quoted attribute value."""
    return text.translate(_HTML_ESCAPES)


DEFAULT_NAME = "Joe Bloggs"
DISPLAY_PX = 320  # the monster is scaled up to about this many CSS pixels, by a whole factor
#: Densities offered in the <img>'s srcset beyond 1x (each drawn by dnmonster at size x density).
DENSITIES = (2, 3)
#: The sizes offered to copy or download under the image URL (those up to AVATAR_MAX_SIZE).
OFFERED_SIZES = (32, 64, 128, 256, 512)

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self'; "
    f"style-src 'sha256-{STYLE_HASH}'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

# The tab's icon is the monster itself, or the monster for "identidock" on a page without one
# (without a <link rel=icon>, browsers ask for /favicon.ico, a route the app does not have, and
# the CSP allows no data: URL). The form sends a GET (`./?name=...`, the shareable link): every
# page in the history is then a GET, so Back and Forward just work (a POST result would need
# resubmitting, and the page is no-store). POST / stays supported for clients that post. No
# maxlength on the input: a browser would cut a pasted name short without a word, whereas the
# server answers a long one with a message and keeps what was typed.
_PAGE = Template(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="Type a name and meet its monster.">
<title>$title</title>
<link rel="icon" href="$icon">
<style>$style</style>
</head>
<body>
<main class="$main_class">
<div class="intro">
<h1>identidock</h1>
<p class="lede">Type a name and meet its monster. The same name always brings the same one.</p>
</div>
<form method="get" action="$form_action">
<label for="name">Name</label>
<div class="row">
<input id="name" name="name" type="text" value="$name" required autocomplete="off"
 spellcheck="false" aria-describedby="$described_by">
<button type="submit">Show monster</button>
</div>
<p class="hint" id="name-hint">Any name up to $max_chars characters.</p>
</form>
$body
</main>
<p class="footer">Names are salted and SHA-256 hashed; dnmonster turns each hash into a
 monster.</p>
</body>
</html>
"""
)

# The <img> keeps the book's URL as `src` (1x, the size the page warms in the cache); `srcset`
# adds the same monster drawn at 2x and 3x the size, so a high-density screen gets real pixels,
# each shown at the same whole scale factor as the 1x picture (never blurred: pixelated).
_MONSTER = Template(
    """<figure>
<img src="$image"$srcset alt="The monster for $name" width="$px" height="$px">
<figcaption>The monster for <strong>$name</strong></figcaption>
</figure>
<dl>
<dt>Share this monster</dt>
<dd><a href="$share">$share_text</a></dd>
<dt>Image URL</dt>
<dd><code>$image_text</code></dd>
<dt>Other sizes and SVG</dt>
<dd class="variants">$offers</dd>
<dd class="hint">Open one to save it or copy its link, or add “?size=N” ($min_size to
 $max_size pixels) or “?format=svg” to the image URL.</dd>
</dl>"""
)


def display_px(size: int) -> int:
    """The shown size: the largest whole multiple of size not above DISPLAY_PX (at least size)."""
    return size * max(1, DISPLAY_PX // size)


def srcset(image: str, size: int, max_size: int) -> str:
    """`image 1x, image?size=2S 2x, ...` for the densities whose size is allowed ("" if none)."""
    extra = [f"{image}?size={size * d} {d}x" for d in DENSITIES if size * d <= max_size]
    return ", ".join([f"{image} 1x", *extra]) if extra else ""


def offered_sizes(max_size: int) -> tuple[int, ...]:
    return tuple(size for size in OFFERED_SIZES if size <= max_size)


def _offers(links: PageLinks, max_size: int) -> str:
    """Links to each offered size and the SVG: opened, saved or copied by the browser.

    No `download` attribute: Chromium asks for a download without an Accept header, which API
    Gateway cannot decode a base64 PNG for (so the function answers 406, see middleware.py);
    following the link sends the navigation's Accept, and Save or Copy work from there."""
    image = escape(links.image)
    parts = [f'<a href="{image}?size={size}">{size} px</a>' for size in offered_sizes(max_size)]
    parts.append(f'<a href="{image}?format=svg">SVG</a>')
    return "\n".join(parts)


def render_page(
    *,
    name: str,
    form_action: str,
    links: PageLinks | None,
    size: int,
    max_chars: int,
    error: str | None = None,
    max_size: int = DEFAULT_AVATAR_MAX_SIZE,
) -> str:
    """The whole page; with links it shows the monster, with error a friendly message."""
    parts = []
    described_by = "name-hint"
    if error:
        parts.append(f'<p class="error" id="name-error" role="alert">{escape(error)}</p>')
        described_by = "name-error name-hint"
    if links is not None:
        candidates = srcset(links.image, size, max_size)
        parts.append(
            _MONSTER.substitute(
                image=escape(links.image),
                srcset=f' srcset="{escape(candidates)}"' if candidates else "",
                offers=_offers(links, max_size),
                min_size=MIN_SIZE,
                max_size=max_size,
                name=escape(name),
                px=display_px(size),
                share=escape(links.share),
                share_text=escape(links.share_absolute or links.share),
                image_text=escape(links.image_absolute or links.image),
            )
        )
    title = f"{name} — identidock" if name and not error else "identidock"
    return _PAGE.substitute(
        title=escape(title),
        style=STYLE,
        main_class="with-monster" if links is not None else "",
        icon=escape(links.image if links is not None else f"{form_action}monster/identidock"),
        form_action=escape(form_action),
        name=escape(name),
        described_by=described_by,
        max_chars=max_chars,
        body="\n".join(parts),
    )

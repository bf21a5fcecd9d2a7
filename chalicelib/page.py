"""The HTML page: a form, the monster, a shareable link; no JavaScript and no external assets.

Every value put into the page is HTML-escaped. The one inline stylesheet is allowed by its
SHA-256 hash in the Content-Security-Policy, computed here at import.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape
from string import Template

from chalicelib.links import PageLinks

DEFAULT_NAME = "Joe Bloggs"
DISPLAY_PX = 320  # the monster is scaled up to about this many CSS pixels, by a whole factor

STYLE = """
:root { color-scheme: light; --ink: #1f2328; --muted: #4a5360; --paper: #f6f7f9;
  --card: #ffffff; --line: #c9ced6; --accent: #1d4ed8; --accent-ink: #ffffff;
  --error-bg: #fdecec; --error-ink: #8a1c1c; }
* { box-sizing: border-box; }
html { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; line-height: 1.5;
  color: var(--ink); background: var(--paper); }
body { margin: 0; padding: 1rem; }
main { max-width: 40rem; margin: 0 auto; background: var(--card); border: 1px solid var(--line);
  border-radius: 12px; padding: 1.25rem; }
h1 { margin: 0 0 .25rem; font-size: 1.75rem; }
.lede { margin: 0 0 1rem; color: var(--muted); }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
.row { display: flex; flex-wrap: wrap; gap: .5rem; }
input[type=text] { flex: 1 1 12rem; min-width: 0; font: inherit; padding: .6rem .7rem;
  border: 1px solid var(--muted); border-radius: 8px; color: var(--ink); background: #fff; }
button { font: inherit; font-weight: 600; padding: .6rem 1.1rem; border: 0; border-radius: 8px;
  background: var(--accent); color: var(--accent-ink); cursor: pointer; }
button:hover { background: #1e40af; }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
input[type=text]:focus-visible { outline-offset: 0; }
.error { margin: 1rem 0 0; padding: .75rem 1rem; border-radius: 8px; background: var(--error-bg);
  color: var(--error-ink); border: 1px solid #e5b4b4; }
figure { margin: 1.5rem 0 1rem; text-align: center; }
figure img { image-rendering: pixelated; image-rendering: crisp-edges; max-width: 100%;
  height: auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
figcaption { margin-top: .5rem; color: var(--muted); overflow-wrap: anywhere; }
dl { margin: 0; }
dt { font-weight: 600; margin-top: .75rem; }
dd { margin: .15rem 0 0; overflow-wrap: anywhere; }
a { color: var(--accent); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9em; }
"""

STYLE_HASH = base64.b64encode(hashlib.sha256(STYLE.encode("utf-8")).digest()).decode("ascii")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; img-src 'self'; "
    f"style-src 'sha256-{STYLE_HASH}'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

_PAGE = Template(
    """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>$title</title>
<style>$style</style>
</head>
<body>
<main>
<h1>identidock</h1>
<p class="lede">Type a name and meet its monster.</p>
<form method="post" action="$form_action">
<label for="name">Name</label>
<div class="row">
<input id="name" name="name" type="text" value="$name" maxlength="$max_chars" required
 autocomplete="off" spellcheck="false">
<button type="submit">Show monster</button>
</div>
</form>
$body
</main>
</body>
</html>
"""
)

_MONSTER = Template(
    """<figure>
<img src="$image" alt="The monster for $name" width="$px" height="$px">
<figcaption>The monster for <strong>$name</strong></figcaption>
</figure>
<dl>
<dt>Share this monster</dt>
<dd><a href="$share">$share_text</a></dd>
<dt>Image URL</dt>
<dd><code>$image_text</code></dd>
</dl>"""
)


def display_px(size: int) -> int:
    """The shown size: the largest whole multiple of size not above DISPLAY_PX (at least size)."""
    return size * max(1, DISPLAY_PX // size)


def render_page(
    name: str,
    form_action: str,
    links: PageLinks | None,
    size: int,
    max_chars: int,
    error: str | None = None,
) -> str:
    """The whole page; with links it shows the monster, with error a friendly message."""
    parts = []
    if error:
        parts.append(f'<p class="error" role="alert">{escape(error)}</p>')
    if links is not None:
        parts.append(
            _MONSTER.substitute(
                image=escape(links.image),
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
        form_action=escape(form_action),
        name=escape(name),
        max_chars=max_chars,
        body="\n".join(parts),
    )

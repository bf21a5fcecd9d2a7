"""Where the page's links point, so they work under every way the page is reached.

The page (route `/`) is served at `/` (chalice local, a custom domain without base path),
`/api/` or `/api` (API Gateway stage), or `/<base-path>` (custom domain mapping). The links are
relative to the page's own URL, so no prefix is ever hard-coded: with a trailing slash they
start with `./`, without one they repeat the last segment (`./api/monster/...` from `/api`).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urljoin


@dataclass(frozen=True)
class PageLinks:
    form_action: str
    image: str
    share: str
    image_absolute: str
    share_absolute: str


def relative_base(page_path: str) -> str:
    """The relative prefix that resolves to the directory the page's routes live in."""
    if not page_path or page_path.endswith("/"):
        return "./"
    last = page_path.rsplit("/", 1)[-1]
    return "./" + quote(last, safe="") + "/"


def page_links(
    page_path: str, host: str | None, proto: str | None, name_hash: str, name: str
) -> PageLinks:
    """Links for the page at page_path (the path the client asked for, stage prefix included)."""
    base = relative_base(page_path)
    image = f"{base}monster/{name_hash}"
    share = f"{base}?name={quote(name, safe='')}"
    scheme = (proto or "http").split(",")[0].strip().lower()
    origin = f"{scheme}://{host}" if host else ""
    path = page_path if page_path.startswith("/") else "/"
    return PageLinks(
        form_action=base,
        image=image,
        share=share,
        image_absolute=origin + urljoin(path, image),
        share_absolute=origin + urljoin(path, share),
    )

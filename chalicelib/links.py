"""Where the page's links point, so they work under every way the page is reached.

The page (route `/`) is served at `/` (chalice local, a custom domain without base path),
`/api/` or `/api` (API Gateway stage), or `/<base-path>` (custom domain mapping). The links are
relative to the page's own URL, so no prefix is ever hard-coded: with a trailing slash they
start with `./`, without one they repeat the last segment (`./api/monster/...` from `/api`).

The URLs shown as text to copy (the image URL, the share link) must be absolute. The function
only sees the Host, X-Forwarded-Proto and the path API Gateway hands it, which is wrong behind
LocalStack's path-style prefix (`/restapis/<id>/api/_user_request_/`), a CDN or a base-path
mapping; so `PUBLIC_BASE_URL` (the URL of the page's directory, e.g. `https://cdn.example.com/`)
wins when set, and otherwise they are built from the request.
"""

from typing import NamedTuple
from urllib.parse import quote, urljoin


class PageLinks(NamedTuple):
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
    page_path: str,
    host: str | None,
    proto: str | None,
    name_hash: str,
    name: str,
    public_base_url: str | None = None,
) -> PageLinks:
    """Links for the page at page_path (the path the client asked for, stage prefix included);
    the absolute ones under public_base_url (ending in `/`) when it is given."""
    base = relative_base(page_path)
    image = f"{base}monster/{name_hash}"
    share = f"{base}?name={quote(name, safe='')}"
    if public_base_url:
        image_absolute = f"{public_base_url}monster/{name_hash}"
        share_absolute = f"{public_base_url}?name={quote(name, safe='')}"
    else:
        scheme = (proto or "http").split(",")[0].strip().lower()
        origin = f"{scheme}://{host}" if host else ""
        path = page_path if page_path.startswith("/") else "/"
        image_absolute = origin + urljoin(path, image)
        share_absolute = origin + urljoin(path, share)
    return PageLinks(
        form_action=base,
        image=image,
        share=share,
        image_absolute=image_absolute,
        share_absolute=share_absolute,
    )

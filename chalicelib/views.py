"""What the two routes do; `app.py` only wires them to URLs.

HEAD is answered exactly like GET: the HTTP layer in front (API Gateway, the `up` server) sends
GET's headers and drops the body.
"""

from __future__ import annotations

import logging

from chalice.app import Request, Response

from chalicelib.aws_secrets import SecretUnavailable, resolve_salt
from chalicelib.config import (
    MAX_MONSTER_NAME_CHARS,
    MAX_PAGE_NAME_CHARS,
    ConfigError,
    Settings,
    get_settings,
)
from chalicelib.errors import BadName, BadParameter, DnmonsterError, NotReady
from chalicelib.hashing import name_hash
from chalicelib.images import get_monster
from chalicelib.logs import log_event
from chalicelib.names import check_name, form_name, path_name, shown, single
from chalicelib.responses import (
    IMAGE_CACHE_CONTROL,
    etag_matches,
    html_response,
    image_response,
    monster_etag,
    not_modified,
    text_error,
)
from chalicelib.variants import CONTENT_TYPES, Variant, parse_variant

DRAW_FAILED = "We could not draw this monster right now. Please try again in a moment."
#: `/favicon.ico`: the monster the page uses as its icon when it shows none, small.
FAVICON_NAME = "identidock"
FAVICON_SIZE = 32
#: Not `immutable`: the URL does not change when ART_VERSION does.
FAVICON_CACHE_CONTROL = "public, max-age=86400"


def ready_settings() -> tuple[Settings, str]:
    """Settings and salt, or NotReady (logged) when a request cannot be served at all."""
    try:
        settings = get_settings()
        return settings, resolve_salt(settings.salt)
    except (ConfigError, SecretUnavailable) as error:
        log_event("not_ready", level=logging.ERROR, reason=str(error))
        raise NotReady(str(error)) from error


def not_ready() -> Response:
    return text_error(NotReady.status, NotReady.message, {"Retry-After": "60"})


def _typed_name(request: Request) -> str | None:
    """The name as sent: the form body for POST, the query string otherwise."""
    if request.method == "POST":
        body = request.raw_body
        return form_name(
            body if isinstance(body, bytes) else body.encode(), request.headers.get("content-type")
        )
    params = request.query_params
    return single(params.getlist("name") if params is not None else None)


def page(request: Request) -> Response:
    """GET /?name=... and POST / (form): the page with the monster for the name."""
    # The page's template, styles and links load with the first page, not at import: a cold
    # start that serves an image (most of them) does not pay ~2 ms for them.
    from chalicelib.links import page_links, relative_base
    from chalicelib.page import CONTENT_SECURITY_POLICY, DEFAULT_NAME, render_page

    try:
        settings, salt = ready_settings()
    except NotReady:
        return not_ready()
    path = str(request.context.get("path") or "/")
    size = settings.image.size

    def answer(
        name: str, status: int = 200, error: str | None = None, hashed: str = ""
    ) -> Response:
        links = None
        if hashed:
            host, proto = request.headers.get("host"), request.headers.get("x-forwarded-proto")
            links = page_links(path, host, proto, hashed, name, settings.page.public_base_url)
        html = render_page(
            name=name,
            form_action=links.form_action if links is not None else relative_base(path),
            links=links,
            size=size,
            max_chars=MAX_PAGE_NAME_CHARS,
            error=error,
            max_size=settings.image.max_size,
        )
        return html_response(html, status, CONTENT_SECURITY_POLICY)

    typed = DEFAULT_NAME
    try:
        found = _typed_name(request)
        typed = DEFAULT_NAME if found is None else found
        name = check_name(typed, MAX_PAGE_NAME_CHARS)
    except BadName as problem:
        return answer(shown(typed), 400, problem.message)
    hashed = name_hash(salt, name)
    try:
        get_monster(hashed, settings=settings)  # also warms the cache for the <img> request
    except DnmonsterError:
        return answer(name, 200, DRAW_FAILED)
    return answer(name, hashed=hashed)


def monster(request: Request, name: str) -> Response:
    """GET /monster/{name}[?size=N][&format=svg]: the image, with a strong ETag; a 304 touches
    neither Redis nor dnmonster."""
    try:
        settings, _salt = ready_settings()
    except NotReady:
        return not_ready()
    try:
        name = check_name(path_name(name), MAX_MONSTER_NAME_CHARS)
        variant = parse_variant(request.query_params, settings.image)
    except (BadName, BadParameter) as problem:
        return text_error(problem.status, problem.message)
    return _image(request, settings, name, variant)


def favicon(request: Request) -> Response:
    """GET /favicon.ico: a small monster, so a browser opening a bare image URL finds an icon."""
    try:
        settings, _salt = ready_settings()
    except NotReady:
        return not_ready()
    variant = Variant(FAVICON_SIZE, "png")
    return _image(request, settings, FAVICON_NAME, variant, FAVICON_CACHE_CONTROL)


def _image(
    request: Request,
    settings: Settings,
    name: str,
    variant: Variant,
    cache_control: str = IMAGE_CACHE_CONTROL,
) -> Response:
    size, fmt = variant
    etag = monster_etag(settings.image.art_version, size, name, fmt)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return not_modified(etag, CONTENT_TYPES[fmt], cache_control)
    try:
        result = get_monster(name, settings=settings, size=size, fmt=fmt)
    except DnmonsterError as problem:
        retry_after = problem.retry_after
        return text_error(
            problem.status,
            problem.message,
            {"Retry-After": str(retry_after)} if retry_after else None,
        )
    return image_response(result.body, etag, fmt, cache_control)

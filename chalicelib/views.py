"""What the two routes do; `app.py` only wires them to URLs."""

from __future__ import annotations

import logging

from chalice.app import Request, Response

from chalicelib import images
from chalicelib.aws_secrets import SecretUnavailable, resolve_salt
from chalicelib.config import (
    MAX_MONSTER_NAME_CHARS,
    MAX_PAGE_NAME_CHARS,
    ConfigError,
    Settings,
    get_settings,
)
from chalicelib.dnmonster_client import DnmonsterError
from chalicelib.hashing import name_hash
from chalicelib.links import page_links, relative_base
from chalicelib.logs import current_request, log_event
from chalicelib.names import BadName, check_name, form_name, path_name
from chalicelib.page import CONTENT_SECURITY_POLICY, DEFAULT_NAME, render_page
from chalicelib.responses import (
    etag_matches,
    html_response,
    monster_etag,
    not_modified,
    png_response,
    text_error,
)

NOT_CONFIGURED = "The service is not configured correctly yet. Please try again later."
RETRY_AFTER_SECONDS = "5"


class NotReady(Exception):
    """Configuration or the salt is missing: the function refuses to serve (503)."""


def _log_dnmonster_error(problem: DnmonsterError) -> None:
    log_event("dnmonster_error", level=logging.WARNING, status=problem.status, detail=str(problem))


def ready_settings() -> tuple[Settings, str]:
    """Settings and salt, or NotReady (logged) when a request cannot be served at all."""
    try:
        settings = get_settings()
        return settings, resolve_salt(settings)
    except (ConfigError, SecretUnavailable) as error:
        log_event("not_ready", level=logging.ERROR, reason=str(error))
        raise NotReady(str(error)) from error


def _page(
    request: Request,
    settings: Settings,
    name: str,
    status: int = 200,
    error: str | None = None,
    salt: str | None = None,
) -> Response:
    page_path = str(request.context.get("path") or "/")
    links = None
    if salt is not None:
        links = page_links(
            page_path,
            request.headers.get("host"),
            request.headers.get("x-forwarded-proto"),
            name_hash(salt, name),
            name,
        )
    html = render_page(
        name, relative_base(page_path), links, settings.size, MAX_PAGE_NAME_CHARS, error
    )
    return html_response(html, status, CONTENT_SECURITY_POLICY)


def page(request: Request) -> Response:
    """GET /?name=... and POST / (form): the page with the monster for the name."""
    try:
        settings, salt = ready_settings()
    except NotReady:
        return text_error(503, NOT_CONFIGURED, {"Retry-After": "60"})
    typed = DEFAULT_NAME
    try:
        if request.method == "POST":
            body = request.raw_body
            found = form_name(
                body if isinstance(body, bytes) else body.encode(),
                request.headers.get("content-type"),
            )
        else:
            found = (request.query_params or {}).get("name")
        if found is not None:
            typed = found
        name = check_name(typed, MAX_PAGE_NAME_CHARS)
    except BadName as problem:
        shown = typed.encode("utf-8", "replace").decode("utf-8")
        return _page(request, settings, shown, 400, str(problem))
    try:
        images.get_monster(
            name_hash(salt, name),
            settings,
            images.default_cache(settings),
            images.default_client(settings),
        )
    except DnmonsterError as problem:
        _log_dnmonster_error(problem)
        message = "We could not draw this monster right now. Please try again in a moment."
        return _page(request, settings, name, 200, message)
    return _page(request, settings, name, salt=salt)


def monster(request: Request, name: str) -> Response:
    """GET /monster/{name}: the PNG, with a strong ETag; 304 touches neither Redis nor dnmonster."""
    try:
        settings, _salt = ready_settings()
    except NotReady:
        return text_error(503, NOT_CONFIGURED, {"Retry-After": "60"})
    try:
        name = check_name(path_name(name), MAX_MONSTER_NAME_CHARS)
    except BadName as problem:
        return text_error(400, str(problem))
    etag = monster_etag(settings.art_version, settings.size, name)
    if etag_matches(request.headers.get("if-none-match"), etag):
        return not_modified(etag)
    try:
        result = images.get_monster(
            name, settings, images.default_cache(settings), images.default_client(settings)
        )
    except DnmonsterError as problem:
        _log_dnmonster_error(problem)
        extra = {"Retry-After": RETRY_AFTER_SECONDS} if problem.status == 503 else None
        return text_error(problem.status, problem.message, extra)
    record = current_request()
    if record is not None:
        record.cache = result.cache
    return png_response(result.png, etag)

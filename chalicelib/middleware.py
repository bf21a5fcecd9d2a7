"""HTTP middleware: the request's log line and deadline, protective headers on every answer,
requests without Accept, and text-only errors.

Accept: API Gateway decodes our base64 PNG only when the request's FIRST Accept value is a media
range that matches a binary type; with `*/*` among them every `type/subtype` matches, but a
request without Accept, or whose first value is no `type/subtype` (`garbage`, `image`, empty),
matches nothing and would get the base64 text labelled image/png (docs/localstack.md). So the
image routes (`/monster/{name}`, whatever the format, and `/favicon.ico`) answer those with a
short 406; text routes are safe for any Accept (their bodies are never base64-encoded), and
one without Accept gets an explicit `*/*` for Chalice.
Errors Chalice produces itself (405, 415, 500 from an unexpected exception) become short
plain-text answers, never a stack trace.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable

from chalice.app import CaseInsensitiveMapping, Request, Response

from chalicelib import deadlines
from chalicelib.errors import IdentidockError
from chalicelib.logs import finish_request, log_event, start_request
from chalicelib.responses import TextResponse, protect, text_error
from chalicelib.routes import IMAGE_ROUTES

NO_ACCEPT_MESSAGE = (
    "Send an Accept header whose first value is a media type, for example 'Accept: image/png'."
)


def _as_text(response: Response) -> Response:
    """Chalice's own JSON error bodies, as short plain text with the same status and headers."""
    if isinstance(response, TextResponse) or response.status_code < 400:
        return response
    if response.headers.get("Content-Type") == "image/png":
        return response
    message = IdentidockError.message
    if response.status_code < 500 and isinstance(response.body, dict):
        message = str(response.body.get("Message") or message)
    elif response.status_code < 500 and isinstance(response.body, str):
        try:
            message = str(json.loads(response.body).get("Message") or message)
        except (ValueError, AttributeError):
            message = response.body[:200]
    keep = {k: v for k, v in response.headers.items() if k.lower() in ("allow", "retry-after")}
    return text_error(response.status_code, message, keep)


_TCHARS = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_RANGE = re.compile(rf"{_TCHARS}/{_TCHARS}")


def gateway_decodes(accept: str | None) -> bool:
    """True when API Gateway would match the first Accept value against `*/*` (and decode)."""
    if not accept:
        return False
    first = accept.split(",", 1)[0].split(";", 1)[0].strip()
    return _MEDIA_RANGE.fullmatch(first) is not None


def _respond(request: Request, get_response: Callable[[Request], Response]) -> Response:
    accept = request.headers.get("accept")
    if request.path in IMAGE_ROUTES:
        if not gateway_decodes(accept):
            return text_error(406, NO_ACCEPT_MESSAGE)
        return get_response(request)
    if not accept:
        request.headers = CaseInsensitiveMapping({**request.headers, "accept": "*/*"})
    return get_response(request)


def handle_http(request: Request, get_response: Callable[[Request], Response]) -> Response:
    record = start_request(request.path, request.method)
    deadlines.start(getattr(request, "lambda_context", None))
    try:
        response = _as_text(_respond(request, get_response))
    except Exception as error:  # last line of defence: log it, answer briefly
        log_event("unhandled_error", level=logging.ERROR, error=repr(error))
        response = text_error(500, IdentidockError.message)
    finally:
        deadlines.finish()
    protect(response)
    finish_request(record, response.status_code, request.context.get("requestId"))
    return response

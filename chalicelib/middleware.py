"""HTTP middleware: the request log line, requests without Accept, and text-only errors.

Requests without an Accept header: with `*/*` among the API's binary types, Chalice answers
400 to every such request (its `_validate_binary_response`). A gateway may then hand a base64
PNG through undecoded, so the image route answers 406 with a short text instead; text routes are
safe for any Accept (their bodies are never base64-encoded), so they get an explicit `*/*`.
Errors Chalice produces itself (405, 415, 500 from an unexpected exception) become short
plain-text answers, never a stack trace.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from chalice.app import CaseInsensitiveMapping, Request, Response

from chalicelib.logs import finish_request, log_event, start_request
from chalicelib.responses import TextResponse, text_error

MONSTER_ROUTE = "/monster/{name}"
NO_ACCEPT_MESSAGE = "Send an Accept header that allows image/png, for example 'Accept: image/png'."
INTERNAL_ERROR = "Something went wrong on our side. Please try again."


def _as_text(response: Response) -> Response:
    """Chalice's own JSON error bodies, as short plain text with the same status and headers."""
    if isinstance(response, TextResponse) or response.status_code < 400:
        return response
    if response.headers.get("Content-Type") == "image/png":
        return response
    message = INTERNAL_ERROR
    if response.status_code < 500 and isinstance(response.body, dict):
        message = str(response.body.get("Message") or message)
    elif response.status_code < 500 and isinstance(response.body, str):
        try:
            message = str(json.loads(response.body).get("Message") or message)
        except (ValueError, AttributeError):
            message = response.body[:200]
    keep = {k: v for k, v in response.headers.items() if k.lower() in ("allow", "retry-after")}
    return text_error(response.status_code, message, keep)


def handle_http(request: Request, get_response: Callable[[Request], Response]) -> Response:
    record = start_request(request.path, request.method)
    try:
        if request.headers.get("accept"):
            response = get_response(request)
        elif request.path == MONSTER_ROUTE:
            response = text_error(406, NO_ACCEPT_MESSAGE)
        else:
            request.headers = CaseInsensitiveMapping({**request.headers, "accept": "*/*"})
            response = get_response(request)
        response = _as_text(response)
    except Exception as error:  # last line of defence: log it, answer briefly
        log_event("unhandled_error", level=logging.ERROR, error=repr(error))
        response = text_error(500, INTERNAL_ERROR)
    finish_request(record, response.status_code, request.context.get("requestId"))
    return response

"""Reading and checking the name a person typed (query string, form body or URL path).

One rule everywhere: a name is decoded from UTF-8 exactly once, strictly; the `name` field may
appear at most once; a name that is empty or only white space, holds a control character (NUL
included) or U+FFFD (what a lenient decoder puts where bytes were not UTF-8, so two different
inputs would share a monster) is refused with a message. Names are never trimmed or changed.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from urllib.parse import parse_qs, unquote

from chalicelib.errors import BadName

MAX_FORM_BYTES = 8192
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


def check_name(name: str, max_chars: int) -> str:
    """The name unchanged, or BadName with a message a person can act on."""
    if not name.strip():
        raise BadName("Please type a name.")
    if len(name) > max_chars:
        raise BadName(f"That name is {len(name)} characters long; the limit is {max_chars}.")
    if "\ufffd" in name:
        raise BadName("That name is not valid UTF-8 text.")
    if any(unicodedata.category(char) in ("Cc", "Cs") for char in name):
        raise BadName("Names cannot contain control characters.")
    return name


def shown(text: str) -> str:
    """The text as it may be shown back in a page: control characters as U+FFFD."""
    return "".join(
        "\ufffd" if unicodedata.category(char) in ("Cc", "Cs") else char for char in text
    )


def single(values: Sequence[str] | None) -> str | None:
    """The one value of a field (None when absent); BadName when it was sent more than once."""
    if not values:
        return None
    if len(values) > 1:
        raise BadName("Send the name only once.")
    return values[0]


def path_name(segment: str) -> str:
    """The `{name}` path parameter, percent-decoded exactly once and strictly.

    API Gateway REST APIs (and LocalStack, chalice local and chalice.test.Client alike) hand the
    Lambda path parameters still percent-encoded, so `/monster/a%2Fb` means the name `a/b`.
    """
    if _BAD_ESCAPE.search(segment):
        raise BadName("The name in the URL has a malformed % escape.")
    try:
        return unquote(segment, errors="strict")
    except UnicodeDecodeError:
        raise BadName("The name in the URL is not valid percent-encoded UTF-8.") from None


def form_name(body: bytes, content_type: str | None) -> str | None:
    """The `name` field of a form-encoded body (None when absent); BadName when malformed."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type != "application/x-www-form-urlencoded":
        raise BadName("Please send the form as application/x-www-form-urlencoded.")
    if len(body) > MAX_FORM_BYTES:
        raise BadName(f"The form is larger than {MAX_FORM_BYTES} bytes.")
    try:
        text = body.decode("utf-8")
        if _BAD_ESCAPE.search(text):
            raise ValueError("malformed escape")
        fields = parse_qs(
            text,
            keep_blank_values=True,
            strict_parsing=bool(text),
            errors="strict",
            max_num_fields=20,
        )
    except ValueError:  # includes UnicodeDecodeError
        raise BadName("The form could not be read.") from None
    return single(fields.get("name"))

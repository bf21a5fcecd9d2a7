"""Reading and checking the name a person typed (query string or form body)."""

from __future__ import annotations

from urllib.parse import parse_qs, unquote

MAX_FORM_BYTES = 8192


class BadName(ValueError):
    """The name or the form it came in cannot be used; the message is shown to the person."""


def check_name(name: str, max_chars: int) -> str:
    """The name unchanged, or BadName with a message a person can act on."""
    if not name:
        raise BadName("Please type a name.")
    if len(name) > max_chars:
        raise BadName(f"That name is {len(name)} characters long; the limit is {max_chars}.")
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise BadName("That name contains characters that cannot be encoded.") from None
    return name


def path_name(segment: str) -> str:
    """The `{name}` path parameter, percent-decoded exactly once.

    API Gateway REST APIs (and LocalStack, chalice local and chalice.test.Client alike) hand the
    Lambda path parameters still percent-encoded, so `/monster/a%2Fb` means the name `a/b`.
    """
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
        fields = parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=True,
            errors="strict",
            max_num_fields=20,
        )
    except ValueError:  # includes UnicodeDecodeError
        raise BadName("The form could not be read.") from None
    values = fields.get("name")
    return values[0] if values else None

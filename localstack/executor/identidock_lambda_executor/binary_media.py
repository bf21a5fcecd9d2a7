"""Make LocalStack's API Gateway match binary media types the way AWS documents it.

API Gateway decides whether to decode a Lambda proxy's base64 body by matching the request's first
Accept value against the REST API's ``binaryMediaTypes``. AWS documents ``*/*`` there as
matching every type; LocalStack 4.13.1 skips every entry whose type is ``*``, so a request with
curl's default ``Accept: */*`` never gets decoded bytes, whatever the configuration. This module
swaps in a matcher that differs from the stock one only there.
Set ``IDENTIDOCK_STOCK_BINARY_MATCHER=1`` to keep the stock one.
"""

import os

from localstack.runtime import hooks

# The modules that imported the matcher by name, so each holds its own reference to replace.
_MATCHER_USERS = (
    "localstack.services.apigateway.next_gen.execute_api.helpers",
    "localstack.services.apigateway.next_gen.execute_api.handlers.integration_request",
    "localstack.services.apigateway.next_gen.execute_api.handlers.integration_response",
    "localstack.services.apigateway.next_gen.execute_api.integrations.aws",
)
_NAME = "mime_type_matches_binary_media_types"


def mime_type_matches_binary_media_types(
    mime_type: str | None, binary_media_types: list[str]
) -> bool:
    """True when the first value of ``mime_type`` (an Accept or Content-Type) is a binary type.

    Same rules as LocalStack's matcher (first value only, parameters ignored, ``type/*`` matches its
    subtypes) plus AWS's: an entry whose type is ``*`` (``*/*``) matches every media type.
    """
    if not mime_type or not binary_media_types:
        return False
    parts = mime_type.split(",")[0].split(";")[0].strip().split("/")
    if len(parts) != 2:
        return False
    main_type, sub_type = parts
    for entry in binary_media_types:
        entry_parts = entry.split(";")[0].strip().split("/")
        if len(entry_parts) != 2:
            continue
        entry_type, entry_subtype = entry_parts
        if entry_type == "*":
            return True
        if entry_type == main_type and entry_subtype in ("*", sub_type):
            return True
    return False


def apply_aws_rule() -> None:
    """Replace the stock matcher in every module that uses it."""
    import importlib

    for module_name in _MATCHER_USERS:
        module = importlib.import_module(module_name)
        setattr(module, _NAME, mime_type_matches_binary_media_types)


@hooks.on_infra_start()
def apply_aws_rule_on_start() -> None:
    """LocalStack start-up hook (entry point ``localstack.hooks.on_infra_start``)."""
    if os.environ.get("IDENTIDOCK_STOCK_BINARY_MATCHER", "") not in ("1", "true"):
        apply_aws_rule()

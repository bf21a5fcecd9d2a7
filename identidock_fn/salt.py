"""The salt behind every monster: an SSM SecureString, created once and never overwritten.

Both deploy targets (LocalStack and AWS) create it here; CloudFormation cannot create a
SecureString, and a new salt would change every monster.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_ssm import SSMClient

DESCRIPTION = "identidock salt: changing it changes every monster"


def ensure_salt(ssm: SSMClient, name: str) -> bool:
    """Create the SecureString salt `name` if it does not exist; True when this call created it."""
    try:
        ssm.put_parameter(
            Name=name,
            Value=secrets.token_urlsafe(32),
            Type="SecureString",
            Overwrite=False,
            Description=DESCRIPTION,
        )
    except ClientError as error:
        if error.response["Error"]["Code"] == "ParameterAlreadyExists":
            return False
        raise
    return True

"""What the AWS deploy modules share: the error they raise and the types of their callbacks."""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import click

Runner = Callable[..., subprocess.CompletedProcess[str]]


class AwsDeployError(click.ClickException):
    """A deploy or destroy step failed; the message says which and why (no traceback)."""

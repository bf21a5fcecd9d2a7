"""The deploy command's own parsing (the deploys are tested in tests/infra and tests/e2e)."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from identidock_fn.deploy import deploy, parse_parameters


def test_parameters_are_key_value_pairs() -> None:
    assert parse_parameters(("AlarmEmail=ops@example.com", "EnableWaf=true", "Empty=")) == {
        "AlarmEmail": "ops@example.com",
        "EnableWaf": "true",
        "Empty": "",
    }
    assert parse_parameters(("A=b=c",)) == {"A": "b=c"}


@pytest.mark.parametrize("bad", ["EnableWaf", "=true"])
def test_a_parameter_without_a_key_or_value_is_a_usage_error(bad: str) -> None:
    with pytest.raises(click.UsageError, match="KEY=VALUE"):
        parse_parameters((bad,))


def test_parameters_are_for_the_aws_target_only() -> None:
    result = CliRunner().invoke(deploy, ["--target", "localstack", "--parameter", "A=b"])
    assert result.exit_code == 2
    assert "--parameter is for --target aws" in result.output

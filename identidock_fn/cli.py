"""The `python -m identidock_fn` command group; each subcommand lives in its own module.

A subcommand registers with one line in `SUBCOMMANDS` ("name": "module:attribute"). Modules are
imported only when their command runs (or `--help` lists them), so `up` never pays for boto3.
"""

import importlib

import click

SUBCOMMANDS: dict[str, str] = {
    "up": "identidock_fn.up:up",
    "bench": "identidock_fn.bench:bench",
    "localstack": "identidock_fn.localstack:localstack_group",
    "deploy": "identidock_fn.deploy:deploy",
    "destroy": "identidock_fn.deploy:destroy",
    "screenshot": "identidock_fn.screenshot:screenshot",
}


class LazyGroup(click.Group):
    """A click group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *SUBCOMMANDS})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in SUBCOMMANDS:
            return super().get_command(ctx, cmd_name)
        module_name, _, attribute = SUBCOMMANDS[cmd_name].partition(":")
        command = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{SUBCOMMANDS[cmd_name]} is not a click command")
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Run identidock_fn locally, deploy it and benchmark it."""

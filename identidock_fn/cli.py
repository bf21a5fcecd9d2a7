"""The `python -m identidock_fn` command group; each subcommand lives in its own module."""

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Run identidock_fn locally, deploy it and benchmark it."""


# Subcommands register here, one line each, imported from their own modules.

"""`python -m identidock_fn bench ...`: one group for every benchmark of the project."""

import subprocess
import sys

import click

from identidock_fn.bench import function, sizing
from identidock_fn.paths import PROJECT_ROOT


@click.group()
def bench() -> None:
    """Measure the function, dnmonster or the cache sizing; figures go in docs/benchmarks.md."""


@bench.command(
    context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    add_help_option=False,
)
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def dnmonster(args: tuple[str, ...]) -> None:
    """Run `python -m dnmonster.bench ARGS` (try `--help`)."""
    command = [sys.executable, "-m", "dnmonster.bench", *args]
    raise SystemExit(subprocess.run(command, cwd=PROJECT_ROOT, check=False).returncode)


bench.add_command(function.function)
bench.add_command(sizing.sizing)

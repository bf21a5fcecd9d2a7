"""The progress-line callback the deploy and LocalStack steps take: `click.echo` from the command
line, a list's `append` in tests."""

from collections.abc import Callable

Echo = Callable[[str], None]

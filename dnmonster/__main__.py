"""`python -m dnmonster [--host H] [--port P] [--sprites FILE] [--max-size N] [--workers N]`."""

import sys

from dnmonster.config import ConfigError, settings_from
from dnmonster.server import ServeError, serve
from dnmonster.sprites import SpriteError, load_pack


def main(argv: list[str] | None = None) -> int:
    try:
        settings = settings_from(argv)
        load_pack(settings.sprites)  # fail here, clearly, rather than in every worker
    except (ConfigError, SpriteError) as exc:
        print(f"dnmonster: {exc}", file=sys.stderr)
        return 2
    try:
        serve(settings)
    except ServeError as exc:
        print(f"dnmonster: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

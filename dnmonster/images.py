"""Finished images for the HTTP layer: bytes, content type and a strong ETag, with a small cache."""

import hashlib
from functools import lru_cache

from dnmonster.png import monster_png
from dnmonster.render import MonsterCache
from dnmonster.sprites import SpritePack
from dnmonster.svg import monster_svg

# Bump when the bytes for the same (pack, name, side, format) change, so strong ETags stay honest.
ENCODING_VERSION = "2"
CONTENT_TYPES = {"png": "image/png", "svg": "image/svg+xml"}
_ENCODERS = {"png": monster_png, "svg": monster_svg}


class Images:
    """Images of one sprite pack. ETags are computed without drawing, so 304s cost no rendering."""

    def __init__(self, pack: SpritePack, cache_size: int = 1024) -> None:
        self.pack = pack
        self._monsters = MonsterCache(pack)
        self.body = lru_cache(maxsize=cache_size)(self._body)
        self._etag_prefix = f"{ENCODING_VERSION}\0{pack.digest}\0".encode()

    def etag(self, name: str, side: int, fmt: str) -> str:
        """A strong validator: a function of the pack, the name, the side and the format."""
        digest = hashlib.sha256(
            self._etag_prefix + f"{fmt}\0{side}\0".encode() + name.encode("utf-8")
        )
        return f'"{digest.hexdigest()[:32]}"'

    def _body(self, name: str, side: int, fmt: str) -> bytes:
        return _ENCODERS[fmt](self._monsters.get(name), side)

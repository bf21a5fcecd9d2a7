"""Cache keys: namespaced and versioned, `identidock:v<ART_VERSION>:<kind>:<size>:<sha256(name)>`.

A new art version never reads old pictures; the value, its single-flight lock and its failure
marker share one suffix. The PNG keeps the kinds it always had (`monster`, `lock`, `failed`), so
the book's URL, at any IDENTICON_SIZE, reads the entries written before `?format=` existed; the
SVG has kinds of its own (`monster-svg`, `lock-svg`, `failed-svg`).
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

_KINDS = {
    "png": ("monster", "lock", "failed"),
    "svg": ("monster-svg", "lock-svg", "failed-svg"),
}


class Keys(NamedTuple):
    value: str
    lock: str
    failed: str

    @classmethod
    def for_monster(cls, art_version: str, size: int, name: str, fmt: str = "png") -> Keys:
        suffix = f"{size}:{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()}"
        prefix = f"identidock:v{art_version}"
        value, lock, failed = _KINDS[fmt]
        return cls(
            f"{prefix}:{value}:{suffix}", f"{prefix}:{lock}:{suffix}", f"{prefix}:{failed}:{suffix}"
        )


def monster_key(art_version: str, size: int, name: str, fmt: str = "png") -> str:
    return Keys.for_monster(art_version, size, name, fmt).value

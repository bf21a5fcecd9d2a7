"""Cache keys: namespaced and versioned, `identidock:v<ART_VERSION>:<kind>:<size>:<sha256(name)>`.

A new art version never reads old pictures; the value, its single-flight lock and its failure
marker share one suffix.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple


class Keys(NamedTuple):
    value: str
    lock: str
    failed: str

    @classmethod
    def for_monster(cls, art_version: str, size: int, name: str) -> Keys:
        suffix = f"{size}:{hashlib.sha256(name.encode('utf-8', 'surrogatepass')).hexdigest()}"
        prefix = f"identidock:v{art_version}"
        return cls(
            f"{prefix}:monster:{suffix}", f"{prefix}:lock:{suffix}", f"{prefix}:failed:{suffix}"
        )


def monster_key(art_version: str, size: int, name: str) -> str:
    return Keys.for_monster(art_version, size, name).value

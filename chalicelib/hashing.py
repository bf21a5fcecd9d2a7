"""The name → monster identifier hash, exactly as the book computes it."""

import hashlib


def name_hash(salt: str, name: str) -> str:
    """sha256((salt + name).encode("utf-8")).hexdigest(), as in identidock."""
    return hashlib.sha256((salt + name).encode("utf-8")).hexdigest()

"""A cheap structural check that bytes are one whole PNG (so a truncated or foreign body is
never cached or served as a monster)."""

import struct

SIGNATURE = b"\x89PNG\r\n\x1a\n"
_IEND = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def is_complete_png(data: bytes) -> bool:
    """True when data starts with the PNG signature and an IHDR chunk and ends with IEND."""
    if len(data) < len(SIGNATURE) + 25 + len(_IEND) or not data.startswith(SIGNATURE):
        return False
    length, kind = struct.unpack(">I4s", data[8:16])
    if kind != b"IHDR" or length != 13:
        return False
    width, height = struct.unpack(">II", data[16:24])
    return width > 0 and height > 0 and data.endswith(_IEND)

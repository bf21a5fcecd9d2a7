"""One check for an image from outside (dnmonster's answer, Redis's value), by format.

The SVG checker (expat, its tables) is imported on the first SVG only: a cold start that serves
a PNG, which is nearly all of them, does not pay for it.
"""

from chalicelib.errors import BadImage
from chalicelib.png import check_png

#: dnmonster's SVG has at most 12 x 6 runs of about 55 bytes: 8 KiB leaves room, 64 KiB is a cap.
MAX_SVG_BYTES = 64 * 1024

__all__ = ["MAX_SVG_BYTES", "BadImage", "check_image", "largest"]


def check_image(body: bytes, size: int, fmt: str) -> None:
    """Raise BadImage unless body is an acceptable `fmt` ("png" or "svg") image of size x size."""
    if fmt == "svg":
        from chalicelib.svg_check import check_svg

        check_svg(body, size)
    else:
        check_png(body, size)


def largest(fmt: str, cap: int) -> int:
    """The most bytes an image in fmt may have, given the configured cap."""
    return min(cap, MAX_SVG_BYTES) if fmt == "svg" else cap

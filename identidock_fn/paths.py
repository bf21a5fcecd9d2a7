"""Where the project lives, and the one way every command finds the programs it runs."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = PROJECT_ROOT / "build"  # every command's state and scratch files (git-ignored)
INSTALL_HINTS = {
    "chalice": "pip install -r requirements-dev.txt",
    "redis-server": "apt-get install redis-server",
}


def find_executable(name: str) -> str | None:
    """`name` next to this interpreter (the project's virtualenv), else on PATH, else None."""
    beside = Path(sys.executable).parent / name
    if beside.is_file():
        return str(beside)
    return shutil.which(name)


def executable(name: str) -> str:
    """Like `find_executable`, but a missing program is a FileNotFoundError saying how to get it."""
    found = find_executable(name)
    if found is None:
        hint = INSTALL_HINTS.get(name)
        raise FileNotFoundError(f"{name} is not installed" + (f": {hint}" if hint else ""))
    return found

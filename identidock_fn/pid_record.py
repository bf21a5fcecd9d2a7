"""A JSON file naming a detached process we started: {"pid", "create_time", ...}.

A pid alone is not enough to find the process again: after it exits, the kernel may give its
number to another. Its start time, recorded with it, tells the two apart.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import psutil

SAME_START_SECONDS = 1.0  # psutil's create_time is a float; allow for its rounding


def write(path: Path, pid: int, **extra: Any) -> None:
    """Record process `pid` (and `extra` facts) in `path`, atomically: a reader never sees half."""
    record = {"pid": pid, "create_time": psutil.Process(pid).create_time(), **extra}
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(record))
    os.replace(partial, path)


def read(path: Path) -> dict[str, Any] | None:
    """The record in `path`, or None when there is none (or it is not one of ours)."""
    try:
        record = json.loads(path.read_text())
    except (FileNotFoundError, ValueError):
        return None
    return record if isinstance(record, dict) else None


def running_pid(path: Path) -> int | None:
    """The recorded pid if that process still runs and is the one recorded, else None."""
    record = read(path)
    if record is None:
        return None
    try:
        process = psutil.Process(record["pid"])
        same = abs(process.create_time() - record["create_time"]) < SAME_START_SECONDS
        if same and process.is_running():
            return int(process.pid)
    except (KeyError, TypeError, ValueError, psutil.Error):
        pass
    return None

"""Compiled bytecode in the Lambda zip.

Lambda unpacks the zip into a read-only /var/task, so Python cannot cache what it compiles: a
zip without .pyc files makes every cold start compile every module again (app.py, chalicelib,
Chalice's runtime, redis-py). Measured here (`bench function`, "deployment zip"): importing the
app from the unpacked zip took about 335 ms without bytecode and 105 ms with it. `chalice
package` ships only the .pyc files that happen to lie in the working tree (timestamp-checked,
possibly stale), and none for the libraries.

So after `chalice package` every module in the zip gets a *checked-hash* .pyc (PEP 552): valid
whatever modification times the unzip restores, and never run stale (Python hashes the source
and recompiles, in memory, if it changed). Bytecode is specific to a Python minor version: the
interpreter packaging must be the Lambda runtime's (Chalice picks the runtime the same way).
"""

from __future__ import annotations

import compileall
import importlib.util
import py_compile
import sys
import tempfile
import zipfile
from pathlib import Path, PurePosixPath

#: What `chalice package` names the code zip next to the template.
DEPLOYMENT_ZIP = "deployment.zip"


class BytecodeError(RuntimeError):
    """The zip's modules could not be compiled for the Lambda runtime."""


def this_runtime() -> str:
    """The Lambda runtime name of the running interpreter, e.g. `python3.11`."""
    return f"python{sys.version_info.major}.{sys.version_info.minor}"


def _is_bytecode(name: str) -> bool:
    path = PurePosixPath(name)
    return path.suffix == ".pyc" or "__pycache__" in path.parts


def add_bytecode(zip_path: Path, runtime: str) -> int:
    """Rewrite zip_path with a checked-hash .pyc for each .py (any .pyc it held is dropped);
    return how many modules were compiled."""
    if runtime != this_runtime():
        raise BytecodeError(
            f"the Lambda runs {runtime} but this is {this_runtime()}: bytecode would not load"
        )
    with tempfile.TemporaryDirectory(prefix="identidock-bytecode-") as folder:
        root = Path(folder)
        with zipfile.ZipFile(zip_path) as archive:
            kept = [info for info in archive.infolist() if not _is_bytecode(info.filename)]
            for info in kept:
                archive.extract(info, root)
            contents = {info.filename: archive.read(info) for info in kept}
        sources = [info.filename for info in kept if info.filename.endswith(".py")]
        compiled = compileall.compile_dir(
            root,
            quiet=2,
            legacy=False,
            invalidation_mode=py_compile.PycInvalidationMode.CHECKED_HASH,
        )
        if not compiled:
            raise BytecodeError(f"a module in {zip_path.name} does not compile")
        with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as archive:
            for info in kept:  # the original entries, their permissions and dates unchanged
                archive.writestr(info, contents[info.filename], zipfile.ZIP_DEFLATED)
            for source in sorted(sources):
                cached = Path(importlib.util.cache_from_source(str(root / source)))
                archive.write(cached, cached.relative_to(root).as_posix())
    return len(sources)

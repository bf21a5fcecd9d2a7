"""infra/bytecode.py on small zips: checked-hash bytecode for every module, really used by a
fresh interpreter, never run stale; the zip's other entries unchanged."""

from __future__ import annotations

import importlib.util
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra.bytecode import BytecodeError, add_bytecode, this_runtime

MODULES = {
    "app.py": "from pkg.sub import VALUE\n",
    "pkg/__init__.py": "",
    "pkg/sub.py": "VALUE = 'first'\n",
}
# A fresh interpreter that refuses to compile anything from source, then imports app from cwd.
NO_COMPILING = """
import importlib.machinery, os, sys
def refuse(self, data, path, *, _optimize=-1):
    raise SystemExit(f"compiled {path} from source")
importlib.machinery.SourceFileLoader.source_to_code = refuse
sys.path.insert(0, os.getcwd())
import app
print(app.VALUE)
"""
# The same import, compiling allowed.
IMPORT = "import os, sys; sys.path.insert(0, os.getcwd()); import app; print(app.VALUE)"


def make_zip(path: Path, extra: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in MODULES.items():
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 2, 3, 4, 6))
            info.external_attr = (stat.S_IFREG | 0o755) << 16 if name == "app.py" else 0o644 << 16
            archive.writestr(info, text)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return path


def unpack(zip_path: Path, folder: Path) -> Path:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    return folder


def run(folder: Path, code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-B", "-S", "-E", "-c", code],
        cwd=folder, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


def test_each_module_gets_checked_hash_bytecode_and_stale_bytecode_is_dropped(tmp_path):
    stale = "pkg/__pycache__/old.cpython-311.pyc"
    zip_path = make_zip(tmp_path / "deployment.zip", {stale: b"stale", "data.json": b"{}"})
    with zipfile.ZipFile(zip_path) as archive:
        before = {i.filename: (archive.read(i), i.external_attr) for i in archive.infolist()}

    assert add_bytecode(zip_path, this_runtime()) == len(MODULES)

    with zipfile.ZipFile(zip_path) as archive:
        names = set(archive.namelist())
        for name in [*MODULES, "data.json"]:  # the original entries, unchanged
            assert (archive.read(name), archive.getinfo(name).external_attr) == before[name]
        assert stale not in names
        for source in MODULES:
            bytecode = archive.read(importlib.util.cache_from_source(source))
            assert bytecode[:4] == importlib.util.MAGIC_NUMBER
            assert int.from_bytes(bytecode[4:8], "little") == 0b11  # hash-based, checked


def test_a_fresh_interpreter_imports_the_unpacked_zip_without_compiling(tmp_path):
    zip_path = make_zip(tmp_path / "deployment.zip")
    before = run(unpack(zip_path, tmp_path / "before"), NO_COMPILING)
    assert before.returncode != 0  # the probe can tell
    assert "compiled" in before.stderr

    add_bytecode(zip_path, this_runtime())
    after = run(unpack(zip_path, tmp_path / "after"), NO_COMPILING)
    assert after.returncode == 0, after.stderr
    assert after.stdout.strip() == "first"


def test_a_changed_source_is_never_run_from_stale_bytecode(tmp_path):
    zip_path = make_zip(tmp_path / "deployment.zip")
    add_bytecode(zip_path, this_runtime())
    folder = unpack(zip_path, tmp_path / "unpacked")
    (folder / "pkg" / "sub.py").write_text("VALUE = 'second'\n")
    done = run(folder, IMPORT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "second"


def test_bytecode_for_another_runtime_is_refused(tmp_path):
    zip_path = make_zip(tmp_path / "deployment.zip")
    with pytest.raises(BytecodeError, match=r"python3\.99"):
        add_bytecode(zip_path, "python3.99")


def test_a_module_that_does_not_compile_fails_the_package(tmp_path):
    zip_path = make_zip(tmp_path / "deployment.zip", {"broken.py": b"def (:\n"})
    with pytest.raises(BytecodeError, match="does not compile"):
        add_bytecode(zip_path, this_runtime())

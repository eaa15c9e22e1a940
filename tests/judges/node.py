"""The npm tools the judges run, installed in one place: tests/js (package.json + package-lock.json).

tests/install-tools installs them with `npm ci --prefix tests/js`; a missing tool fails the test
with that line.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

JS = Path(__file__).resolve().parent.parent / "js"
BIN = JS / "node_modules" / ".bin"


def tool(name: str) -> Path:
    path = BIN / name
    if not path.exists():
        raise AssertionError(f"{path} is missing: run `npm ci --prefix tests/js` (tests/install-tools does)")
    return path


def module_file(relative: str) -> Path:
    path = JS / "node_modules" / relative
    if not path.is_file():
        raise AssertionError(f"{path} is missing: run `npm ci --prefix tests/js` (tests/install-tools does)")
    return path


def run(name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(tool(name)), *args], capture_output=True, text=True, timeout=timeout, cwd=JS, check=False
    )

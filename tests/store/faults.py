"""Real faults for the store: a small tmpfs that fills up, files that a process without root's
override may not write, a second process holding the write lock, garbage in the pages. What the
machine does not allow is skipped, saying why."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import Result


@contextmanager
def small_disk(folder: Path, size: str) -> Iterator[Path]:
    """`folder` as the mount point of a tmpfs of `size` (e.g. "512k"), unmounted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root")
    folder.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


def remount_read_only(folder: Path) -> None:
    """Make the small disk at `folder` read-only, as a file system mounted `ro` is."""
    subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)


def fill(folder: Path, *, leave: int) -> Path:
    """Fill the disk holding `folder` until about `leave` bytes are free; the filler file returned
    frees the space again when deleted."""
    filler = folder / "filler"
    stats = os.statvfs(folder)
    free = stats.f_bavail * stats.f_frsize
    with filler.open("wb") as handle:
        handle.write(b"\0" * max(free - leave, 0))
    return filler


def without_root_override() -> list[str]:
    """The command prefix that runs a program bound by file permissions: nothing for a normal
    user; for root, setpriv dropping the capabilities that let root write a read-only file."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: read-only files cannot be made to bind root")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--"]


def run_digest(
    *args: str | Path, cwd: Path, bound_by_permissions: bool = False
) -> subprocess.CompletedProcess:
    """`digest ARGS` in a real process, as a user would type it (bound by file permissions too,
    if asked, even when the tests run as root)."""
    prefix = without_root_override() if bound_by_permissions else []
    command = [*prefix, sys.executable, "-m", "digest", *map(str, args)]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=60)


def assert_one_error_line(
    result: subprocess.CompletedProcess | Result, exit_code: int, *phrases: str, progress: str = ""
) -> str:
    """The promise for bad input or a failing machine: exactly one line on stderr, starting with
    "error:", saying each of `phrases`; no traceback; the exit code that tells the kind. Lines
    starting with `progress` (a send's progress bar, also on stderr) are not counted."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if not (progress and line.startswith(progress))]
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for phrase in phrases:
        assert phrase in lines[0], (phrase, lines[0])
    code = result.returncode if isinstance(result, subprocess.CompletedProcess) else result.exit_code
    assert code == exit_code, (code, result.stderr)
    return lines[0]


LOCKER = """
import sqlite3, sys
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin (or ends: the pipe closes with it)
"""


@contextmanager
def write_lock_held_by_another_process(path: Path) -> Iterator[None]:
    """A real second process holding the database's write lock until the block ends."""
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline() == "locked\n"
        yield
    finally:
        locker.communicate(timeout=10)


def long_list(tmp_path: Path, count: int = 3000) -> Path:
    rows = "\n".join(f"reader{n:05d}@example.com,Reader {n}" for n in range(count))
    path = tmp_path / "list.csv"
    path.write_text(f"email,name\n{rows}\n", encoding="utf-8")
    return path


def damage(db: Path, *, from_byte: int) -> None:
    """Random bytes over half the file from `from_byte` (0: the header and the schema too)."""
    with db.open("r+b") as handle:
        handle.seek(from_byte)
        handle.write(os.urandom(db.stat().st_size // 2))

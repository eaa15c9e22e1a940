"""`digest subscribers` when the machine fails it: a full disk, a lock held by another process,
garbage in the file, a read-only file or folder, a folder that does not exist. Each: one line on
stderr naming the file, its own exit code, no traceback, nothing lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from tests.store.faults import (
    assert_one_error_line,
    damage,
    fill,
    long_list,
    remount_read_only,
    run_digest,
    small_disk,
    write_lock_held_by_another_process,
)


@pytest.fixture
def cli(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)

    def invoke(*args: str | Path):
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    return invoke


def _count(db: Path) -> int:
    connection = sqlite3.connect(db)
    try:
        return connection.execute("SELECT COUNT(*) FROM subscribers").fetchone()[0]
    finally:
        connection.close()


def test_a_full_disk_during_import_is_one_line_and_the_import_runs_again(tmp_path: Path):
    """On a real small disk (tmpfs) that has no room for 5,000 rows. Was: a traceback ending in
    "cannot rollback - no transaction is active", the full disk not even named."""
    rows = long_list(tmp_path, 5000)
    with small_disk(tmp_path / "disk", "2m") as disk:
        db = disk / "digest.db"
        assert run_digest("subscribers", "--db", db, "add", "first@example.com", cwd=tmp_path).returncode == 0
        filler = fill(disk, leave=160 * 1024)
        full = run_digest("subscribers", "--db", db, "import", rows, cwd=tmp_path)
        assert_one_error_line(full, 7, str(db), "the disk is full", "free some space and run again")
        assert _count(db) == 1, "the import is all or nothing"
        filler.unlink()
        crammed = fill(disk, leave=0)  # and a disk with no room left even for the -shm file
        assert_one_error_line(run_digest("subscribers", "--db", db, "count", cwd=tmp_path), 7, str(db))
        crammed.unlink()  # space freed: the same command works, and all of it goes in
        again = run_digest("subscribers", "--db", db, "import", rows, cwd=tmp_path)
        assert again.returncode == 0, again.stderr
        assert _count(db) == 5001


def test_a_lock_held_by_another_process_past_the_timeout_is_one_line(cli, tmp_path: Path, monkeypatch):
    monkeypatch.setattr("digest.store.errors.BUSY_TIMEOUT", 0.3)  # the real one waits 30 s
    cli("subscribers", "add", "first@example.com")
    with write_lock_held_by_another_process(tmp_path / "digest.db"):
        busy = cli("subscribers", "add", "second@example.com")
        assert_one_error_line(busy, 8, "digest.db", "locked by another process", "run again")
        assert cli("subscribers", "count").stdout == "1\n"  # reading does not wait for the writer
    assert cli("subscribers", "add", "second@example.com").exit_code == 0


@pytest.mark.parametrize(
    ("from_byte", "command"),
    [
        (0, ("count",)),  # the header and the schema: not a database at all
        (4096, ("count",)),  # the tables' pages
        (4096, ("add", "new@example.com")),
        (4096, ("export",)),
    ],
)
def test_garbage_in_the_database_file_is_one_line(tmp_path: Path, from_byte: int, command: tuple[str, ...]):
    db = tmp_path / "digest.db"
    assert run_digest("subscribers", "--db", db, "import", long_list(tmp_path), cwd=tmp_path).returncode == 0
    damage(db, from_byte=from_byte)
    damaged = run_digest("subscribers", "--db", db, *command, cwd=tmp_path)
    assert_one_error_line(damaged, 9, str(db), "damaged or is not a database", "restore it from a backup")


def test_a_read_only_database_file_can_be_read_but_not_written(tmp_path: Path):
    db = tmp_path / "digest.db"
    assert run_digest("subscribers", "--db", db, "add", "first@example.com", cwd=tmp_path).returncode == 0
    db.chmod(0o444)
    count = run_digest("subscribers", "--db", db, "count", cwd=tmp_path, bound_by_permissions=True)
    assert (count.returncode, count.stdout, count.stderr) == (0, "1\n", "")
    add = run_digest(
        "subscribers", "--db", db, "add", "x@example.com", cwd=tmp_path, bound_by_permissions=True
    )
    assert_one_error_line(add, 10, str(db), "the database file is read-only")


def test_a_read_only_folder_is_one_line_naming_the_folder(tmp_path: Path):
    folder = tmp_path / "store"
    folder.mkdir()
    db = folder / "digest.db"
    assert run_digest("subscribers", "--db", db, "add", "first@example.com", cwd=tmp_path).returncode == 0
    folder.chmod(0o555)
    try:
        for command in (("count",), ("add", "x@example.com")):
            result = run_digest("subscribers", "--db", db, *command, cwd=tmp_path, bound_by_permissions=True)
            assert_one_error_line(result, 10, f"the folder {folder} is read-only", "-wal and -shm")
        new = folder / "new.db"
        result = run_digest(
            "subscribers", "--db", new, "add", "x@example.com", cwd=tmp_path, bound_by_permissions=True
        )
        assert_one_error_line(result, 10, f"the folder {folder} is read-only")
    finally:
        folder.chmod(0o755)


def test_a_read_only_file_system_is_one_line_saying_so(tmp_path: Path):
    with small_disk(tmp_path / "disk", "1m") as disk:
        db = disk / "digest.db"
        assert run_digest("subscribers", "--db", db, "add", "first@example.com", cwd=tmp_path).returncode == 0
        remount_read_only(disk)
        for command in (("count",), ("add", "x@example.com")):
            result = run_digest("subscribers", "--db", db, *command, cwd=tmp_path)
            assert_one_error_line(result, 10, str(db), f"the file system holding {disk} is mounted read-only")


def test_a_store_path_in_a_missing_folder_is_an_error_not_a_new_folder(cli, tmp_path: Path):
    (tmp_path / "digest.toml").write_text('[store]\npath = "data/subscribers.db"\n', encoding="utf-8")
    for command in (("add", "x@example.com"), ("count",), ("import", long_list(tmp_path, 3))):
        result = cli("subscribers", *command)
        assert_one_error_line(
            result,
            2,
            str(tmp_path / "data" / "subscribers.db"),
            f"the folder {tmp_path / 'data'} does not exist",
        )
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("command", [("count",), ("count", "--by-status"), ("list",), ("export",)])
def test_a_command_that_only_reads_never_creates_a_store(cli, tmp_path: Path, command: tuple[str, ...]):
    result = cli("subscribers", "--db", "typo.db", *command)
    assert_one_error_line(result, 2, "typo.db: no database here yet", "`digest subscribers add` or `import`")
    assert result.stdout == ""
    assert not (tmp_path / "typo.db").exists()


def test_a_write_command_creates_the_store_in_an_existing_folder(cli, tmp_path: Path):
    assert cli("subscribers", "--db", "new.db", "add", "x@example.com").exit_code == 0
    assert cli("subscribers", "--db", "new.db", "count").stdout == "1\n"


def test_an_export_that_cannot_be_written_is_one_line_and_leaves_no_half_file(tmp_path: Path):
    db = tmp_path / "digest.db"
    assert run_digest("subscribers", "--db", db, "import", long_list(tmp_path), cwd=tmp_path).returncode == 0
    with small_disk(tmp_path / "disk", "64k") as disk:
        out = disk / "list.csv"
        result = run_digest("subscribers", "--db", db, "export", "--out", out, cwd=tmp_path)
        assert_one_error_line(result, 7, str(out), "no space left on device")
        assert not out.exists()

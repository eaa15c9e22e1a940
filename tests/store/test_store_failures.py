"""What the machine does to the database file, seen from the library: each becomes one StoreError
subclass naming the file, and nothing already in the store is lost."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from digest.model import SubscriberStatus
from digest.store import (
    StoreBusy,
    StoreDamaged,
    StoreFull,
    StoreMissing,
    add_subscriber,
    count_by_status,
    import_csv,
    open_store,
)
from digest.store import errors as store_errors
from tests.store.faults import damage, long_list, write_lock_held_by_another_process


def test_a_full_disk_during_import_is_reported_not_masked_by_the_rollback(tmp_path: Path):
    """Was: sqlite3.OperationalError "cannot rollback - no transaction is active" (SQLite had
    rolled back by itself), hiding the full disk. max_page_count makes the disk full here."""
    store = open_store(tmp_path / "digest.db")
    add_subscriber(store, "first@example.com")
    pages = store.fetchvalue("PRAGMA page_count")
    store.execute(f"PRAGMA max_page_count = {pages + 3}")
    with pytest.raises(StoreFull, match="the disk is full") as caught:
        import_csv(store, long_list(tmp_path))
    assert str(tmp_path / "digest.db") in str(caught.value)
    assert caught.value.exit_code == 7
    assert count_by_status(store)[SubscriberStatus.ACTIVE] == 1, "the import is all or nothing"
    store.execute("PRAGMA max_page_count = 1073741823")  # space freed: the same import now works
    assert import_csv(store, long_list(tmp_path)).added == 3000
    store.close()


def test_a_write_lock_held_too_long_by_another_process_is_one_error(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(store_errors, "BUSY_TIMEOUT", 0.3)  # instead of 30 s
    path = tmp_path / "digest.db"
    store = open_store(path)
    add_subscriber(store, "first@example.com")
    with write_lock_held_by_another_process(path):
        with pytest.raises(StoreBusy, match=r"locked by another process, which held it longer than 0.3 s"):
            add_subscriber(store, "second@example.com")
        assert count_by_status(store)[SubscriberStatus.ACTIVE] == 1  # reading never waits (WAL)
    add_subscriber(store, "second@example.com")  # and the connection is usable again
    assert count_by_status(store)[SubscriberStatus.ACTIVE] == 2
    store.close()


def test_garbage_in_the_pages_is_one_error_naming_the_file(tmp_path: Path):
    path = tmp_path / "digest.db"
    store = open_store(path)
    import_csv(store, long_list(tmp_path))
    store.close()  # the last connection checkpoints the WAL into the file
    damage(path, from_byte=4096)  # every page but the first (the header, and the schema's start)
    opened = []
    with pytest.raises(StoreDamaged, match="damaged or is not a database") as caught:
        # Opening reads the rest of the schema when it outgrew the first page: either step says it.
        opened.append(open_store(path))
        list(opened[0].fetchall("SELECT * FROM subscribers"))
    assert str(path) in str(caught.value) and caught.value.exit_code == 9
    for store in opened:
        store.close()


def test_a_folder_that_does_not_exist_is_an_error_and_is_not_created(tmp_path: Path):
    path = tmp_path / "no" / "such" / "digest.db"
    with pytest.raises(StoreMissing, match=r"the folder .*no/such does not exist") as caught:
        open_store(path)
    assert str(path) in str(caught.value) and caught.value.exit_code == 2
    assert not (tmp_path / "no").exists()


def test_a_store_is_created_only_when_asked(tmp_path: Path):
    path = tmp_path / "digest.db"
    with pytest.raises(StoreMissing, match="no database here yet"):
        open_store(path, create=False)
    assert not path.exists()
    open_store(path).close()  # a write command in an existing folder creates it
    open_store(path, create=False).close()


def test_a_statements_own_mistakes_stay_sqlite_errors(tmp_path: Path):
    """The send ledger tells a deleted subscriber by IntegrityError; a bug should show as one."""
    store = open_store(tmp_path / "digest.db")
    add_subscriber(store, "first@example.com")
    with pytest.raises(sqlite3.IntegrityError):
        store.execute(
            "INSERT INTO subscribers (email, email_key, created_at, status_changed_at) VALUES (?, ?, '', '')",
            ("first@example.com", "first@example.com"),
        )
    with pytest.raises(sqlite3.OperationalError, match="no such table"):
        store.fetchall("SELECT * FROM no_such_table")
    store.close()

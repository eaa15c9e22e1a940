"""The store: WAL, a versioned schema that grows by migrations (on PostgreSQL too where the test
asks for `store_at`), refusing what it cannot read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from digest.store import MIGRATIONS, Migration, StoreError, open_store


def test_a_new_database_is_migrated_to_the_latest_version_in_wal_mode(tmp_path: Path):
    store = open_store(tmp_path / "digest.db")
    assert store.schema_version == len(MIGRATIONS)
    assert store.fetchone("PRAGMA journal_mode")[0] == "wal"
    assert store.fetchone("PRAGMA foreign_keys")[0] == 1
    tables = {row[0] for row in store.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert {"subscribers", "send_log"} <= tables
    store.close()


def test_another_feature_adds_its_tables_with_the_next_migration(store_at):
    path = store_at("digest.db")
    open_store(path).close()
    feature = Migration(
        len(MIGRATIONS) + 1,
        "a feature's notes",
        "CREATE TABLE features (issue_id TEXT PRIMARY KEY, holder TEXT NOT NULL);"
        "CREATE INDEX features_holder ON features (holder);",
    )
    store = open_store(path, migrations=(*MIGRATIONS, feature))
    assert store.schema_version == len(MIGRATIONS) + 1
    store.execute("INSERT INTO features VALUES ('2025-W02', 'pid 1')")
    store.close()
    again = open_store(path, migrations=(*MIGRATIONS, feature))  # nothing to do the second time
    assert again.fetchone("SELECT holder FROM features")[0] == "pid 1"
    again.close()


def test_a_failing_migration_leaves_the_database_as_it_was(store_at):
    path = store_at("digest.db")
    open_store(path).close()
    broken = Migration(len(MIGRATIONS) + 1, "broken", "CREATE TABLE fine (x INTEGER); CREATE TABLE oops (;")
    with pytest.raises(StoreError):
        open_store(path, migrations=(*MIGRATIONS, broken))
    store = open_store(path)
    assert store.schema_version == len(MIGRATIONS)
    assert store.fetchone("SELECT name FROM sqlite_schema WHERE name = 'fine'") is None
    store.close()


def test_a_database_from_a_newer_digest_is_refused(tmp_path: Path):
    path = tmp_path / "digest.db"
    connection = sqlite3.connect(path)
    connection.execute(f"PRAGMA user_version = {len(MIGRATIONS) + 5}")
    connection.close()
    with pytest.raises(StoreError, match="newer than this digest knows"):
        open_store(path)


def test_a_file_that_is_not_a_database_is_one_clear_error(tmp_path: Path):
    path = tmp_path / "digest.db"
    path.write_text("these are not the tables you are looking for" * 100)
    with pytest.raises(StoreError, match="not a usable digest database") as caught:
        open_store(path)
    assert str(path) in str(caught.value)


def test_migrations_must_be_numbered_in_order():
    with pytest.raises(AssertionError):
        open_store(Path("unused.db"), migrations=(Migration(2, "skips one", "SELECT 1"),))

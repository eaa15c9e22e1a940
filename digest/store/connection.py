"""The SQLite connection: one per process, WAL, a versioned schema grown by migrations.

The migrations live in digest/store/migrations.py; this module only opens, migrates and guards
the connection.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.request import pathname2url

from digest.store import errors
from digest.store.errors import StoreError, StoreMissing
from digest.store.migrations import MIGRATIONS, Migration

__all__ = ["MIGRATIONS", "Migration", "Store", "open_store"]


def _check_sequence(migrations: tuple[Migration, ...]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise AssertionError(f"migrations must be numbered 1, 2, 3… in order, got {versions}")


Parameters = Sequence[Any] | Mapping[str, Any]
"""A statement's values: by position (?) or by name (:name)."""


class Store:
    """The process's one connection. Threads share it; `lock` serialises every use."""

    dialect = "sqlite"
    """The SQL spoken: "sqlite" | "postgresql" (where statements differ, e.g. a claim's row locks)."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path
        self.lock = threading.RLock()

    @contextmanager
    def _using(self) -> Iterator[sqlite3.Connection]:
        """The connection, under the lock; what the machine does to the file (a full disk, a lock
        held too long, damaged pages, a read-only folder) leaves as a StoreError naming the file."""
        with self.lock:
            try:
                yield self.connection
            except sqlite3.Error as error:
                translated = errors.translate(error, self.path)
                if translated is None:
                    raise
                raise translated from error

    def execute(self, sql: str, parameters: Parameters = ()) -> sqlite3.Cursor:
        """One statement, committed on its own (autocommit), under the lock."""
        with self._using() as connection:
            return connection.execute(sql, parameters)

    def fetchall(self, sql: str, parameters: Parameters = ()) -> list[sqlite3.Row]:
        with self._using() as connection:
            return connection.execute(sql, parameters).fetchall()

    def fetchone(self, sql: str, parameters: Parameters = ()) -> sqlite3.Row | None:
        with self._using() as connection:
            return connection.execute(sql, parameters).fetchone()

    def fetchvalue(self, sql: str, parameters: Parameters = ()) -> Any:
        """The first value of the row a query always returns (a COUNT, a PRAGMA)."""
        with self._using() as connection:
            return connection.execute(sql, parameters).fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Everything inside commits together or not at all. BEGIN IMMEDIATE takes the write lock
        up front, so a second process waits (busy_timeout) instead of failing half-way."""
        with self._using() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException as error:
                _roll_back(connection, error)
                raise

    @property
    def schema_version(self) -> int:
        return self.fetchvalue("PRAGMA user_version")

    def close(self) -> None:
        with self.lock:
            self.connection.close()


def _roll_back(connection: sqlite3.Connection, error: BaseException) -> None:
    """Undo the open transaction, keeping `error` the one reported. After some errors (a full
    disk, an I/O error) SQLite has rolled back already, and a ROLLBACK then fails with "no
    transaction is active", which used to hide the real error."""
    if not connection.in_transaction:
        return
    try:
        connection.execute("ROLLBACK")
    except sqlite3.Error as failed:
        error.add_note(f"and the rollback failed too: {failed}")


def open_store(path: Path, *, create: bool = True, migrations: tuple[Migration, ...] = MIGRATIONS) -> Store:
    """Open and migrate the database at `path`, creating the file if it is missing and `create`
    is true. Never creates folders: a [store] path in a folder that does not exist is a mistake
    to report, not a new empty subscriber list to start. Read-only commands pass create=False."""
    _check_sequence(migrations)
    path = Path(path)
    if not path.parent.is_dir():
        raise errors.folder_missing(path)
    if not create and not path.exists():
        raise StoreMissing(
            "no database here yet; `digest subscribers add` or `import` creates it "
            "(or correct [store] path, or --db)",
            where=path,
        )
    # mode=rwc creates the file, mode=rw does not (no window between a check and the open).
    uri = f"file:{pathname2url(str(path.absolute()))}?mode={'rwc' if create else 'rw'}"
    try:
        # isolation_level=None: autocommit; multi-statement work uses Store.transaction().
        connection = sqlite3.connect(
            uri, uri=True, isolation_level=None, check_same_thread=False, timeout=errors.BUSY_TIMEOUT
        )
    except sqlite3.Error as e:
        raise errors.cannot_open(path, f"({e})") from e
    connection.row_factory = sqlite3.Row
    store = Store(connection, path)
    try:
        with store._using():
            _configure(connection)
        _migrate(store, migrations)
    except StoreError:
        connection.close()
        raise
    except sqlite3.DatabaseError as e:  # a migration that does not apply: this is not our database
        connection.close()
        raise StoreError(f"not a usable digest database: {e}", where=path) from e
    return store


def _configure(connection: sqlite3.Connection) -> None:
    connection.execute("PRAGMA journal_mode = WAL")
    # In WAL, NORMAL survives any crash of this process (kill -9 included); only a power cut
    # can lose the last commits. Full fsync per commit would cost more than the SMTP send.
    connection.execute("PRAGMA synchronous = NORMAL")
    connection.execute("PRAGMA foreign_keys = ON")
    connection.execute(f"PRAGMA busy_timeout = {round(errors.BUSY_TIMEOUT * 1000):d}")


def _migrate(store: Store, migrations: tuple[Migration, ...]) -> None:
    current = store.schema_version
    if current > len(migrations):
        raise StoreError(
            f"the database has schema version {current}, newer than this digest knows "
            f"({len(migrations)}); upgrade digest",
            where=store.path,
        )
    for migration in migrations[current:]:
        # executescript would COMMIT first; run the statements inside our own transaction so a
        # migration applies whole or not at all, together with its version number.
        with store.transaction() as connection:
            for statement in _statements(migration.sql):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {migration.version:d}")


def _statements(script: str) -> Iterator[str]:
    """Split a script at the semicolons that end statements (not those in strings or comments)."""
    buffer = ""
    for chunk in script.split(";"):
        buffer += chunk + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                yield buffer
            buffer = ""
    if buffer.strip(" \t\r\n;"):
        yield buffer

"""The SQLite connection: one per process, WAL, a versioned schema grown by migrations; and
`open_store`, which opens PostgreSQL instead for a [store] url (digest/store/postgres.py).

The migrations live in digest/store/migrations.py (applied by digest/store/backend.py); this
module only opens and guards the connection.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.request import pathname2url

from digest.store import errors
from digest.store.backend import Connection, Dialect, Store, check_sequence
from digest.store.errors import StoreError, StoreMissing
from digest.store.migrations import MIGRATIONS, Migration

__all__ = ["MIGRATIONS", "Migration", "SqliteStore", "Store", "is_postgres_url", "open_store"]


def is_postgres_url(where: Path | str) -> bool:
    return isinstance(where, str) and where.startswith(("postgresql://", "postgres://"))


class SqliteStore(Store):
    """The embedded default: one SQLite file in WAL mode, one connection serialised by `lock`."""

    dialect: Dialect = "sqlite"

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        super().__init__()
        self.connection = connection
        self.path: Path = path

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

    @contextmanager
    def transaction(self, *, concurrent: bool = False) -> Iterator[sqlite3.Connection]:
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

    def _read_version(self, connection: Connection) -> int:
        return connection.execute("PRAGMA user_version").fetchone()[0]

    def _write_version(self, connection: Connection, version: int) -> None:
        connection.execute(f"PRAGMA user_version = {version:d}")

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


def open_store(
    where: Path | str,
    *,
    create: bool = True,
    migrations: tuple[Migration, ...] = MIGRATIONS,
    migrate: bool = True,
) -> Store:
    """Open and migrate the store at `where`: a PostgreSQL URL ([store] url), else a SQLite file,
    created if it is missing and `create` is true. Never creates folders: a [store] path in a
    folder that does not exist is a mistake to report, not a new empty subscriber list to start.
    Read-only commands pass create=False; `digest store migrate` passes migrate=False and migrates."""
    if is_postgres_url(where):
        from digest.store.postgres import open_postgres  # psycopg loaded only for PostgreSQL

        return open_postgres(str(where), migrations=migrations if migrate else None)
    check_sequence(migrations)
    path = Path(where)
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
    store = SqliteStore(connection, path)
    try:
        with store._using():
            _configure(connection)
        if migrate:
            store.migrate(migrations)
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

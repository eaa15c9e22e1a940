"""PostgreSQL as the store ([store] url = "postgresql://user@host/db"), for more than one process
or machine: the same schema, migrations and SQL as SQLite (digest/store/dialect.py translates).

One connection per process, from a psycopg_pool pool of one (it reconnects after the server
restarts); threads share it under the store's lock, as with SQLite. A transaction takes a
transaction-scoped advisory lock first, as SQLite's BEGIN IMMEDIATE takes the write lock, so the
features' read-then-write transactions stay correct; `transaction(concurrent=True)` skips it for
work that locks its own rows (SELECT … FOR UPDATE SKIP LOCKED). The password comes from
DIGEST_DB_PASSWORD, or libpq's own PGPASSFILE / ~/.pgpass / service file, never from the TOML.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg.rows import RowMaker
from psycopg.types.array import ListBinaryDumper
from psycopg_pool import ConnectionPool, PoolTimeout

from digest.store.backend import Connection, Dialect, Parameters, Store
from digest.store.dialect import FUNCTIONS, to_postgres
from digest.store.errors import StoreError, StoreMissing
from digest.store.migrations import Migration

PASSWORD_VARIABLE = "DIGEST_DB_PASSWORD"
CONNECT_TIMEOUT = 10
"""Seconds to wait for the server to answer before saying it cannot be reached."""
WRITE_LOCK = 0x6469676573  # "diges": the advisory lock every transaction takes (one writer at a time)


class Row(tuple[Any, ...]):
    """A row by index and by column name, like sqlite3.Row."""

    _index: dict[str, int]

    def __new__(cls, values: Sequence[Any], index: dict[str, int]) -> Row:
        row = super().__new__(cls, values)
        row._index = index
        return row

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            return super().__getitem__(self._index[key])
        return super().__getitem__(key)

    def keys(self) -> list[str]:
        return list(self._index)


def _rows(cursor: Any) -> RowMaker[Row]:
    index = {column.name: number for number, column in enumerate(cursor.description or ())}
    return lambda values: Row(values, index)


def shown(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}@{host}" if user else host))


class PostgresConnection:
    """A psycopg connection speaking the store's SQL (`?`, `:name`, SQLite's idioms)."""

    dialect: Dialect = "postgresql"
    """(A sqlite3.Connection has none: digest/store/many_rows.py tells the two apart by it.)"""

    def __init__(self, raw: psycopg.Connection[Row]) -> None:
        self.raw = raw
        # Lists (an import's columns as arrays: digest/store/many_rows.py) go in binary: psycopg
        # writes a text array quoting each element with a regular expression, 5x the CPU.
        raw.adapters.register_dumper(list, ListBinaryDumper)

    def execute(self, sql: str, parameters: Parameters = (), /) -> psycopg.Cursor[Row]:
        text, values = to_postgres(sql, parameters)
        return self.raw.execute(text, values)

    def executemany(self, sql: str, parameters: Iterable[Parameters], /) -> psycopg.Cursor[Row]:
        rows = list(parameters)
        cursor = self.raw.cursor()
        if rows:
            text = to_postgres(sql, rows[0])[0]
            cursor.executemany(text, [to_postgres(sql, row)[1] for row in rows])
        return cursor


class PostgresStore(Store):
    dialect: Dialect = "postgresql"

    def __init__(self, url: str, pool: ConnectionPool[psycopg.Connection[Row]]) -> None:
        super().__init__()
        self.url = url
        self.path: str = shown(url)
        self.pool = pool
        self._connection: PostgresConnection | None = None
        """Taken from the pool once and kept (a check per use would double the round trips); given
        back when it breaks, so the pool replaces it."""
        self._busy = False

    def _connected(self) -> PostgresConnection:
        if self._connection is None:
            try:
                self._connection = PostgresConnection(self.pool.getconn(timeout=CONNECT_TIMEOUT))
            except PoolTimeout as error:
                raise StoreError(
                    f"cannot connect to PostgreSQL within {CONNECT_TIMEOUT} s", where=self.path
                ) from error
        return self._connection

    @contextmanager
    def _using(self) -> Iterator[PostgresConnection]:
        with self.lock:
            if self._busy:  # inside this thread's transaction
                yield self._connected()
                return
            connection = self._connected()
            self._busy = True
            try:
                yield connection
            except psycopg.OperationalError as error:
                raise self._failed(connection, error) from error
            finally:
                self._busy = False

    def _failed(self, connection: PostgresConnection, error: psycopg.OperationalError) -> StoreError:
        """The connection lost (the server restarted, the network went): given back to the pool, and
        the next use connects again; or what the server refused, in its words."""
        if connection.raw.broken or connection.raw.closed:
            self.pool.putconn(connection.raw)
            self._connection = None
            return StoreError(
                f"lost the connection to PostgreSQL: {_reason(error)}; run again", where=self.path
            )
        return StoreError(f"PostgreSQL: {str(error).splitlines()[0]}", where=self.path)

    @contextmanager
    def transaction(self, *, concurrent: bool = False) -> Iterator[PostgresConnection]:
        """Everything inside commits together or not at all; unless `concurrent`, after any other
        process's transaction (the advisory lock), as SQLite's BEGIN IMMEDIATE."""
        with self._using() as connection:
            connection.raw.execute("BEGIN")
            try:
                if not concurrent:
                    connection.raw.execute("SELECT pg_advisory_xact_lock(%s)", (WRITE_LOCK,))
                yield connection
                connection.raw.execute("COMMIT")
            except BaseException as error:
                if not connection.raw.closed:
                    try:
                        connection.raw.execute("ROLLBACK")
                    except psycopg.Error as failed:
                        error.add_note(f"and the rollback failed too: {failed}")
                raise

    def _read_version(self, connection: Connection) -> int:
        if not connection.execute("SELECT to_regclass('digest_schema') IS NOT NULL").fetchone()[0]:
            return 0  # a new database
        return connection.execute("SELECT version FROM digest_schema").fetchone()[0]

    def _write_version(self, connection: Connection, version: int) -> None:
        connection.execute("UPDATE digest_schema SET version = ?", (version,))

    def migrate(self, migrations: tuple[Migration, ...]) -> tuple[int, int]:
        with self.transaction() as connection:
            if self._read_version(connection) < len(migrations):
                connection.raw.execute(FUNCTIONS)  # what SQLite has built in; its version table
        return super().migrate(migrations)

    def close(self) -> None:
        with self.lock:
            if self._connection is not None:
                self.pool.putconn(self._connection.raw)
                self._connection = None
            self.pool.close()


def _reason(error: psycopg.OperationalError) -> str:
    """libpq's first line, without its prefixes (connection failed: …, FATAL:)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    reason = lines[0] if lines else type(error).__name__
    reason = reason.removeprefix("connection failed: ")
    if "failed: " in reason:
        reason = reason.split("failed: ", 1)[1]
    return reason.replace("FATAL:  ", "")


def _unreachable(error: psycopg.OperationalError, where: str) -> StoreError:
    """One line: what is wrong with reaching the database, and what to do."""
    reason = _reason(error)
    if "database" in reason and "does not exist" in reason:
        return StoreMissing(f"{reason}; create it (createdb) or correct [store] url", where=where)
    if "password" in reason:
        return StoreError(
            f"{reason}; give the password in {PASSWORD_VARIABLE} or a libpq password file (PGPASSFILE)",
            where=where,
        )
    return StoreError(f"cannot connect to PostgreSQL: {reason}", where=where)


def _connect(url: str) -> psycopg.Connection[Row]:
    password = os.environ.get(PASSWORD_VARIABLE)
    extra: dict[str, Any] = {"password": password} if password else {}
    return psycopg.connect(
        url,
        autocommit=True,
        row_factory=_rows,
        connect_timeout=CONNECT_TIMEOUT,
        application_name="digest",
        **extra,
    )


def open_postgres(url: str, *, migrations: tuple[Migration, ...] | None) -> PostgresStore:
    """Connect (a clear one-line StoreError when that cannot be done), migrate, and keep a pool
    of one connection for the process (migrations None: not migrated, for `digest store migrate`)."""
    where = shown(url)
    try:
        _connect(url).close()  # tells an unreachable server, a refused login, a missing database
    except psycopg.OperationalError as error:
        raise _unreachable(error, where) from error
    pool: ConnectionPool[psycopg.Connection[Row]] = ConnectionPool(
        url,
        min_size=1,
        max_size=1,
        connection_class=psycopg.Connection,
        kwargs={"autocommit": True, "row_factory": _rows, "application_name": "digest"}
        | ({"password": os.environ[PASSWORD_VARIABLE]} if os.environ.get(PASSWORD_VARIABLE) else {}),
        open=True,
        name="digest",
    )
    store = PostgresStore(url, pool)
    try:
        if migrations is not None:
            store.migrate(migrations)
    except psycopg.Error as error:  # a migration that does not apply: this is not our database
        store.close()
        raise StoreError(f"not a usable digest database: {error}".splitlines()[0], where=where) from error
    except BaseException:
        store.close()
        raise
    return store

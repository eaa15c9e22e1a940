"""The seam between the features' SQL and the database that runs it: SQLite (digest/store/connection.py,
the embedded default) or PostgreSQL (digest/store/postgres.py, for more than one machine).

Every feature talks to a `Store`: `execute`, `fetchall`, `fetchone`, `fetchvalue`, `transaction()`
(which yields a `Connection` with `execute` and `executemany`), rows addressable by name and by
index, `?` and `:name` placeholders. The SQL is written once, in the dialect both accept (ON CONFLICT
DO NOTHING, RETURNING id); digest/store/dialect.py translates what is left for PostgreSQL.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any, Literal, Protocol

from digest.store.errors import StoreError
from digest.store.migrations import Migration

Parameters = Sequence[Any] | Mapping[str, Any]
"""A statement's values: by position (?) or by name (:name)."""

Dialect = Literal["sqlite", "postgresql"]


class Row(Protocol):
    """A result row, by index or by column name (sqlite3.Row, or digest.store.postgres.Row)."""

    def __getitem__(self, key: Any, /) -> Any: ...
    def __iter__(self) -> Iterator[Any]: ...
    def __len__(self) -> int: ...
    def keys(self) -> list[str]: ...


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...
    def fetchone(self) -> Any: ...
    def fetchall(self) -> list[Any]: ...
    def fetchmany(self, size: int = ..., /) -> list[Any]: ...
    def __iter__(self) -> Iterator[Any]: ...


class Connection(Protocol):
    """What `Store.transaction()` yields: statements inside one transaction."""

    def execute(self, sql: str, parameters: Parameters = (), /) -> Cursor: ...
    def executemany(self, sql: str, parameters: Iterable[Parameters], /) -> Cursor: ...


class Store(ABC):
    """The process's store. Threads share it; `lock` serialises every use of its one connection."""

    dialect: Dialect
    path: Path | str
    """Where it is, for messages: the SQLite file, or PostgreSQL's URL without its password."""

    def __init__(self) -> None:
        self.lock = threading.RLock()

    @abstractmethod
    def _using(self) -> AbstractContextManager[Connection]:
        """The connection under the lock; what the machine does becomes a StoreError naming `path`."""

    @abstractmethod
    def transaction(self, *, concurrent: bool = False) -> AbstractContextManager[Connection]:
        """Everything inside commits together or not at all; a writer waits for another's.
        `concurrent`: on PostgreSQL, not after every other writer, for work that locks its own
        rows (SELECT … FOR UPDATE SKIP LOCKED); SQLite has one writer at a time whatever it says."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def _read_version(self, connection: Connection) -> int: ...

    @abstractmethod
    def _write_version(self, connection: Connection, version: int) -> None: ...

    def execute(self, sql: str, parameters: Parameters = ()) -> Cursor:
        """One statement, committed on its own (autocommit), under the lock."""
        with self._using() as connection:
            return connection.execute(sql, parameters)

    def fetchall(self, sql: str, parameters: Parameters = ()) -> list[Any]:
        with self._using() as connection:
            return connection.execute(sql, parameters).fetchall()

    def fetchone(self, sql: str, parameters: Parameters = ()) -> Any:
        with self._using() as connection:
            return connection.execute(sql, parameters).fetchone()

    def fetchvalue(self, sql: str, parameters: Parameters = ()) -> Any:
        """The first value of the row a query always returns (a COUNT, a MAX)."""
        with self._using() as connection:
            return connection.execute(sql, parameters).fetchone()[0]

    @property
    def schema_version(self) -> int:
        with self._using() as connection:
            return self._read_version(connection)

    def migrate(self, migrations: tuple[Migration, ...]) -> tuple[int, int]:
        """Apply the migrations this database has not had, each whole or not at all, with its
        version number; (version before, version after). Two processes at once: the second
        finds the work done (each backend's transaction takes the write lock first)."""
        check_sequence(migrations)
        before = self.schema_version
        if before > len(migrations):
            raise StoreError(
                f"the database has schema version {before}, newer than this digest knows "
                f"({len(migrations)}); upgrade digest",
                where=self.path,
            )
        for migration in migrations[before:]:
            with self.transaction() as connection:
                if self._read_version(connection) >= migration.version:
                    continue  # another process applied it while this one waited
                for statement in statements(migration.sql):
                    connection.execute(statement)
                self._write_version(connection, migration.version)
        return before, max(before, len(migrations))


def check_sequence(migrations: tuple[Migration, ...]) -> None:
    versions = [m.version for m in migrations]
    if versions != list(range(1, len(migrations) + 1)):
        raise AssertionError(f"migrations must be numbered 1, 2, 3… in order, got {versions}")


def statements(script: str) -> Iterator[str]:
    """Split a script at the semicolons that end statements (not those in strings or comments)."""
    import sqlite3  # its parser tells a complete statement; the same SQL runs on both backends

    buffer = ""
    for chunk in script.split(";"):
        buffer += chunk + ";"
        if sqlite3.complete_statement(buffer):
            if buffer.strip(" \t\r\n;"):
                yield buffer
            buffer = ""
    if buffer.strip(" \t\r\n;"):
        yield buffer

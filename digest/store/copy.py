"""`digest store copy --to URL`: a SQLite project's store into an empty PostgreSQL database, every
table in the order its foreign keys need, in one transaction; then each table's row count and
checksum, computed the same way on both sides, compared (a difference is an error, never a
warning). The identity sequences are set past the highest id copied, so new rows never collide.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from digest.store.backend import Store
from digest.store.errors import StoreError

BATCH = 5000
"""Rows read and written at a time: memory stays flat whatever the list's size."""


@dataclass(frozen=True, slots=True)
class TableCopy:
    table: str
    rows: int
    checksum: str
    """sha256 of each row's values, summed (modulo 2^256): the same whatever order rows come in."""


@dataclass
class _Tally:
    rows: int = 0
    total: int = 0

    def add(self, row: Any) -> None:
        text = "\x1f".join("\x00" if value is None else f"{type(value).__name__}:{value}" for value in row)
        self.rows += 1
        self.total = (self.total + int.from_bytes(hashlib.sha256(text.encode()).digest())) % 2**256

    def result(self, table: str) -> TableCopy:
        return TableCopy(table, self.rows, f"{self.total:064x}"[:16])


def tables_in_order(source: Store) -> list[str]:
    """The SQLite store's tables, each after the tables its foreign keys point at."""
    names = [row[0] for row in source.fetchall("SELECT name FROM sqlite_schema WHERE type = 'table'")]
    names = [name for name in names if not name.startswith("sqlite_")]
    needs = {
        name: {row["table"] for row in source.fetchall(f'PRAGMA foreign_key_list("{name}")')} - {name}
        for name in names
    }
    ordered: list[str] = []
    while len(ordered) < len(names):
        ready = sorted(name for name in names if name not in ordered and needs[name] <= set(ordered))
        if not ready:
            raise StoreError(f"the foreign keys of {sorted(set(names) - set(ordered))} form a cycle")
        ordered += ready
    return ordered


def _batches(store: Store, sql: str) -> Iterator[list[Any]]:
    with store._using() as connection:
        cursor = connection.execute(sql)
        while batch := cursor.fetchmany(BATCH):
            yield batch


def _columns(source: Store, table: str) -> list[str]:
    return [row["name"] for row in source.fetchall(f'PRAGMA table_info("{table}")')]


def copy_store(source: Store, target: Store) -> list[TableCopy]:
    """Copy every table of `source` (SQLite) into `target` (PostgreSQL, migrated, empty)."""
    if source.schema_version != target.schema_version:
        raise StoreError(
            f"the schema versions differ ({source.schema_version} here, {target.schema_version} there)",
            where=target.path,
        )
    tables = tables_in_order(source)
    for table in tables:
        if target.fetchone(f"SELECT 1 FROM {table} LIMIT 1") is not None:
            raise StoreError(
                f"not empty: table {table} has rows; copy only into a new database", where=target.path
            )
    copied = []
    with target.transaction() as into:
        for table in tables:
            columns = _columns(source, table)
            names = ", ".join(columns)
            insert = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
            tally = _Tally()
            for batch in _batches(source, f"SELECT {names} FROM {table}"):
                into.executemany(insert, [tuple(row) for row in batch])
                for row in batch:
                    tally.add(row)
            copied.append(tally.result(table))
            if "id" in columns and tally.rows:  # an identity column: new rows start past the copied ids
                into.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))"
                )
    compare_copy(copied, target)
    return copied


def compare_copy(copied: list[TableCopy], target: Store) -> None:
    """Read every table back from `target` and check it holds what was read from the source."""
    for expected in copied:
        columns = _target_columns(target, expected.table)
        tally = _Tally()
        for batch in _batches(target, f"SELECT {', '.join(columns)} FROM {expected.table}"):
            for row in batch:
                tally.add(row)
        found = tally.result(expected.table)
        if found != expected:
            raise StoreError(
                f"{expected.table}: {found.rows} rows (checksum {found.checksum}) arrived of "
                f"{expected.rows} (checksum {expected.checksum}) copied; the copy is not to be used",
                where=target.path,
            )


def _target_columns(target: Store, table: str) -> list[str]:
    """The columns in the order the source lists them (PostgreSQL's ALTER TABLE adds them last too)."""
    rows = target.fetchall(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
        "AND table_name = ? ORDER BY ordinal_position",
        (table,),
    )
    return [row[0] for row in rows]

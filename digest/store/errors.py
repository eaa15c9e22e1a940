"""What can go wrong with the database file, in plain words, naming the file.

sqlite3's exceptions stop at the store's edge (digest/store/connection.py): what the machine
causes (a full disk, a lock held too long, damaged pages, a read-only file or folder) becomes one
of these, each with its own exit code (digest/errors.py). What a caller's own statement causes
(a constraint, a typo in SQL) stays a sqlite3 error: the ledger handles IntegrityError itself,
and a bug should show as one.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from digest.errors import Busy, Damaged, DigestError, DiskFull, ReadOnly

BUSY_TIMEOUT = 30.0
"""Seconds a statement waits for another process's write lock before giving up."""


class StoreError(DigestError):
    """The database cannot be opened, is from a newer digest, or is not ours."""


class StoreMissing(StoreError):
    """The database, or the folder it should be in, does not exist (and is not to be created)."""


class StoreFull(StoreError, DiskFull):
    """The disk holding the database is full: the statement was rolled back, nothing is lost."""


class StoreBusy(StoreError, Busy):
    """Another process held the database's write lock for longer than BUSY_TIMEOUT."""


class StoreDamaged(StoreError, Damaged):
    """The file is not a database, or its pages are corrupt, or the disk cannot read them."""


class StoreReadOnly(StoreError, ReadOnly):
    """The file, its folder or the file system is read-only (WAL writes -wal and -shm beside it)."""


def _read_only_reason(path: Path) -> str:
    try:
        mounted_read_only = bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        mounted_read_only = False
    if mounted_read_only:
        return f"the file system holding {path.parent} is mounted read-only"
    if path.exists() and not os.access(path, os.W_OK):
        return "the database file is read-only; digest must be able to write it"
    return (
        f"the folder {path.parent} is read-only; digest must be able to write the database "
        "and its -wal and -shm files there"
    )


SHM_SIZE = 32 * 1024
"""What the -shm file beside a WAL database takes as soon as it is opened."""


def _out_of_space(error: sqlite3.Error, path: Path) -> bool:
    """An I/O error that is a full disk in disguise: SQLite says "disk I/O error" when it cannot
    grow the -shm file (or a write fails) for want of space."""
    if getattr(error, "sqlite_errorcode", 0) == sqlite3.SQLITE_IOERR_SHMSIZE:
        return True
    try:
        return shutil.disk_usage(path.parent).free < SHM_SIZE
    except OSError:
        return False


def translate(error: sqlite3.Error, path: Path) -> StoreError | None:
    """The store's own error for what the machine did to `path`; None for a caller's mistake."""
    code = getattr(error, "sqlite_errorcode", 0) & 0xFF  # the primary result code
    cause = f"({error})"
    if code == sqlite3.SQLITE_FULL or (code == sqlite3.SQLITE_IOERR and _out_of_space(error, path)):
        return StoreFull(
            f"the disk is full: the last change was not saved {cause}; free some space and run again",
            where=path,
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreBusy(
            f"the database is locked by another process, which held it longer than {BUSY_TIMEOUT:g} s "
            f"{cause}; run again when it has finished",
            where=path,
        )
    if code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StoreDamaged(
            f"not a usable digest database: the file is damaged or is not a database {cause}; "
            "restore it from a backup",
            where=path,
        )
    if code == sqlite3.SQLITE_IOERR:
        return StoreDamaged(f"the disk failed to read or write the database {cause}", where=path)
    if code in (sqlite3.SQLITE_READONLY, sqlite3.SQLITE_PERM):
        return StoreReadOnly(f"{_read_only_reason(path)} {cause}", where=path)
    if code == sqlite3.SQLITE_CANTOPEN:
        return cannot_open(path, cause)
    return None


def cannot_open(path: Path, cause: str) -> StoreError:
    """Why SQLite could not open (or create) `path`, found by looking at the path itself."""
    if not path.parent.is_dir():
        return folder_missing(path)
    if path.is_dir():
        return StoreError(f"this is a folder; [store] path must name a file {cause}", where=path)
    if not os.access(path.parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        return StoreReadOnly(f"{_read_only_reason(path)} {cause}", where=path)
    return StoreError(f"cannot open the database {cause}", where=path)


def folder_missing(path: Path) -> StoreMissing:
    return StoreMissing(
        f"the folder {path.parent} does not exist; create it, or correct [store] path (or --db)", where=path
    )

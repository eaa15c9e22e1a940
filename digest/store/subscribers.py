"""The subscriber list: import, add, remove, list, count, export. Queries over the store.

An address that unsubscribed (or bounced) keeps its row and its status: importing it again
updates its name and attributes but never makes it active. Only an explicit re-subscribe does.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from email_validator import EmailNotValidError, validate_email

from digest.clock import utc_now
from digest.errors import DigestError
from digest.markup import fold_whitespace
from digest.model import Subscriber, SubscriberStatus
from digest.spreadsheet import SpreadsheetSafeWriter, unguard_cell
from digest.store.connection import Store

EMAIL_COLUMN = "email"
NAME_COLUMN = "name"
FIRST_NAME_COLUMN = "first_name"
"""How the greeting addresses them, where the first word of name is wrong ("Dr. Ana Lima")."""
EXPORT_ONLY_COLUMNS = ("status", "status_changed_at")
"""Written by `export_csv`, ignored on import: an import never changes anyone's status."""
PAGE_SIZE = 1000
"""Rows fetched per query when streaming: memory stays flat however long the list is."""
LOCAL_PART_MAX = 64
"""RFC 5321 4.5.3.1.1: a server may refuse a longer one. (email-validator checks the whole
address's 254, not this.)"""


class SubscriberError(DigestError):
    """A subscriber file or address the user gave cannot be used."""


def _now_stamp() -> str:
    """Now, as the subscribers table stores it (ISO 8601, UTC, to the second)."""
    return utc_now().isoformat(timespec="seconds")


def parse_address(raw: str) -> str:
    """Syntax check only (no DNS): the address in its ASCII form, domain lower-cased.

    Raises ValueError with the reason a person can act on.
    """
    text = raw.strip()
    if not text:
        raise ValueError("the email is empty")
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError as e:
        raise ValueError(f"{e} (got {text!r})") from None
    address = result.ascii_email
    if address is None:
        raise ValueError(f"non-ASCII before the @ needs SMTPUTF8, which digest does not send (got {text!r})")
    local_part = address.rpartition("@")[0]
    if len(local_part) > LOCAL_PART_MAX:
        raise ValueError(
            f"the part before the @ is {len(local_part)} characters long, over RFC 5321's "
            f"{LOCAL_PART_MAX} (got {text!r})"
        )
    return address


def clean_name(raw: str) -> str:
    """One line, no control characters: names end up in the To header."""
    return fold_whitespace(raw or "")


def _subscriber(row: sqlite3.Row) -> Subscriber:
    return Subscriber(
        id=row["id"],
        email=row["email"],
        name=row["name"],
        first_name=row["first_name"],
        status=SubscriberStatus(row["status"]),
        status_changed_at=dt.datetime.fromisoformat(row["status_changed_at"]),
        attributes=json.loads(row["attributes"]),
    )


# --- import -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


@dataclass(frozen=True)
class ImportReport:
    rows: int
    """Data rows read (the header line not counted)."""
    added: int
    updated: int
    merged: int
    """Rows folded into an earlier row with the same address (case-insensitive)."""
    not_active: int
    """Imported addresses that stay unsubscribed or bounced."""
    problems: tuple[RowProblem, ...] = field(default=())


@dataclass(slots=True)
class _Row:
    line: int
    email: str
    name: str
    first_name: str
    attributes: dict[str, str]


class _CsvRows:
    """The rows of a subscriber CSV, read one at a time; bad ones collected as problems."""

    def __init__(self, handle: TextIO, where: Path) -> None:
        self.reader = csv.reader(handle)
        self.problems: list[RowProblem] = []
        self.rows_read = 0
        try:
            header = next(self.reader)
        except StopIteration:
            raise SubscriberError(
                "the file is empty (expected a header line with an email column)", where=where
            ) from None
        columns = [unguard_cell(c).strip().lower() for c in header]
        if EMAIL_COLUMN not in columns:
            raise SubscriberError(f"no {EMAIL_COLUMN!r} column in the header line {header!r}", where=where)
        repeated = sorted({c for c in columns if c and columns.count(c) > 1})
        if repeated:
            # Which one holds the address (or the name) is a guess either way: ask instead.
            raise SubscriberError(
                f"line {self.reader.line_num}: the header line names "
                f"{', '.join(map(repr, repeated))} more than once: {header!r}",
                where=where,
            )
        self.width = len(columns)
        self.email_at = columns.index(EMAIL_COLUMN)
        self.name_at = columns.index(NAME_COLUMN) if NAME_COLUMN in columns else None
        self.first_name_at = columns.index(FIRST_NAME_COLUMN) if FIRST_NAME_COLUMN in columns else None
        self.extras = [
            (i, c)
            for i, c in enumerate(columns)
            if c
            and i not in (self.email_at, self.name_at, self.first_name_at)
            and c not in EXPORT_ONLY_COLUMNS
        ]

    def __iter__(self) -> Iterator[_Row]:
        line = self.reader.line_num + 1
        for record in self.reader:
            start, line = line, self.reader.line_num + 1
            if not any(cell.strip() for cell in record):
                continue  # blank lines are not rows
            self.rows_read += 1
            if len(record) > self.width:
                self.problems.append(RowProblem(start, f"{len(record)} fields, the header has {self.width}"))
                continue
            record = [unguard_cell(cell) for cell in record] + [""] * (self.width - len(record))
            try:
                email = parse_address(record[self.email_at])
            except ValueError as e:
                self.problems.append(RowProblem(start, str(e)))
                continue
            name = clean_name(record[self.name_at]) if self.name_at is not None else ""
            first = clean_name(record[self.first_name_at]) if self.first_name_at is not None else ""
            attributes = {c: clean_name(record[i]) for i, c in self.extras if record[i].strip()}
            yield _Row(start, email, name, first, attributes)


# Later non-empty values win, for a row already stored and for a duplicate further down the file.
_UPSERT = """
INSERT INTO subscribers
    (email, email_key, name, first_name, attributes, status, created_at, status_changed_at)
VALUES (?, ?, ?, ?, ?, 'active', ?, ?)
ON CONFLICT (email_key) DO UPDATE SET
    name = CASE WHEN excluded.name != '' THEN excluded.name ELSE subscribers.name END,
    first_name = CASE WHEN excluded.first_name != '' THEN excluded.first_name ELSE subscribers.first_name END,
    attributes = json_patch(subscribers.attributes, excluded.attributes)
"""


def import_csv(store: Store, path: Path) -> ImportReport:
    """Add every good row of a CSV file (columns email, name, first_name, anything else as attributes).

    Rows stream from the file into the database (memory stays flat however long the list).
    Bad rows are reported by line and skipped; the good ones go in together in one transaction,
    so a fatal error (unreadable file, database error) leaves the list exactly as it was.
    """
    stamp = _now_stamp()
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle, store.transaction() as db:
            rows = _CsvRows(handle, path)
            before = db.execute("SELECT COUNT(*) FROM subscribers").fetchone()[0]
            db.execute("CREATE TEMP TABLE IF NOT EXISTS imported_keys (key TEXT PRIMARY KEY) WITHOUT ROWID")
            db.execute("DELETE FROM imported_keys")
            merged = 0
            for row in rows:
                key = row.email.lower()
                if db.execute("INSERT OR IGNORE INTO imported_keys VALUES (?)", (key,)).rowcount == 0:
                    merged += 1  # the same address (case aside) earlier in the file
                values = (row.email, key, row.name, row.first_name, json.dumps(row.attributes), stamp, stamp)
                db.execute(_UPSERT, values)
            added = db.execute("SELECT COUNT(*) FROM subscribers").fetchone()[0] - before
            distinct, not_active = db.execute(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE status != 'active') "
                "FROM imported_keys JOIN subscribers ON email_key = key"
            ).fetchone()
            db.execute("DELETE FROM imported_keys")
    except FileNotFoundError:
        raise SubscriberError("file not found", where=path) from None
    except IsADirectoryError:
        raise SubscriberError("this is a folder, not a CSV file", where=path) from None
    except UnicodeDecodeError as e:
        raise SubscriberError(
            f"not UTF-8 text (byte {e.start}); save the file as UTF-8 CSV", where=path
        ) from None
    except csv.Error as e:
        raise SubscriberError(f"not valid CSV: {e}", where=path) from None
    return ImportReport(
        rows=rows.rows_read,
        added=added,
        updated=distinct - added,
        merged=merged,
        not_active=not_active,
        problems=tuple(rows.problems),
    )


# --- one address at a time ---------------------------------------------------------------------


class AddOutcome(StrEnum):
    ADDED = "added"
    ALREADY_ACTIVE = "already subscribed"
    RESUBSCRIBED = "re-subscribed"
    NOT_ACTIVE = "kept"
    """Unsubscribed or bounced earlier, and not explicitly re-subscribed."""


def find_subscriber(store: Store, email: str) -> Subscriber | None:
    row = store.fetchone("SELECT * FROM subscribers WHERE email_key = ?", (email.strip().lower(),))
    return _subscriber(row) if row else None


def get_subscriber(store: Store, subscriber_id: int) -> Subscriber | None:
    row = store.fetchone("SELECT * FROM subscribers WHERE id = ?", (subscriber_id,))
    return _subscriber(row) if row else None


def add_subscriber(
    store: Store, raw_email: str, name: str = "", *, resubscribe: bool = False
) -> tuple[Subscriber, AddOutcome]:
    try:
        email = parse_address(raw_email)
    except ValueError as e:
        raise SubscriberError(str(e)) from None
    name, stamp = clean_name(name), _now_stamp()
    with store.transaction() as db:
        row = db.execute("SELECT * FROM subscribers WHERE email_key = ?", (email.lower(),)).fetchone()
        if row is None:
            db.execute(_UPSERT, (email, email.lower(), name, "", "{}", stamp, stamp))
            outcome = AddOutcome.ADDED
        elif row["status"] == SubscriberStatus.ACTIVE:
            outcome = AddOutcome.ALREADY_ACTIVE
        elif resubscribe:
            db.execute(
                "UPDATE subscribers SET status = 'active', status_reason = '', status_changed_at = ? "
                "WHERE id = ?",
                (stamp, row["id"]),
            )
            outcome = AddOutcome.RESUBSCRIBED
        else:
            outcome = AddOutcome.NOT_ACTIVE
        if row is not None and name:
            db.execute("UPDATE subscribers SET name = ? WHERE id = ?", (name, row["id"]))
        found = db.execute("SELECT * FROM subscribers WHERE email_key = ?", (email.lower(),)).fetchone()
    return _subscriber(found), outcome


def set_status(store: Store, subscriber_id: int, status: SubscriberStatus, *, reason: str = "") -> bool:
    """Change a subscriber's status; False when it already was that (idempotent)."""
    cursor = store.execute(
        "UPDATE subscribers SET status = ?, status_reason = ?, status_changed_at = ? "
        "WHERE id = ? AND status != ?",
        (status.value, reason, _now_stamp(), subscriber_id, status.value),
    )
    return cursor.rowcount > 0


def unsubscribe(store: Store, subscriber_id: int, *, reason: str = "") -> bool:
    return set_status(store, subscriber_id, SubscriberStatus.UNSUBSCRIBED, reason=reason)


def remove_subscriber(store: Store, raw_email: str, *, forget: bool = False) -> Subscriber:
    """Unsubscribe an address (kept, so a re-import cannot bring it back), or erase it entirely."""
    subscriber = find_subscriber(store, raw_email)
    if subscriber is None:
        raise SubscriberError(f"no subscriber {raw_email.strip()!r}")
    if forget:
        store.execute("DELETE FROM subscribers WHERE id = ?", (subscriber.id,))
    else:
        unsubscribe(store, subscriber.id, reason="removed by an operator")
    return subscriber


# --- reading the list ----------------------------------------------------------------------------


def iter_subscribers(
    store: Store, status: SubscriberStatus | None = None, *, page_size: int = PAGE_SIZE
) -> Iterator[Subscriber]:
    """Every subscriber (of one status), in id order, a page at a time: memory stays flat."""
    last = 0
    where = "AND status = ?" if status else ""
    while True:
        parameters = (last, status.value, page_size) if status else (last, page_size)
        rows = store.fetchall(
            f"SELECT * FROM subscribers WHERE id > ? {where} ORDER BY id LIMIT ?", parameters
        )
        if not rows:
            return
        yield from map(_subscriber, rows)
        last = rows[-1]["id"]


def count_by_status(store: Store) -> dict[SubscriberStatus, int]:
    counts = dict.fromkeys(SubscriberStatus, 0)
    for row in store.fetchall("SELECT status, COUNT(*) FROM subscribers GROUP BY status"):
        counts[SubscriberStatus(row[0])] = row[1]
    return counts


EXPORT_COLUMNS = (EMAIL_COLUMN, NAME_COLUMN, *EXPORT_ONLY_COLUMNS)


def export_csv(store: Store, out: TextIO, status: SubscriberStatus | None = None) -> int:
    """Write the list as CSV that `import_csv` reads back; attribute names become columns, and
    first_name one when anyone has one. A cell a spreadsheet would run as a formula is written as
    text (digest/spreadsheet.py)."""
    keys = [
        row[0]
        for row in store.fetchall(
            "SELECT DISTINCT j.key FROM subscribers, json_each(subscribers.attributes) AS j ORDER BY j.key"
        )
        if row[0] not in (*EXPORT_COLUMNS, FIRST_NAME_COLUMN)
    ]
    first_names = bool(store.fetchvalue("SELECT EXISTS (SELECT 1 FROM subscribers WHERE first_name != '')"))
    columns = [EMAIL_COLUMN, NAME_COLUMN, *([FIRST_NAME_COLUMN] * first_names), *EXPORT_ONLY_COLUMNS]
    writer = SpreadsheetSafeWriter(out)
    writer.writerow([*columns, *keys])
    written = 0
    for s in iter_subscribers(store, status):
        when = s.status_changed_at.isoformat() if s.status_changed_at else ""
        names = [s.name, *([s.first_name] * first_names)]
        writer.writerow([s.email, *names, s.status.value, when, *(s.attributes.get(k, "") for k in keys)])
        written += 1
    return written

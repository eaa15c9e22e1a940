"""The subscriber list: import, add, remove, list, count, export. Queries over the store.

An address that is suppressed (unsubscribed, bounced, complained: digest/store/suppression.py)
keeps its row and its status: importing or adding it again updates its name and attributes but
never makes it active. Only an explicit re-subscribe does. An imported row whose status or
suppression_reason column says it is suppressed (an export of this list, another tool's
"cleaned" list) is suppressed, never the other way round.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from enum import StrEnum
from pathlib import Path
from typing import TextIO

from digest.model import Subscriber, SubscriberStatus
from digest.spreadsheet import SpreadsheetSafeWriter, unguard_cell, unguard_cells
from digest.store.addresses import SubscriberError, clean_name, now_stamp, parse_address
from digest.store.backend import Row, Store
from digest.store.consent import ConsentEvent, ConsentKind, ConsentMethod, record_consent
from digest.store.imports import _UPSERT, ImportedRow, ImportReport, RowProblem, import_rows, unreadable
from digest.store.personal_data import ErasureGate
from digest.store.suppression import (
    REASON_OF_STATUS,
    Evidence,
    Reason,
    imported_reason,
    lift_suppression,
    suppress_subscriber,
)

__all__ = [  # and everything defined here
    "ImportReport",
    "RowProblem",
    "SubscriberError",
    "clean_name",
    "parse_address",
]

EMAIL_COLUMN = "email"
NAME_COLUMN = "name"
FIRST_NAME_COLUMN = "first_name"
"""How the greeting addresses them, where the first word of name is wrong ("Dr. Ana Lima")."""
STATUS_COLUMN = "status"
SINCE_COLUMN = "status_changed_at"
REASON_COLUMN = "suppression_reason"
EVIDENCE_COLUMN = "suppression_evidence"
EXPORT_ONLY_COLUMNS = (STATUS_COLUMN, SINCE_COLUMN, REASON_COLUMN, EVIDENCE_COLUMN)
"""Written by `export_csv`, never attributes on import; status and suppression_reason (with its
evidence) suppress an imported address, so an export read back keeps who may not be sent to."""
PAGE_SIZE = 1000
"""Rows fetched per query when streaming: memory stays flat however long the list is."""


def _subscriber(row: Row) -> Subscriber:
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
        self.status_at = {c: columns.index(c) for c in EXPORT_ONLY_COLUMNS if c in columns}
        self.extras = [
            (i, c)
            for i, c in enumerate(columns)
            if c
            and i not in (self.email_at, self.name_at, self.first_name_at)
            and c not in EXPORT_ONLY_COLUMNS
        ]

    def __iter__(self) -> Iterator[ImportedRow]:
        line = self.reader.line_num + 1
        for record in self.reader:
            start, line = line, self.reader.line_num + 1
            if not "".join(record).strip():
                continue  # blank lines are not rows
            self.rows_read += 1
            if len(record) > self.width:
                self.problems.append(RowProblem(start, f"{len(record)} fields, the header has {self.width}"))
                continue
            record = unguard_cells(record) + [""] * (self.width - len(record))
            try:
                email = parse_address(record[self.email_at])
                suppression, evidence, since = self._status(record) if self.status_at else (None, "", None)
            except ValueError as e:
                self.problems.append(RowProblem(start, str(e)))
                continue
            name = clean_name(record[self.name_at]) if self.name_at is not None else ""
            first = clean_name(record[self.first_name_at]) if self.first_name_at is not None else ""
            attributes = {c: clean_name(record[i]) for i, c in self.extras if record[i].strip()}
            yield ImportedRow(start, email, name, first, attributes, suppression, evidence, since)

    def _status(self, record: list[str]) -> tuple[Reason | None, str, dt.datetime | None]:
        """The row's suppression, its evidence and since when (the columns `export_csv` writes);
        ValueError for a suppression_reason digest does not know."""
        status = {c: record[i] for c, i in self.status_at.items()}
        suppression = imported_reason(status.get(STATUS_COLUMN, ""), status.get(REASON_COLUMN, ""))
        evidence = clean_name(status.get(EVIDENCE_COLUMN, ""))
        return suppression, evidence, _aware_time(status.get(SINCE_COLUMN, ""))


def import_csv(
    store: Store, path: Path, *, source: str = "", dry_run: bool = False, salt: bytes | None = None
) -> ImportReport:
    """Add every good row of a CSV file (columns email, name, first_name, anything else as attributes).

    Rows stream from the file into the database (memory stays flat however long the list).
    Bad rows are reported by line and skipped; the good ones go in together in one transaction,
    so a fatal error (unreadable file, database error) leaves the list exactly as it was.
    `source` names the file in the consent records (default "import: csv FILE_NAME"); a dry run
    changes nothing and reports what the import would do. Erased addresses are left out (`salt`:
    digest.deliver.erasure_salt; see digest/store/personal_data.py).
    """
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = _CsvRows(handle, path)
            source = source or f"import: csv {path.name}"
            return import_rows(store, rows, file_name=path.name, source=source, dry_run=dry_run, salt=salt)
    except FileNotFoundError:
        raise SubscriberError("file not found", where=path) from None
    except IsADirectoryError:
        raise SubscriberError("this is a folder, not a CSV file", where=path) from None
    except (UnicodeDecodeError, csv.Error) as e:
        raise unreadable(e, path) from None


def _aware_time(text: str) -> dt.datetime | None:
    """An ISO 8601 time with its offset (as `export_csv` writes it); None for anything else."""
    try:
        when = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    return when if when.tzinfo is not None else None


# --- one address at a time ---------------------------------------------------------------------


class AddOutcome(StrEnum):
    ADDED = "added"
    ALREADY_ACTIVE = "already subscribed"
    RESUBSCRIBED = "re-subscribed"
    NOT_ACTIVE = "kept"
    """Unsubscribed or bounced earlier, and not explicitly re-subscribed."""


_CONSENT_OF = {AddOutcome.ADDED: ConsentKind.GIVEN, AddOutcome.RESUBSCRIBED: ConsentKind.RENEWED}


def find_subscriber(store: Store, email: str) -> Subscriber | None:
    row = store.fetchone("SELECT * FROM subscribers WHERE email_key = ?", (email.strip().lower(),))
    return _subscriber(row) if row else None


def get_subscriber(store: Store, subscriber_id: int) -> Subscriber | None:
    row = store.fetchone("SELECT * FROM subscribers WHERE id = ?", (subscriber_id,))
    return _subscriber(row) if row else None


def add_subscriber(
    store: Store,
    raw_email: str,
    name: str = "",
    *,
    resubscribe: bool = False,
    consent: str = "",
    salt: bytes | None = None,
) -> tuple[Subscriber, AddOutcome]:
    """Add one address (a suppressed one is kept as it is unless `resubscribe`). `consent` names
    who added it ("cli: digest subscribers add"): the consent record written with an addition
    (given) or a re-subscribe (renewed), method CLI; "" writes none (the caller records its own).
    An erased address is refused (ErasedAddress; `salt` as for `import_csv`)."""
    try:
        email = parse_address(raw_email)
    except ValueError as e:
        raise SubscriberError(str(e)) from None
    name, stamp = clean_name(name), now_stamp()
    with store.transaction() as db:
        row = db.execute("SELECT * FROM subscribers WHERE email_key = ?", (email.lower(),)).fetchone()
        if row is None:
            ErasureGate(db, salt).refuse(email)
            db.execute(_UPSERT, (email, email.lower(), name, "", "{}", stamp, stamp)).fetchone()
            outcome = AddOutcome.ADDED
        elif row["status"] == SubscriberStatus.ACTIVE:
            outcome = AddOutcome.ALREADY_ACTIVE
        elif resubscribe:
            lift_suppression(db, row["id"], "digest subscribers add --resubscribe")
            outcome = AddOutcome.RESUBSCRIBED
        else:
            outcome = AddOutcome.NOT_ACTIVE
        if row is not None and name:
            db.execute("UPDATE subscribers SET name = ? WHERE id = ?", (name, row["id"]))
        found = db.execute("SELECT * FROM subscribers WHERE email_key = ?", (email.lower(),)).fetchone()
        kind = _CONSENT_OF.get(outcome)
        if consent and kind is not None:
            record_consent(db, ConsentEvent(found["id"], kind, ConsentMethod.CLI, stamp, source=consent))
    return _subscriber(found), outcome


def set_status(store: Store, subscriber_id: int, status: SubscriberStatus, *, reason: str = "") -> bool:
    """Suppress a subscriber (bounced: hard-bounce, unsubscribed: unsubscribe, `reason` the
    evidence) or make one active again (`reason` why), through the suppression list. False when
    nothing changed: it was active, or suppressed already (it keeps its first reason)."""
    with store.transaction() as db:
        if status is SubscriberStatus.ACTIVE:
            return lift_suppression(db, subscriber_id, reason or "made active")
        return suppress_subscriber(db, subscriber_id, REASON_OF_STATUS[status], Evidence(status_line=reason))


def unsubscribe(store: Store, subscriber_id: int, *, reason: str = "") -> bool:
    return set_status(store, subscriber_id, SubscriberStatus.UNSUBSCRIBED, reason=reason)


def remove_subscriber(store: Store, raw_email: str) -> Subscriber:
    """Unsubscribe an address (kept, so a re-import cannot bring it back). Erasing one is
    personal_data.erase_subscriber (`subscribers erase`, or `remove --forget`)."""
    subscriber = find_subscriber(store, raw_email)
    if subscriber is None:
        raise SubscriberError(f"no subscriber {raw_email.strip()!r}")
    unsubscribe(store, subscriber.id, reason="removed by an operator")
    return subscriber


# --- reading the list ----------------------------------------------------------------------------


def iter_subscribers(
    store: Store, status: SubscriberStatus | None = None, *, page_size: int = PAGE_SIZE
) -> Iterator[Subscriber]:
    """Every subscriber (of one status), in id order, a page at a time: memory stays flat."""
    return map(_subscriber, _rows(store, status, page_size))


def _rows(store: Store, status: SubscriberStatus | None, page_size: int) -> Iterator[Row]:
    """The subscribers' rows, each with its suppression's reason and evidence ('' when active)."""
    last = 0
    where = "AND s.status = ?" if status else ""
    while True:
        parameters = (last, status.value, page_size) if status else (last, page_size)
        rows = store.fetchall(
            "SELECT s.*, COALESCE(p.reason, '') AS suppression_reason, "
            "COALESCE(p.status_line, '') AS suppression_evidence "
            "FROM subscribers s LEFT JOIN suppressions p ON p.subscriber_id = s.id "
            f"WHERE s.id > ? {where} ORDER BY s.id LIMIT ?",
            parameters,
        )
        if not rows:
            return
        yield from rows
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
    for row in _rows(store, status, PAGE_SIZE):
        s = _subscriber(row)
        when = s.status_changed_at.isoformat() if s.status_changed_at else ""
        names = [s.name, *([s.first_name] * first_names)]
        suppression = [row["suppression_reason"], row["suppression_evidence"]]
        attributes = [s.attributes.get(k, "") for k in keys]
        writer.writerow([s.email, *names, s.status.value, when, *suppression, *attributes])
        written += 1
    return written

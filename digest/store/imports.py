"""Rows from an import, written to the list: statuses kept, consent recorded, nothing re-activated.

The one writer for every import, whatever file the rows came from: digest's own CSV
(digest/store/subscribers.py `import_csv`) and other tools' exports (digest/importers/, which
know the vendors' formats; this module does not). Each row is an `ImportedRow`:

- its address is added, or an address already on the list gets its name and attributes updated
  (later non-empty values win); an address suppressed here stays suppressed, whatever the row says;
- a row that says it may not be sent to (`suppression`: another tool's unsubscribed or cleaned
  status) is suppressed through digest/store/suppression.py, with its evidence and time;
- the consent it carries goes to the consent records (digest/store/consent.py): given (the
  tool's opt-in time and IP), confirmed (its confirmation time and IP), withdrawn (an
  unsubscribe's time), with method "import" and the source ("import: mailchimp members.zip").
  A record already there (the same file imported twice) is not written again.

All rows go in one transaction, written CHUNK at a time: a few statements a chunk (the
addresses remembered, the new ones inserted, the known ones updated, their ids read, the consent
records not there yet written) instead of four or more a row. Only portable SQL (`?`
placeholders, ON CONFLICT, IN lists); the merging of names and attributes is done here. A dry run
does the same work and rolls it back, so what it reports is exactly what the import would change.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import islice
from pathlib import Path
from typing import Protocol

from digest.model import SubscriberStatus
from digest.store.addresses import SubscriberError, now_stamp
from digest.store.backend import Connection, Store
from digest.store.consent import ConsentKind, ConsentMethod, record_consent_rows, stamp_of
from digest.store.many_rows import insert_rows, json_object, select_in
from digest.store.personal_data import ErasureGate
from digest.store.suppression import Evidence, Reason, suppress_subscriber


@dataclass(frozen=True, slots=True)
class RowProblem:
    line: int
    reason: str
    member: str = ""
    """The file inside an archive the line is in (a Mailchimp zip's cleaned CSV); "" for the file itself."""

    def __str__(self) -> str:
        return f"{self.member + ' ' if self.member else ''}line {self.line}: {self.reason}"


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
    statuses: dict[SubscriberStatus, int] = field(default_factory=dict)
    """The imported addresses by the status they have after the import."""
    suppressed_now: int = 0
    """Addresses that were active here and the file says may not be sent to any more."""
    consent_records: int = 0
    erased: int = 0
    """Rows left out because the address was erased (`subscribers erase`): never added again."""
    dry_run: bool = False
    """True: nothing was written; the counts say what the import would do."""


@dataclass(slots=True)
class ImportedRow:
    line: int
    email: str
    """Checked already (digest.store.addresses.parse_address)."""
    name: str = ""
    first_name: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    suppression: Reason | None = None
    """Why the row may not be sent to (its tool's unsubscribed or cleaned status); None: it may."""
    evidence: str = ""
    since: dt.datetime | None = None
    """When it was suppressed, if the file says."""
    given_at: dt.datetime | None = None
    """When they asked to be on the list (Mailchimp's OPTIN_TIME, Ghost's created_at), if the file says."""
    given_ip: str = ""
    confirmed_at: dt.datetime | None = None
    """When they confirmed (Mailchimp's CONFIRM_TIME): a double opt-in done elsewhere."""
    confirmed_ip: str = ""
    member: str = ""
    """The file inside an archive the row comes from."""


class RowSource(Protocol):
    """Rows read one at a time (memory stays flat); the bad ones collected as problems."""

    problems: list[RowProblem]
    rows_read: int

    def __iter__(self) -> Iterator[ImportedRow]: ...


# Later non-empty values win, for a row already stored and for a duplicate further down the file.
_UPSERT = """
INSERT INTO subscribers
    (email, email_key, name, first_name, attributes, status, created_at, status_changed_at)
VALUES (?, ?, ?, ?, ?, 'active', ?, ?)
ON CONFLICT (email_key) DO UPDATE SET
    name = CASE WHEN excluded.name != '' THEN excluded.name ELSE subscribers.name END,
    first_name = CASE WHEN excluded.first_name != '' THEN excluded.first_name ELSE subscribers.first_name END,
    attributes = json_patch(subscribers.attributes, excluded.attributes)
RETURNING id
"""
CHUNK = 500
"""Rows written together; the file is still read one row at a time, so memory stays flat."""
# Each address of the file once, by id, with the status it had before the import (NULL: new). By
# id, not by address: an integer key a new row appends to, where a text key's index costs more.
_REMEMBERED = "CREATE TEMP TABLE IF NOT EXISTS imported_ids (subscriber_id INTEGER PRIMARY KEY, before TEXT)"
_REMEMBER = "INSERT INTO imported_ids (subscriber_id, before) VALUES"
_FIRST_TIME = "ON CONFLICT (subscriber_id) DO NOTHING RETURNING subscriber_id"
_INSERT = (
    "INSERT INTO subscribers (email, email_key, name, first_name, attributes, status, created_at,"
    " status_changed_at) VALUES"
)
# (An address added meanwhile by another writer keeps what it has: the ids come from a query.)
_NEW_ONLY = "ON CONFLICT (email_key) DO NOTHING RETURNING email_key, id"
# Never the status: an import does not make anyone active again (suppression.py decides it).
_UPDATE = "UPDATE subscribers SET name = ?, first_name = ?, attributes = ? WHERE id = ?"


def unreadable(error: Exception, where: Path | str) -> SubscriberError:
    """What to tell the user about an import file that stops making sense half-way (a byte that
    is not UTF-8, a quote never closed, a zip cut short)."""
    if isinstance(error, UnicodeDecodeError):
        text = f"not UTF-8 text (byte {error.start}); save the file as UTF-8 CSV"
        return SubscriberError(text, where=where)
    return SubscriberError(f"not valid CSV: {error}", where=where)


class _DryRun(Exception):
    """Raised inside the transaction to roll a dry run back, carrying what it found."""

    def __init__(self, report: ImportReport) -> None:
        super().__init__("dry run")
        self.report = report


def import_rows(
    store: Store,
    rows: RowSource,
    *,
    file_name: str,
    source: str,
    dry_run: bool = False,
    salt: bytes | None = None,
) -> ImportReport:
    """Write every row in one transaction (see the module's docstring); `source` names the file
    and tool in the consent records, `file_name` the file in a suppression's default evidence.
    A dry run writes nothing and reports the same counts. An erased address is left out (`salt`:
    the erasure salt, digest/store/personal_data.py's ErasureGate)."""
    stamp = now_stamp()
    try:
        with store.transaction() as db:
            db.execute(_REMEMBERED)
            db.execute("DELETE FROM imported_ids")
            merged = consents = erased = 0
            gate = ErasureGate(db, salt)
            chunk = _Chunk(db, stamp=stamp, source=source, file_name=file_name)
            iterator = iter(rows)
            for batch in iter(lambda: list(islice(iterator, CHUNK)), []):
                kept = [row for row in batch if not gate.erased(row.email)]
                erased += len(batch) - len(kept)
                written = chunk.write(kept)
                merged += written.merged
                consents += written.consents
            report = replace(_report(db, rows, merged, consents, dry_run), erased=erased)
            db.execute("DELETE FROM imported_ids")
            if dry_run:
                raise _DryRun(report)
    except _DryRun as rolled_back:
        return rolled_back.report
    return report


def _report(db: Connection, rows: RowSource, merged: int, consents: int, dry_run: bool) -> ImportReport:
    statuses = dict.fromkeys(SubscriberStatus, 0)
    added = suppressed_now = 0
    for status, count, new, now_suppressed in db.execute(
        "SELECT s.status, COUNT(*), COUNT(*) FILTER (WHERE k.before IS NULL),"
        " COUNT(*) FILTER (WHERE k.before = 'active' AND s.status != 'active')"
        " FROM imported_ids k JOIN subscribers s ON s.id = k.subscriber_id GROUP BY s.status"
    ):
        statuses[SubscriberStatus(status)] = count
        added += new
        suppressed_now += now_suppressed
    distinct = sum(statuses.values())
    return ImportReport(
        rows=rows.rows_read,
        added=added,
        updated=distinct - added,
        merged=merged,
        not_active=distinct - statuses[SubscriberStatus.ACTIVE],
        problems=tuple(rows.problems),
        statuses=statuses,
        suppressed_now=suppressed_now,
        consent_records=consents,
        dry_run=dry_run,
    )


def _suppress_imported(db: Connection, subscriber_id: int, row: ImportedRow, file_name: str) -> None:
    """Suppress a row that says so (an address suppressed already keeps its first reason)."""
    note = row.evidence or f"imported from {row.member or file_name}, line {row.line}"
    evidence = Evidence(status_line=note, at=row.since)
    newly = db.execute("SELECT before IS NULL FROM imported_ids WHERE subscriber_id = ?", (subscriber_id,))
    if suppress_subscriber(db, subscriber_id, row.suppression or Reason.MANUAL, evidence) and (
        row.since is not None and newly.fetchone()[0]
    ):
        # New to this list: its status changed when the tool says it did, not now.
        db.execute(
            "UPDATE subscribers SET status_changed_at = ? WHERE id = ?", (stamp_of(row.since), subscriber_id)
        )


def _consent_events(row: ImportedRow) -> Sequence[tuple[str, dt.datetime | None, str]]:
    """The consent the row carries: (kind as stored, when the file says, IP)."""
    if row.suppression is None and row.confirmed_at is None:  # most rows: what follows, in short
        return ((ConsentKind.GIVEN.value, row.given_at, row.given_ip),)
    events: list[tuple[str, dt.datetime | None, str]] = []
    if row.given_at is not None or row.suppression is None:
        # Without a time, the import itself is the consent it records: never for a row that says
        # the address may not be sent to.
        events.append((ConsentKind.GIVEN.value, row.given_at, row.given_ip))
    if row.confirmed_at is not None:
        events.append((ConsentKind.CONFIRMED.value, row.confirmed_at, row.confirmed_ip))
    if row.suppression is Reason.UNSUBSCRIBE and row.since is not None:
        events.append((ConsentKind.WITHDRAWN.value, row.since, ""))
    return events


@dataclass(frozen=True, slots=True)
class _Written:
    merged: int
    """Rows whose address came earlier in the file (case aside)."""
    consents: int


@dataclass(slots=True)
class _Subscriber:
    """One address of a chunk as it will be written: later non-empty values win."""

    email: str
    name: str
    first_name: str
    attributes: dict[str, str]
    id: int | None = None
    """None: not on the list yet."""
    before: str | None = None
    """Its status before this chunk (None: not on the list)."""

    def fold(self, row: ImportedRow) -> None:
        self.name = row.name or self.name
        self.first_name = row.first_name or self.first_name
        self.attributes = {**self.attributes, **row.attributes}  # (a new dict: it may be a row's)


class _Chunk:
    """Writes CHUNK rows at a time in the import's transaction (see the module's docstring)."""

    def __init__(self, db: Connection, *, stamp: str, source: str, file_name: str) -> None:
        self.db = db
        self.stamp = stamp
        self.source = source
        self.file_name = file_name

    def write(self, rows: list[ImportedRow]) -> _Written:
        if not rows:
            return _Written(0, 0)
        keys = [row.email.lower() for row in rows]
        subscribers = self._subscribers(rows, keys)
        ids = {key: s.id for key, s in subscribers.items() if s.id is not None}
        known = set(ids.values())
        updates = [
            (s.name, s.first_name, json_object(s.attributes), s.id)
            for s in subscribers.values()
            if s.id is not None
        ]
        if updates:
            self.db.executemany(_UPDATE, updates)
        new = [
            (s.email, key, s.name, s.first_name, json_object(s.attributes), "active", self.stamp, self.stamp)
            for key, s in subscribers.items()
            if s.id is None
        ]
        ids.update(insert_rows(self.db, _INSERT, new, tail=_NEW_ONLY))
        if len(ids) < len(subscribers):  # added meanwhile by another writer (PostgreSQL)
            ids.update(self._ids([key for key in subscribers if key not in ids]))
        first_time = self._remember(subscribers, ids)
        for row, key in zip(rows, keys, strict=True):
            if row.suppression is not None:
                _suppress_imported(self.db, ids[key], row, self.file_name)
        consents = self._consents(rows, [ids[key] for key in keys], known)
        return _Written(len(rows) - first_time, consents)

    def _remember(self, subscribers: dict[str, _Subscriber], ids: dict[str, int]) -> int:
        """Each subscriber of the chunk remembered with its status before the import, unless an
        earlier chunk did; how many were new to the import. One not on the list before this
        chunk cannot have been in an earlier one (it would have been found)."""
        new = [(ids[key], None) for key, s in subscribers.items() if s.id is None]
        insert_rows(self.db, _REMEMBER, new)
        known = [(s.id, s.before) for s in subscribers.values() if s.id is not None]
        return len(new) + len(insert_rows(self.db, _REMEMBER, known, tail=_FIRST_TIME))

    def _subscribers(self, rows: list[ImportedRow], keys: list[str]) -> dict[str, _Subscriber]:
        """Each address of the chunk once, folded over its rows onto what the list has now."""
        found = {
            key: _Subscriber(email, name, first_name, json.loads(attributes), id, status)
            for key, id, email, name, first_name, attributes, status in select_in(
                self.db,
                "SELECT email_key, id, email, name, first_name, attributes, status FROM subscribers"
                " WHERE email_key IN ({})",
                keys,
            )
        }
        for row, key in zip(rows, keys, strict=True):
            subscriber = found.get(key)
            if subscriber is None:
                found[key] = _Subscriber(row.email, row.name, row.first_name, row.attributes)
            else:
                subscriber.fold(row)
        return found

    def _ids(self, keys: list[str]) -> dict[str, int]:
        return dict(select_in(self.db, "SELECT email_key, id FROM subscribers WHERE email_key IN ({})", keys))

    def _consents(self, rows: list[ImportedRow], ids: list[int], known: set[int]) -> int:
        """The consent the rows carry, each event once however often the file is imported: an event
        with a time is the same as one of the same kind, time and source; one without a time (the
        file gave none) as one of the same kind and source at any time. `known`: the subscribers
        that were on the list before this chunk (only they can have such records already)."""
        method = ConsentMethod.IMPORT.value
        recorded = set(
            select_in(
                self.db,
                "SELECT subscriber_id, kind, at FROM consent_events"
                " WHERE method = ? AND source = ? AND subscriber_id IN ({})",
                [i for i in ids if i in known],
                method,
                self.source,
            )
        )
        kinds = {(subscriber_id, kind) for subscriber_id, kind, _ in recorded}
        events = []
        for row, subscriber_id in zip(rows, ids, strict=True):
            for name, when, ip in _consent_events(row):
                if when is None:
                    if (subscriber_id, name) in kinds:
                        continue
                    at = self.stamp
                else:
                    at = stamp_of(when)
                    if (subscriber_id, name, at) in recorded:
                        continue
                recorded.add((subscriber_id, name, at))
                kinds.add((subscriber_id, name))
                events.append((subscriber_id, name, method, self.source, "", ip or None, at))
        record_consent_rows(self.db, events)
        return len(events)

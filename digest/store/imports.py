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

All rows go in one transaction. A dry run does the same work and rolls it back, so what it
reports is exactly what the import would change.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from digest.model import SubscriberStatus
from digest.store.addresses import SubscriberError, now_stamp
from digest.store.backend import Connection, Store
from digest.store.consent import ConsentEvent, ConsentKind, ConsentMethod, record_consent, stamp_of
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
# Each address of the file once, with the status it had before the import (NULL: new).
_REMEMBER = (
    "INSERT INTO imported_keys SELECT ?1, (SELECT status FROM subscribers WHERE email_key = ?1)"
    " WHERE true ON CONFLICT DO NOTHING"  # WHERE: SQLite's parser needs it before ON CONFLICT
)
# The same event already recorded; a time of NULL (the file gave none) matches any time.
_SAME_EVENT = (
    "SELECT 1 FROM consent_events WHERE subscriber_id = ?1 AND (at = ?2 OR ?2 IS NULL)"
    " AND kind = ?3 AND method = ?4 AND source = ?5"
)


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
            db.execute("CREATE TEMP TABLE IF NOT EXISTS imported_keys (key TEXT PRIMARY KEY, before TEXT)")
            db.execute("DELETE FROM imported_keys")
            merged = consents = erased = 0
            gate = ErasureGate(db, salt)
            for row in rows:
                if gate.erased(row.email):
                    erased += 1
                    continue
                key = row.email.lower()
                if db.execute(_REMEMBER, (key,)).rowcount == 0:
                    merged += 1  # the same address (case aside) earlier in the file
                values = (row.email, key, row.name, row.first_name, json.dumps(row.attributes), stamp, stamp)
                subscriber_id = db.execute(_UPSERT, values).fetchone()[0]
                if row.suppression is not None:
                    _suppress_imported(db, subscriber_id, row, file_name)
                consents += _record_consent(db, subscriber_id, row, source)
            report = replace(_report(db, rows, merged, consents, dry_run), erased=erased)
            db.execute("DELETE FROM imported_keys")
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
        " FROM imported_keys k JOIN subscribers s ON s.email_key = k.key GROUP BY s.status"
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
    newly = db.execute("SELECT before IS NULL FROM imported_keys WHERE key = ?", (row.email.lower(),))
    if suppress_subscriber(db, subscriber_id, row.suppression or Reason.MANUAL, evidence) and (
        row.since is not None and newly.fetchone()[0]
    ):
        # New to this list: its status changed when the tool says it did, not now.
        db.execute(
            "UPDATE subscribers SET status_changed_at = ? WHERE id = ?", (stamp_of(row.since), subscriber_id)
        )


def _record_consent(db: Connection, subscriber_id: int, row: ImportedRow, source: str) -> int:
    """The consent the row carries, each event once however often the file is imported."""
    events = []
    if row.given_at is not None or row.suppression is None:
        # Without a time, the import itself is the consent it records: never for a row that says
        # the address may not be sent to.
        events.append((ConsentKind.GIVEN, row.given_at, row.given_ip))
    if row.confirmed_at is not None:
        events.append((ConsentKind.CONFIRMED, row.confirmed_at, row.confirmed_ip))
    if row.suppression is Reason.UNSUBSCRIBE and row.since is not None:
        events.append((ConsentKind.WITHDRAWN, row.since, ""))
    written = 0
    for kind, when, ip in events:
        at = stamp_of(when) if when is not None else None
        same = (subscriber_id, at, kind.value, ConsentMethod.IMPORT.value, source)
        if db.execute(_SAME_EVENT, same).fetchone():
            continue
        event = ConsentEvent(subscriber_id, kind, ConsentMethod.IMPORT, at or now_stamp(), source, ip=ip)
        record_consent(db, event)
        written += 1
    return written

"""Everything held about one person: the subject-access report (GDPR art. 15) and erasure (art. 17).

`subject_report` gathers a subscriber's row, suppression, consent record, status changes, the
issues sent to them and the feedback about them; `subscribers show` prints it and `subscribers
export --address` writes it as JSON.

`erase_subscriber` deletes the subscriber's row, and with it (ON DELETE CASCADE) the send log,
the suppression and its history, and the consent record (and a sign-up waiting for its
confirmation, with its queued emails), with SQLite's secure_delete on so the
freed pages are zeroed. What is kept is only a salted hash of the address in `erased_addresses`,
so that an import or `subscribers add` cannot bring it back: `ErasureGate` is the check every
insert of an address into the list goes through. The salt comes from the project secret (the
caller derives it: digest.deliver.tokens.erasure_salt), so the database alone does not tell
whether someone's address was ever on the list. Only fresh consent from the person, a confirmed
double opt-in, lifts the hash (`forget_erasure`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from digest.store.addresses import SubscriberError, address_key, now_stamp
from digest.store.backend import Connection, Store
from digest.store.consent import ConsentEvent, consent_history

FEEDBACK_KINDS = ("hard-bounce", "soft-bounce", "soft-bounce-limit", "complaint")
"""The history lines that are feedback about the address (besides any that carry a message id)."""


class ErasedAddress(SubscriberError):
    """The address was erased; only the person's own fresh consent (a double opt-in) brings it back."""


def erased_hash(salt: bytes, email: str) -> str:
    """The salted hash an erased address is kept as (of its key: case does not matter)."""
    return "sha256:" + hashlib.sha256(salt + b"\0" + address_key(email).encode()).hexdigest()


class ErasureGate:
    """Whether an address was erased, for one transaction's inserts: `ErasureGate(db, salt)` once,
    then `erased(email)` per address (free while nobody has ever been erased)."""

    def __init__(self, db: Connection, salt: bytes | None) -> None:
        self.db = db
        self.salt = salt
        # (A store opened with fewer migrations, as tests of upgrades do, has no such table.)
        table = db.execute("SELECT 1 FROM sqlite_schema WHERE name = 'erased_addresses'").fetchone()
        self.active = (
            table is not None and db.execute("SELECT 1 FROM erased_addresses LIMIT 1").fetchone() is not None
        )
        if self.active and salt is None:
            raise SubscriberError(
                "this list has erased addresses, which cannot be recognised without the project "
                "secret: set DIGEST_SECRET or [newsletter] secret_file"
            )

    def erased(self, email: str) -> bool:
        if not self.active or self.salt is None:
            return False
        found = self.db.execute(
            "SELECT 1 FROM erased_addresses WHERE hash = ?", (erased_hash(self.salt, email),)
        )
        return found.fetchone() is not None

    def refuse(self, email: str) -> None:
        if self.erased(email):
            raise ErasedAddress(
                f"{email.strip()} was erased at the person's request and cannot be added again "
                "(only their own confirmed sign-up brings it back)"
            )


def was_erased(store: Store, email: str, salt: bytes) -> bool:
    """Whether the address was erased (outside a transaction: feedback about it is then dropped)."""
    found = store.fetchone("SELECT 1 FROM erased_addresses WHERE hash = ?", (erased_hash(salt, email),))
    return found is not None


def forget_erasure(db: Connection, email: str, salt: bytes) -> bool:
    """Drop an address's hash, in the caller's transaction: only for a confirmed double opt-in
    (fresh consent from the person). True when there was one."""
    return db.execute("DELETE FROM erased_addresses WHERE hash = ?", (erased_hash(salt, email),)).rowcount > 0


def erase_subscriber(store: Store, email: str, salt: bytes) -> bool:
    """Erase an address and all history of it, keeping only its salted hash. True when it was on
    the list; False when it had been erased already. SubscriberError when it is unknown."""
    key, hashed = address_key(email), erased_hash(salt, email)
    sqlite = store.dialect == "sqlite"  # PostgreSQL's freed rows go at its next (auto)vacuum
    if sqlite:
        store.execute("PRAGMA secure_delete = ON")  # the freed pages are zeroed, not left readable
    try:
        with store.transaction() as db:
            found = db.execute("DELETE FROM subscribers WHERE email_key = ? RETURNING id", (key,)).fetchone()
            pending = _erase_signups(db, key)
            kept = db.execute("SELECT 1 FROM erased_addresses WHERE hash = ?", (hashed,)).fetchone()
            if found is None and not pending and kept is None:
                raise SubscriberError(f"no subscriber {email.strip()!r}")
            db.execute(
                "INSERT INTO erased_addresses (hash, at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                (hashed, now_stamp()),
            )
    finally:
        if sqlite:
            store.execute("PRAGMA secure_delete = OFF")
    if sqlite:
        store.fetchall("PRAGMA wal_checkpoint(TRUNCATE)")  # the old pages leave the write-ahead log too
    return found is not None or pending


def _erase_signups(db: Connection, key: str) -> bool:
    """A sign-up waiting for its confirmation, and its queued emails (digest/store/signups.py)."""
    outbox = db.execute("DELETE FROM signup_outbox WHERE lower(email) = ?", (key,)).rowcount
    return db.execute("DELETE FROM pending_signups WHERE email_key = ?", (key,)).rowcount + outbox > 0


# --- the subject-access report ----------------------------------------------------------------


@dataclass(frozen=True)
class SubjectReport:
    """Everything the store holds about one address (`as_json()` is `export --address`'s)."""

    subscriber: dict[str, Any]
    """The row: email, names, status, since, created, paused until, attributes."""
    suppression: dict[str, Any] | None
    consent: list[ConsentEvent] = field(default_factory=list)
    status_changes: list[dict[str, Any]] = field(default_factory=list)
    """Suppressions and re-subscribes, oldest first."""
    issues_sent: list[dict[str, Any]] = field(default_factory=list)
    """The send log: issue, state, when."""
    feedback: list[dict[str, Any]] = field(default_factory=list)
    """Bounces, complaints and mailed unsubscribes received about the address."""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_ROW_FIELDS = "email, name, first_name, status, status_changed_at, created_at, paused_until, attributes"


def subject_report(store: Store, email: str) -> SubjectReport | None:
    """What is held about `email`; None when it is not on the list."""
    row = store.fetchone(
        f"SELECT id, {_ROW_FIELDS} FROM subscribers WHERE email_key = ?", (address_key(email),)
    )
    if row is None:
        return None
    subscriber_id = row["id"]
    suppression = store.fetchone(
        "SELECT reason, status_line, message_id, issue_id, at FROM suppressions WHERE subscriber_id = ?",
        (subscriber_id,),
    )
    events = [
        dict(event)
        for event in store.fetchall(
            "SELECT kind, status_line, message_id, issue_id, at FROM suppression_events "
            "WHERE subscriber_id = ? ORDER BY at, id",
            (subscriber_id,),
        )
    ]
    sent = store.fetchall(
        "SELECT issue_id, state, updated_at AS at FROM send_log WHERE subscriber_id = ? ORDER BY updated_at",
        (subscriber_id,),
    )
    return SubjectReport(
        subscriber={
            **{key: value for key, value in dict(row).items() if key != "id"},
            "attributes": json.loads(row["attributes"]),
        },
        suppression=dict(suppression) if suppression else None,
        consent=consent_history(store, subscriber_id),
        status_changes=[e for e in events if e["kind"] != "soft-bounce"],
        issues_sent=[dict(r) for r in sent],
        feedback=[e for e in events if e["kind"] in FEEDBACK_KINDS or e["message_id"]],
    )

"""Sign-ups waiting for their double opt-in, and the outbox of the emails they are owed.

A sign-up is not a subscriber: it waits in pending_signups (the subscribers' status CHECK stays
as it is) with the consent it gave: where the form was, the hash of the sentence shown, the IP
only where [signup] record_ip is on. The form's POST writes the pending row and its outbox row in
one transaction and returns; `digest serve`'s sender sends the outbox, so a sign-up never waits on
SMTP and one killed before its email went out gets it when the process starts again.

Confirming (the button's POST) makes the subscriber in one transaction with the consent records
it proves (given, at the time of the form; confirmed, now): a new address is added, one that
unsubscribed by choice is re-subscribed (a fresh double opt-in is fresh consent). An address
suppressed for any other reason (a complaint, a hard bounce, an operator) is never written to.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from digest.store.addresses import address_key, now_stamp
from digest.store.backend import Connection, Row, Store
from digest.store.consent import ConsentEvent, ConsentKind, ConsentMethod, record_consent, stamp_of
from digest.store.personal_data import forget_erasure
from digest.store.suppression import Reason, lift_suppression

RESEND_AFTER = dt.timedelta(hours=1)
"""Nothing is sent twice to the same pending address within this."""
CONFIRM = "confirm"
WELCOME = "welcome"


class SignupOutcome(StrEnum):
    """What a sign-up did: for the log and the tests only; the person sees the same answer for each."""

    QUEUED = "confirmation queued"
    ALREADY_QUEUED = "a confirmation went out within the hour"
    ACTIVE = "already subscribed"
    SUPPRESSED = "suppressed: nothing sent"


class ConfirmOutcome(StrEnum):
    CONFIRMED = "confirmed"
    ALREADY = "already subscribed"
    GONE = "no such sign-up"
    """Confirmed and since unsubscribed, purged after expiry, or never there."""
    SUPPRESSED = "suppressed meanwhile: not activated"


@dataclass(frozen=True, slots=True)
class SignupRequest:
    email: str
    """Parsed (store.parse_address) by the caller."""
    name: str = ""
    source: str = ""
    """Where the form was: "form: https://example.org/subscribe"."""
    text_hash: str = ""
    ip: str = ""


@dataclass(frozen=True, slots=True)
class PendingSignup:
    id: int
    email: str
    asked_at: str


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    kind: str
    """CONFIRM or WELCOME."""
    email: str
    pending_id: int | None
    attempts: int


def _standing(db: Connection, key: str) -> Row | None:
    """The subscriber with this address and the reason it is suppressed (None: not suppressed)."""
    return db.execute(
        "SELECT s.id, s.status, s.name, p.reason FROM subscribers s"
        " LEFT JOIN suppressions p ON p.subscriber_id = s.id WHERE s.email_key = ?",
        (key,),
    ).fetchone()


def _blocked(subscriber: Row | None) -> SignupOutcome | None:
    """Why this address gets no confirmation (None: it may get one)."""
    if subscriber is None:
        return None
    if subscriber["status"] == "active":
        return SignupOutcome.ACTIVE
    # Only an unsubscribe was the person's own choice, and only they can undo it by confirming.
    return None if subscriber["reason"] == Reason.UNSUBSCRIBE else SignupOutcome.SUPPRESSED


def request_signup(store: Store, request: SignupRequest, now: dt.datetime) -> SignupOutcome:
    """Keep a sign-up and queue its confirmation, in one transaction, unless the address is on
    the list already, suppressed, or was sent a confirmation within RESEND_AFTER."""
    key = request.email.lower()
    stamp = stamp_of(now)
    with store.transaction() as db:
        blocked = _blocked(_standing(db, key))
        if blocked is not None:
            return blocked
        pending = db.execute("SELECT id, sent_at FROM pending_signups WHERE email_key = ?", (key,)).fetchone()
        if pending is not None:
            queued = db.execute(
                "SELECT 1 FROM signup_outbox WHERE pending_id = ?", (pending["id"],)
            ).fetchone()
            if queued or (pending["sent_at"] and pending["sent_at"] > stamp_of(now - RESEND_AFTER)):
                return SignupOutcome.ALREADY_QUEUED
        values = (request.email, request.name, request.source, request.text_hash, request.ip or None, stamp)
        if pending is None:
            pending_id = db.execute(
                "INSERT INTO pending_signups (email, name, source, text_hash, ip, asked_at, email_key)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (*values, key),
            ).fetchone()[0]
        else:  # asked again: the consent is the newest form's, the words they saw last
            pending_id = pending["id"]
            db.execute(
                "UPDATE pending_signups SET email = ?, name = ?, source = ?, text_hash = ?, ip = ?,"
                " asked_at = ? WHERE id = ?",
                (*values, pending_id),
            )
        _queue(db, CONFIRM, request.email, pending_id, stamp)
    return SignupOutcome.QUEUED


def _queue(db: Connection, kind: str, email: str, pending_id: int | None, due: str) -> None:
    db.execute(
        "INSERT INTO signup_outbox (kind, email, pending_id, due_at) VALUES (?, ?, ?, ?)",
        (kind, email, pending_id, due),
    )


def pending_signup(store: Store, pending_id: int) -> PendingSignup | None:
    row = store.fetchone("SELECT id, email, asked_at FROM pending_signups WHERE id = ?", (pending_id,))
    return PendingSignup(row["id"], row["email"], row["asked_at"]) if row else None


def confirm_signup(
    store: Store,
    pending_id: int,
    email: str,
    now: dt.datetime,
    *,
    welcome: bool = False,
    erasure_salt: bytes | None = None,
) -> ConfirmOutcome:
    """Make the pending sign-up a subscriber, with its consent records, in one transaction. An
    address erased before comes back (fresh consent from the person): its hash is dropped
    (`erasure_salt`, digest.deliver.erasure_salt; see digest/store/personal_data.py)."""
    key = address_key(email)
    with store.transaction() as db:
        pending = db.execute("SELECT * FROM pending_signups WHERE id = ?", (pending_id,)).fetchone()
        subscriber = _standing(db, key)
        if pending is None or pending["email_key"] != key:
            active = subscriber is not None and subscriber["status"] == "active"
            return ConfirmOutcome.ALREADY if active else ConfirmOutcome.GONE
        db.execute("DELETE FROM signup_outbox WHERE pending_id = ?", (pending_id,))
        db.execute("DELETE FROM pending_signups WHERE id = ?", (pending_id,))
        outcome = _activate(db, pending, subscriber, erasure_salt)
        if outcome is not ConfirmOutcome.CONFIRMED:
            return outcome
        subscriber_id = db.execute("SELECT id FROM subscribers WHERE email_key = ?", (key,)).fetchone()[0]
        given = ConsentEvent(
            subscriber_id,
            ConsentKind.GIVEN,
            ConsentMethod.FORM,
            at=pending["asked_at"],
            source=pending["source"] or "",
            text_hash=pending["text_hash"] or "",
            ip=pending["ip"] or "",
        )
        record_consent(db, given)
        record_consent(
            db,
            ConsentEvent(
                subscriber_id,
                ConsentKind.CONFIRMED,
                ConsentMethod.FORM,
                at=stamp_of(now),
                source=given.source,
            ),
        )
        if welcome:
            _queue(db, WELCOME, pending["email"], None, stamp_of(now))
    return ConfirmOutcome.CONFIRMED


def _activate(
    db: Connection, pending: Row, subscriber: Row | None, erasure_salt: bytes | None
) -> ConfirmOutcome:
    if subscriber is None:
        if erasure_salt is not None:
            forget_erasure(db, pending["email"], erasure_salt)
        stamp = now_stamp()
        db.execute(
            "INSERT INTO subscribers (email, email_key, name, created_at, status_changed_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (pending["email"], pending["email_key"], pending["name"] or "", stamp, stamp),
        )
        return ConfirmOutcome.CONFIRMED
    blocked = _blocked(subscriber)
    if blocked is SignupOutcome.ACTIVE:
        return ConfirmOutcome.ALREADY
    if blocked is SignupOutcome.SUPPRESSED:
        return ConfirmOutcome.SUPPRESSED
    lift_suppression(db, subscriber["id"], "signed up again and confirmed it (double opt-in)")
    if pending["name"] and not subscriber["name"]:
        db.execute("UPDATE subscribers SET name = ? WHERE id = ?", (pending["name"], subscriber["id"]))
    return ConfirmOutcome.CONFIRMED


# --- the outbox ----------------------------------------------------------------------------------


def due_emails(store: Store, now: dt.datetime, limit: int = 100) -> list[OutboxItem]:
    """The outbox's emails due by `now`, oldest first; a confirmation whose sign-up is gone
    (confirmed, or purged) is dropped instead."""
    with store.transaction() as db:
        db.execute(
            "DELETE FROM signup_outbox WHERE kind = ? AND pending_id NOT IN (SELECT id FROM pending_signups)",
            (CONFIRM,),
        )
        rows = db.execute(
            "SELECT * FROM signup_outbox WHERE due_at <= ? ORDER BY id LIMIT ?", (stamp_of(now), limit)
        ).fetchall()
    return [OutboxItem(r["id"], r["kind"], r["email"], r["pending_id"], r["attempts"]) for r in rows]


def due_now(store: Store, now: dt.datetime) -> None:
    """Make every queued email due: a process starting again tries what its predecessor could not
    send (or never got to) at once, not after the back-off it had set."""
    store.execute("UPDATE signup_outbox SET due_at = ? WHERE due_at > ?", (stamp_of(now), stamp_of(now)))


def mark_sent(store: Store, item: OutboxItem, now: dt.datetime) -> None:
    with store.transaction() as db:
        db.execute("DELETE FROM signup_outbox WHERE id = ?", (item.id,))
        if item.pending_id is not None:
            db.execute(
                "UPDATE pending_signups SET sent_at = ? WHERE id = ?", (stamp_of(now), item.pending_id)
            )


def postpone(store: Store, item: OutboxItem, until: dt.datetime, *, give_up_after: int) -> None:
    """Try again at `until`; after `give_up_after` attempts the email is dropped (the person can
    sign up again)."""
    if item.attempts + 1 >= give_up_after:
        store.execute("DELETE FROM signup_outbox WHERE id = ?", (item.id,))
        return
    store.execute(
        "UPDATE signup_outbox SET attempts = attempts + 1, due_at = ? WHERE id = ?",
        (stamp_of(until), item.id),
    )


def hold(store: Store, item_ids: Iterable[int], until: dt.datetime) -> None:
    """Make these emails due at `until`, no attempt counted (the mail server was never reached)."""
    with store.transaction() as db:
        db.executemany(
            "UPDATE signup_outbox SET due_at = ? WHERE id = ?",
            [(stamp_of(until), item_id) for item_id in sorted(item_ids)],
        )


def purge_expired(store: Store, asked_before: dt.datetime) -> int:
    """Forget sign-ups never confirmed (their links expired): they are nobody's data to keep."""
    with store.transaction() as db:
        stale = "SELECT id FROM pending_signups WHERE asked_at < ?"
        db.execute(f"DELETE FROM signup_outbox WHERE pending_id IN ({stale})", (stamp_of(asked_before),))
        return db.execute(
            "DELETE FROM pending_signups WHERE asked_at < ?", (stamp_of(asked_before),)
        ).rowcount

"""The suppression list: the addresses digest must not send to, why, and the evidence.

One truth. `subscribers.status` is the flag the send reads: only 'active' subscribers are sent
to (the send log's recipient query and its claim, digest/deliver/ledger.py). Every change of that
flag goes through this module, which writes in the same transaction the `suppressions` row (the
reason and its evidence: the status line, the message id, the issue, when) and a line of
`suppression_events` (the history, re-subscribes included). A suppressed address keeps its row,
so `subscribers import` and `subscribers add` leave it suppressed; only `resubscribe`, with a
reason that is kept, lifts it. Erasing a subscriber (`erase`, personal_data.py) erases its suppression.

The reasons, and the status each sets: hard-bounce, soft-bounce-limit and imported-cleaned make
a subscriber bounced; complaint, unsubscribe and manual make one unsubscribed. An address keeps
the reason and evidence it was first suppressed with; later feedback about it goes to the history.

The record API, for the feedback fetch and the webhooks (each call one transaction, each
returning a `Recorded` that says what changed):

    record_feedback(store, email, kind, evidence, *, soft_bounce_limit=3, soft_bounce_days=30)
        `kind` is the classifier's verdict: "hard", "soft", "complaint" or "unsubscribe". Any
        other kind raises NotSuppressible, "policy" above all: a 5.7.x refusal from a blocklist
        is the sender's reputation, not the address, and never suppresses anyone. Classifying is
        the caller's duty; this module trusts the kind it is given.
    record_hard_bounce(store, email, evidence)          suppressed: hard-bounce
    record_soft_bounce(store, email, evidence, *, limit=3, days=30)
        counted; the `limit`-th soft bounce within `days` suppresses (soft-bounce-limit). A
        successful delivery resets the count: a "sent" row of the send log (the receiving server
        took the message) newer than the bounces, unless that issue bounced too (a relay takes
        the message and its bounce comes later). A bounce names its issue (evidence.issue_id,
        from the return path's token); one that does not is taken to answer the last issue the
        address was sent before it. A re-subscribe resets the count as well.
    record_complaint(store, email, evidence)            suppressed: complaint
    record_unsubscribe(store, email, evidence)          suppressed: unsubscribe
    suppress(store, email, reason, evidence)            any reason (`subscribers suppress`: manual)
    resubscribe(store, email, reason)                   active again; the reason kept in the history

An address that is not on the list is added, suppressed (so a later import cannot add it), except
by a soft bounce, which records nothing for it (NOT_ON_LIST). Reading: `suppressed(store, reason)`,
the list a page at a time; `suppression_of(store, email)`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, replace
from enum import StrEnum

from digest.clock import utc_now
from digest.model import SubscriberStatus
from digest.store.addresses import SubscriberError, address_key, now_stamp, parse_address
from digest.store.backend import Connection, Row, Store
from digest.store.feedback_log import SENT_ISSUES_CTE

SOFT_BOUNCE_LIMIT = 3
"""Soft bounces within SOFT_BOUNCE_DAYS that suppress an address (to become [feedback] soft_bounce_limit)."""
SOFT_BOUNCE_DAYS = 30
"""The soft-bounce window in days (to become [feedback] soft_bounce_days)."""
PAGE_SIZE = 1000


class Reason(StrEnum):
    HARD_BOUNCE = "hard-bounce"
    SOFT_BOUNCE_LIMIT = "soft-bounce-limit"
    COMPLAINT = "complaint"
    UNSUBSCRIBE = "unsubscribe"
    MANUAL = "manual"
    IMPORTED_CLEANED = "imported-cleaned"
    """Marked undeliverable by the list an import came from (a "cleaned" or bounced status)."""


STATUS_OF = {
    Reason.HARD_BOUNCE: SubscriberStatus.BOUNCED,
    Reason.SOFT_BOUNCE_LIMIT: SubscriberStatus.BOUNCED,
    Reason.IMPORTED_CLEANED: SubscriberStatus.BOUNCED,
    Reason.COMPLAINT: SubscriberStatus.UNSUBSCRIBED,
    Reason.UNSUBSCRIBE: SubscriberStatus.UNSUBSCRIBED,
    Reason.MANUAL: SubscriberStatus.UNSUBSCRIBED,
}
REASON_OF_STATUS = {
    SubscriberStatus.BOUNCED: Reason.HARD_BOUNCE,
    SubscriberStatus.UNSUBSCRIBED: Reason.UNSUBSCRIBE,
}
"""What setting a status directly (`set_status`, the send's in-transaction 5.1.x refusal) records."""
IMPORTED_STATUS = {
    "unsubscribed": Reason.UNSUBSCRIBE,
    "bounced": Reason.IMPORTED_CLEANED,
    "cleaned": Reason.IMPORTED_CLEANED,
}
"""A status column of an imported CSV (digest's own export, or another tool's) without a reason."""

SOFT_BOUNCE = "soft-bounce"
RESUBSCRIBE = "resubscribe"
"""History kinds besides the reasons: a counted soft bounce, a suppression lifted."""


class Recorded(StrEnum):
    SUPPRESSED = "suppressed"
    ALREADY_SUPPRESSED = "already suppressed"
    """It keeps its first reason and evidence; this one is in the history."""
    COUNTED = "soft bounce counted"
    NOT_ON_LIST = "not on the list"
    RESUBSCRIBED = "re-subscribed"
    ALREADY_ACTIVE = "already active"


class NotSuppressible(ValueError):
    """Feedback of a kind that must never suppress anyone (a policy block, an auto-reply)."""


@dataclass(frozen=True, slots=True)
class Evidence:
    """What shows an address must not be sent to."""

    status_line: str = ""
    """The SMTP/DSN status and diagnostic ("5.1.1 user unknown"), a complaint's feedback type, or a note."""
    message_id: str = ""
    """The Message-ID of the bounce or complaint."""
    issue_id: str | None = None
    """The issue it answers, when known (the return path's token names it)."""
    at: dt.datetime | None = None
    """When it happened (the report's arrival date); None: now."""


@dataclass(frozen=True, slots=True)
class Suppression:
    """One address on the list (`dataclasses.asdict` gives `suppressed --json`'s object)."""

    email: str
    reason: Reason
    at: str
    """ISO 8601, UTC."""
    status_line: str
    message_id: str
    issue_id: str | None


def imported_reason(status: str, reason: str) -> Reason | None:
    """The suppression an imported row carries: its suppression_reason column, else what its
    status column means (IMPORTED_STATUS); None for an address to send to. ValueError for a reason
    digest does not know."""
    if reason.strip():
        try:
            return Reason(reason.strip().lower())
        except ValueError:
            known = ", ".join(r.value for r in Reason)
            raise ValueError(f"suppression_reason {reason.strip()!r} is none of {known}") from None
    return IMPORTED_STATUS.get(status.strip().lower())


# --- inside a caller's transaction ---------------------------------------------------------------


def _stamp(at: dt.datetime | None) -> str:
    """A time as the send log writes it (UTC, milliseconds), so the two compare as text."""
    return (at or utc_now()).astimezone(dt.UTC).isoformat(timespec="milliseconds")


def _note(db: Connection, subscriber_id: int, kind: str, evidence: Evidence) -> str:
    at = _stamp(evidence.at)
    db.execute(
        "INSERT INTO suppression_events (subscriber_id, kind, status_line, message_id, issue_id, at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (subscriber_id, kind, evidence.status_line, evidence.message_id, evidence.issue_id, at),
    )
    return at


def _status(db: Connection, subscriber_id: int) -> SubscriberStatus | None:
    row = db.execute("SELECT status FROM subscribers WHERE id = ?", (subscriber_id,)).fetchone()
    return SubscriberStatus(row[0]) if row else None


def suppress_subscriber(db: Connection, subscriber_id: int, reason: Reason, evidence: Evidence) -> bool:
    """Suppress one subscriber, in the caller's transaction. False when it was suppressed already
    (it keeps its first reason; this one joins the history) or no longer exists."""
    status = _status(db, subscriber_id)
    if status is None:
        return False
    at = _note(db, subscriber_id, reason, evidence)
    # ON CONFLICT: a subscriber suppressed already keeps the reason it was first suppressed with.
    db.execute(
        "INSERT INTO suppressions (subscriber_id, reason, status_line, message_id, issue_id, at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (subscriber_id) DO NOTHING",
        (subscriber_id, reason.value, evidence.status_line, evidence.message_id, evidence.issue_id, at),
    )
    if status is not SubscriberStatus.ACTIVE:
        return False
    db.execute(
        "UPDATE subscribers SET status = ?, status_changed_at = ? WHERE id = ?",
        (STATUS_OF[reason].value, now_stamp(), subscriber_id),
    )
    return True


def lift_suppression(db: Connection, subscriber_id: int, reason: str) -> bool:
    """Make a suppressed subscriber active again, in the caller's transaction, the reason kept in
    the history (and the soft-bounce count starting again). False when it was active already."""
    if _status(db, subscriber_id) in (None, SubscriberStatus.ACTIVE):
        return False
    db.execute(
        "UPDATE subscribers SET status = 'active', status_reason = '', status_changed_at = ? WHERE id = ?",
        (now_stamp(), subscriber_id),
    )
    db.execute("DELETE FROM suppressions WHERE subscriber_id = ?", (subscriber_id,))
    _note(db, subscriber_id, RESUBSCRIBE, Evidence(status_line=reason))
    return True


def _find(db: Connection, email: str) -> int | None:
    row = db.execute("SELECT id FROM subscribers WHERE email_key = ?", (address_key(email),)).fetchone()
    return row[0] if row else None


def _find_or_add(db: Connection, email: str) -> int:
    """The subscriber with this address, added (active, to be suppressed at once) when missing."""
    found = _find(db, email)
    if found is not None:
        return found
    try:
        address = parse_address(email)
    except ValueError as e:
        raise SubscriberError(str(e)) from None
    stamp = now_stamp()
    return (
        db.execute(
            "INSERT INTO subscribers (email, email_key, created_at, status_changed_at) VALUES (?, ?, ?, ?)"
            " RETURNING id",
            (address, address.lower(), stamp, stamp),
        ).fetchone()[0]
        or 0
    )


# The soft bounces that count: within the window, after the last reset. A reset is a re-subscribe,
# or a delivery (a "sent" row) of an issue that did not bounce. A bounce that names no issue
# answers the last issue sent to the address before it. The send log is keyed by (issue,
# subscriber): `issues` walks its issue ids one index seek each, and `sent` seeks this
# subscriber's row in each, so a soft bounce costs a few seeks per issue, not a scan of the log.
_SOFT_BOUNCES_SQL = f"""
WITH RECURSIVE {SENT_ISSUES_CTE}, sent AS MATERIALIZED (
    SELECT l.issue_id, l.updated_at AS at FROM issues
    JOIN send_log l ON l.issue_id = issues.issue_id AND l.subscriber_id = :id
    WHERE l.state = 'sent'
), bounced_issues AS (
    SELECT COALESCE(e.issue_id, (
        SELECT s.issue_id FROM sent s WHERE s.at <= e.at ORDER BY s.at DESC LIMIT 1
    )) AS issue_id
    FROM suppression_events e WHERE e.subscriber_id = :id AND e.kind IN ('soft-bounce', 'hard-bounce')
), resets AS (
    SELECT s.at FROM sent s
    WHERE s.issue_id NOT IN (SELECT issue_id FROM bounced_issues WHERE issue_id IS NOT NULL)
    UNION ALL
    SELECT e.at FROM suppression_events e WHERE e.subscriber_id = :id AND e.kind = 'resubscribe'
)
SELECT COUNT(*) FROM suppression_events e
WHERE e.subscriber_id = :id AND e.kind = 'soft-bounce' AND e.at >= :since
    AND e.at > COALESCE((SELECT MAX(at) FROM resets), '')
"""


# --- the record API ------------------------------------------------------------------------------


def suppress(store: Store, email: str, reason: Reason | str, evidence: Evidence = Evidence()) -> Recorded:
    """Suppress an address for `reason` (adding it, suppressed, when it is not on the list)."""
    reason = Reason(reason)
    with store.transaction() as db:
        changed = suppress_subscriber(db, _find_or_add(db, email), reason, evidence)
    return Recorded.SUPPRESSED if changed else Recorded.ALREADY_SUPPRESSED


def record_hard_bounce(store: Store, email: str, evidence: Evidence) -> Recorded:
    return suppress(store, email, Reason.HARD_BOUNCE, evidence)


def record_complaint(store: Store, email: str, evidence: Evidence) -> Recorded:
    return suppress(store, email, Reason.COMPLAINT, evidence)


def record_unsubscribe(store: Store, email: str, evidence: Evidence) -> Recorded:
    return suppress(store, email, Reason.UNSUBSCRIBE, evidence)


_SEEN_SQL = (
    "SELECT 1 FROM suppression_events WHERE subscriber_id = ? AND kind = 'soft-bounce' AND message_id = ?"
)


def record_soft_bounce(
    store: Store,
    email: str,
    evidence: Evidence,
    *,
    limit: int = SOFT_BOUNCE_LIMIT,
    days: int = SOFT_BOUNCE_DAYS,
) -> Recorded:
    """Count a soft bounce; the `limit`-th within `days` since the last reset suppresses."""
    with store.transaction() as db:
        subscriber_id = _find(db, email)
        if subscriber_id is None:
            return Recorded.NOT_ON_LIST
        if evidence.message_id and db.execute(_SEEN_SQL, (subscriber_id, evidence.message_id)).fetchone():
            return Recorded.COUNTED  # this very report, again (a fetch cut short): counted once
        _note(db, subscriber_id, SOFT_BOUNCE, evidence)
        if _status(db, subscriber_id) is not SubscriberStatus.ACTIVE:
            return Recorded.ALREADY_SUPPRESSED
        since = _stamp((evidence.at or utc_now()) - dt.timedelta(days=days))
        count = db.execute(_SOFT_BOUNCES_SQL, {"id": subscriber_id, "since": since}).fetchone()[0]
        if count < limit:
            return Recorded.COUNTED
        line = f"{evidence.status_line} ({count} soft bounces in {days} days)".lstrip()
        suppress_subscriber(db, subscriber_id, Reason.SOFT_BOUNCE_LIMIT, replace(evidence, status_line=line))
    return Recorded.SUPPRESSED


def record_feedback(
    store: Store,
    email: str,
    kind: str,
    evidence: Evidence,
    *,
    soft_bounce_limit: int = SOFT_BOUNCE_LIMIT,
    soft_bounce_days: int = SOFT_BOUNCE_DAYS,
) -> Recorded:
    """Record what a classified feedback message says about `email`. Only "hard", "soft",
    "complaint" and "unsubscribe" are recorded; any other kind raises NotSuppressible."""
    if kind == "hard":
        return record_hard_bounce(store, email, evidence)
    if kind == "soft":
        return record_soft_bounce(store, email, evidence, limit=soft_bounce_limit, days=soft_bounce_days)
    if kind == "complaint":
        return record_complaint(store, email, evidence)
    if kind == "unsubscribe":
        return record_unsubscribe(store, email, evidence)
    if kind == "policy":
        raise NotSuppressible(
            "a policy block (5.7.x, a blocklist) is the sender's reputation, not the address: "
            "alert the editors, never suppress for it"
        )
    raise NotSuppressible(f"feedback of kind {kind!r} never suppresses anyone")


def resubscribe(store: Store, email: str, reason: str) -> Recorded:
    """Lift an address's suppression; `reason` (why they may be sent to again) is kept."""
    if not reason.strip():
        raise SubscriberError("say why they may be sent to again (--reason): it is kept in the history")
    with store.transaction() as db:
        subscriber_id = _find(db, email)
        if subscriber_id is None:
            raise SubscriberError(f"no subscriber {email.strip()!r}")
        changed = lift_suppression(db, subscriber_id, reason.strip())
    return Recorded.RESUBSCRIBED if changed else Recorded.ALREADY_ACTIVE


# --- reading -------------------------------------------------------------------------------------

_SELECT = (
    "SELECT s.id, s.email, p.reason, p.at, p.status_line, p.message_id, p.issue_id "
    "FROM suppressions p JOIN subscribers s ON s.id = p.subscriber_id"
)


def _suppression(row: Row) -> Suppression:
    return Suppression(
        email=row["email"],
        reason=Reason(row["reason"]),
        at=row["at"],
        status_line=row["status_line"],
        message_id=row["message_id"],
        issue_id=row["issue_id"],
    )


def suppressed(
    store: Store, reason: Reason | None = None, *, page_size: int = PAGE_SIZE
) -> Iterator[Suppression]:
    """Every suppressed address (for one reason), in the order they were added to the list, a
    page at a time: memory stays flat."""
    last = 0
    where = "AND p.reason = :reason" if reason else ""
    while True:
        rows = store.fetchall(
            f"{_SELECT} WHERE s.id > :last {where} ORDER BY s.id LIMIT :size",
            {"last": last, "reason": reason.value if reason else None, "size": page_size},
        )
        if not rows:
            return
        yield from map(_suppression, rows)
        last = rows[-1]["id"]


def suppression_of(store: Store, email: str) -> Suppression | None:
    row = store.fetchone(f"{_SELECT} WHERE s.email_key = ?", (address_key(email),))
    return _suppression(row) if row else None

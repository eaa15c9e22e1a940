"""What a subscriber changes on the preference page (digest/web/site/preferences.py): their name,
a pause, leaving, and coming back.

A pause is a time (`subscribers.paused_until`): the send's recipient query and its claim
(digest/deliver/ledger.py) skip a subscriber paused at that moment, and nothing has to run for the
pause to end: once the time has passed they are sent to again. Leaving and coming back go through
the suppression list (digest/store/suppression.py, the only writer of a status), each with its
consent event (digest/store/consent.py) in the same transaction. Only a suppression the person
chose (reason unsubscribe) is lifted here: a complaint, a hard bounce or an operator's
suppression is not theirs to undo from a link in an email.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from digest.clock import utc_now
from digest.store.addresses import clean_name, now_stamp
from digest.store.connection import Store
from digest.store.consent import ConsentEvent, ConsentKind, ConsentMethod, record_consent
from digest.store.suppression import Evidence, Reason, lift_suppression, suppress_subscriber

PAUSE_WEEKS = (2, 4, 8)
"""The pauses the page offers."""
PREFERENCE_PAGE = "preference page"
"""The evidence and the consent source the page's changes are recorded with."""


class Changed(StrEnum):
    """What a POST to the preference page did (the page says it in words)."""

    RENAMED = "renamed"
    PAUSED = "paused"
    RESUMED = "resumed"
    UNSUBSCRIBED = "unsubscribed"
    RESUBSCRIBED = "resubscribed"
    NOTHING = "nothing"
    """Already so (a second click), or not allowed from the page (a complaint's suppression)."""


def pause_stamp(moment: dt.datetime) -> str:
    """A pause's end as the column stores it: as the send log writes times, so the two compare as text."""
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds")


def rename(store: Store, subscriber_id: int, name: str, first_name: str) -> Changed:
    """Their name (the To header's) and the name the greeting uses; one line each, no control characters."""
    cursor = store.execute(
        "UPDATE subscribers SET name = ?, first_name = ? WHERE id = ? AND (name, first_name) != (?, ?)",
        (clean_name(name), clean_name(first_name), subscriber_id, clean_name(name), clean_name(first_name)),
    )
    return Changed.RENAMED if cursor.rowcount else Changed.NOTHING


def pause(store: Store, subscriber_id: int, weeks: int, *, now: dt.datetime | None = None) -> dt.datetime:
    """No issue for `weeks` weeks from now (one of PAUSE_WEEKS); a new pause replaces the old one."""
    if weeks not in PAUSE_WEEKS:
        raise ValueError(f"a pause is {', '.join(map(str, PAUSE_WEEKS))} weeks, not {weeks}")
    until = (now or utc_now()) + dt.timedelta(weeks=weeks)
    store.execute("UPDATE subscribers SET paused_until = ? WHERE id = ?", (pause_stamp(until), subscriber_id))
    return until


def paused_until(store: Store, subscriber_id: int, *, now: dt.datetime | None = None) -> dt.datetime | None:
    """When their pause ends; None when they are not paused (or the pause has passed)."""
    row = store.fetchone("SELECT paused_until FROM subscribers WHERE id = ?", (subscriber_id,))
    until = dt.datetime.fromisoformat(row[0]) if row and row[0] else None
    return until if until is not None and until > (now or utc_now()) else None


def resume(store: Store, subscriber_id: int) -> Changed:
    """End a pause now."""
    cursor = store.execute(
        "UPDATE subscribers SET paused_until = NULL WHERE id = ? AND paused_until IS NOT NULL",
        (subscriber_id,),
    )
    return Changed.RESUMED if cursor.rowcount else Changed.NOTHING


def _consent(kind: ConsentKind, subscriber_id: int) -> ConsentEvent:
    return ConsentEvent(subscriber_id, kind, ConsentMethod.PREFERENCES, now_stamp(), source=PREFERENCE_PAGE)


def leave(store: Store, subscriber_id: int) -> Changed:
    """Unsubscribe (reason unsubscribe) and record the consent withdrawn, together."""
    with store.transaction() as db:
        if not suppress_subscriber(db, subscriber_id, Reason.UNSUBSCRIBE, Evidence(PREFERENCE_PAGE)):
            return Changed.NOTHING
        record_consent(db, _consent(ConsentKind.WITHDRAWN, subscriber_id))
    return Changed.UNSUBSCRIBED


_LEFT_BY_CHOICE = "SELECT 1 FROM suppressions WHERE subscriber_id = ? AND reason = 'unsubscribe'"


def may_come_back(store: Store, subscriber_id: int) -> bool:
    """Whether the page may re-subscribe them: they left by their own choice (reason unsubscribe)."""
    return store.fetchone(_LEFT_BY_CHOICE, (subscriber_id,)) is not None


def come_back(store: Store, subscriber_id: int) -> Changed:
    """Re-subscribe someone who had unsubscribed, recording the consent renewed, together. A
    complaint's, a bounce's or an operator's suppression stays (NOTHING)."""
    with store.transaction() as db:
        if db.execute(_LEFT_BY_CHOICE, (subscriber_id,)).fetchone() is None:
            return Changed.NOTHING
        lift_suppression(db, subscriber_id, f"re-subscribed on the {PREFERENCE_PAGE}")
        record_consent(db, _consent(ConsentKind.RENEWED, subscriber_id))
    return Changed.RESUBSCRIBED

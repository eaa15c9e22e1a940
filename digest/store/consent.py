"""Consent records: the proof that each subscriber asked to be on the list.

GDPR art. 7(1) asks the controller to be able to show consent; CAN-SPAM and every ESP's terms
ask the same in their words. A record says when, how (a sign-up form, an import and its source
file, the command line, an API), which words the person saw (the sha256 of the consent
sentence, so a later edit of the sentence does not rewrite history), when the double opt-in was
confirmed, and the IP address only where `[signup] record_ip` is on (privacy first).

The events, in order, are a subscriber's consent history:

    given      asked to be added: a form sent, an import's row, `subscribers add`
    confirmed  the double opt-in's button pressed (or an import's own CONFIRM_TIME)
    withdrawn  unsubscribed (one click, the preference page, a mailto)
    renewed    subscribed again after leaving (the preference page, `resubscribe`)

Rows are only ever added; erasing a subscriber (GDPR art. 17) deletes them with the subscriber
(ON DELETE CASCADE). `record_consent` takes the open transaction's connection, so the record is
written together with the change it proves.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from digest.store.addresses import now_stamp
from digest.store.backend import Connection, Store
from digest.store.many_rows import insert_rows


class ConsentKind(StrEnum):
    GIVEN = "given"
    CONFIRMED = "confirmed"
    WITHDRAWN = "withdrawn"
    RENEWED = "renewed"


class ConsentMethod(StrEnum):
    FORM = "form"
    IMPORT = "import"
    CLI = "cli"
    API = "api"
    PREFERENCES = "preferences"


@dataclass(frozen=True, slots=True)
class ConsentEvent:
    subscriber_id: int
    kind: ConsentKind
    method: ConsentMethod
    at: str
    """ISO 8601, UTC, to the second (as the subscribers table stores times)."""
    source: str = ""
    """Where it came from in words: "import: mailchimp members.csv", "form: https://…/subscribe"."""
    text_hash: str = ""
    """consent_text_hash() of the sentence shown, or "" when none was (an import, the CLI)."""
    ip: str = ""
    """Only where [signup] record_ip is on; "" otherwise."""


CONSENT_COLUMNS = ("subscriber_id", "kind", "method", "source", "text_hash", "ip", "at")
"""A consent record's columns, in the order `record_consent_rows` takes them."""


def consent_text_hash(text: str) -> str:
    """The version of a consent sentence: sha256 of its words with whitespace folded, so
    re-wrapping the sentence in digest.toml does not make it a new version."""
    folded = " ".join(text.split())
    return "sha256:" + hashlib.sha256(folded.encode("utf-8")).hexdigest()


def record_consent(db: Connection, event: ConsentEvent) -> None:
    """Add one event, inside the caller's transaction (Store.transaction())."""
    record_consents(db, [event])


def record_consents(db: Connection, events: Iterable[ConsentEvent]) -> None:
    """Add events in few statements, inside the caller's transaction."""
    stamp = now_stamp()
    record_consent_rows(
        db,
        [
            (e.subscriber_id, str(e.kind), str(e.method), e.source, e.text_hash, e.ip or None, e.at or stamp)
            for e in events
        ],
    )


def record_consent_rows(db: Connection, rows: list[tuple[int, str, str, str, str, str | None, str]]) -> None:
    """Add events given as rows of CONSENT_COLUMNS (an import's chunk: no ConsentEvent a row)."""
    insert_rows(db, f"INSERT INTO consent_events ({', '.join(CONSENT_COLUMNS)}) VALUES", rows)


def consent_history(store: Store, subscriber_id: int) -> list[ConsentEvent]:
    """A subscriber's consent events, oldest first."""
    rows = store.fetchall(
        "SELECT * FROM consent_events WHERE subscriber_id = ? ORDER BY at, id", (subscriber_id,)
    )
    return [
        ConsentEvent(
            subscriber_id=row["subscriber_id"],
            kind=ConsentKind(row["kind"]),
            method=ConsentMethod(row["method"]),
            at=row["at"],
            source=row["source"] or "",
            text_hash=row["text_hash"] or "",
            ip=row["ip"] or "",
        )
        for row in rows
    ]


def stamp_of(moment: dt.datetime) -> str:
    """A time from elsewhere (an import's OPTIN_TIME) as consent_events stores it: UTC, seconds."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")

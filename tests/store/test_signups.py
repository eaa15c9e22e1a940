"""Issue 14: the store's side of the sign-up: the pending sign-up and its queued confirmation in one
transaction, one confirmation an hour at most, no email for suppressed addresses, confirming with
the consent records, and forgetting sign-ups whose links expired."""

from __future__ import annotations

import datetime as dt

import pytest

from digest.model import SubscriberStatus
from digest.store import (
    ConsentKind,
    Evidence,
    add_subscriber,
    consent_history,
    find_subscriber,
    open_store,
    record_complaint,
    record_hard_bounce,
)
from digest.store.signups import (
    ConfirmOutcome,
    SignupOutcome,
    SignupRequest,
    confirm_signup,
    due_emails,
    mark_sent,
    pending_signup,
    purge_expired,
    request_signup,
)

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(store_at):
    store = open_store(store_at("digest.db"))
    yield store
    store.close()


def _ask(store, email: str, at: dt.datetime = NOW) -> SignupOutcome:
    return request_signup(store, SignupRequest(email=email, source="form: test", text_hash="sha256:x"), at)


def test_one_confirmation_an_hour_at_most(store):
    assert _ask(store, "ana@example.com") is SignupOutcome.QUEUED
    assert _ask(store, "ana@example.com") is SignupOutcome.ALREADY_QUEUED  # still in the outbox
    [item] = due_emails(store, NOW)
    mark_sent(store, item, NOW)
    assert _ask(store, "ANA@example.com", NOW + dt.timedelta(minutes=59)) is SignupOutcome.ALREADY_QUEUED
    assert _ask(store, "ana@example.com", NOW + dt.timedelta(minutes=61)) is SignupOutcome.QUEUED
    assert len(due_emails(store, NOW + dt.timedelta(minutes=61))) == 1


@pytest.mark.parametrize("suppress", [record_complaint, record_hard_bounce])
def test_a_suppressed_address_is_sent_nothing(store, suppress):
    add_subscriber(store, "gone@example.com")
    suppress(store, "gone@example.com", Evidence(status_line="550 5.1.1"))
    assert _ask(store, "gone@example.com") is SignupOutcome.SUPPRESSED
    assert due_emails(store, NOW) == [] and store.fetchvalue("SELECT COUNT(*) FROM pending_signups") == 0


def test_confirming_writes_the_subscriber_and_its_consent_together(store):
    _ask(store, "bo@example.com")
    [item] = due_emails(store, NOW)
    later = NOW + dt.timedelta(hours=2)
    assert confirm_signup(store, item.pending_id, "bo@example.com", later) is ConfirmOutcome.CONFIRMED
    subscriber = find_subscriber(store, "bo@example.com")
    assert subscriber is not None and subscriber.status is SubscriberStatus.ACTIVE
    given, confirmed = consent_history(store, subscriber.id)
    assert (given.kind, given.at, given.text_hash) == (ConsentKind.GIVEN, NOW.isoformat(), "sha256:x")
    assert (confirmed.kind, confirmed.at) == (ConsentKind.CONFIRMED, later.isoformat())
    assert pending_signup(store, item.pending_id) is None and due_emails(store, later) == []
    assert confirm_signup(store, item.pending_id, "bo@example.com", later) is ConfirmOutcome.ALREADY


def test_suppressed_between_sign_up_and_confirmation_stays_suppressed(store):
    add_subscriber(store, "cy@example.com")
    store.execute("UPDATE subscribers SET status = 'unsubscribed' WHERE email_key = 'cy@example.com'")
    store.execute(
        "INSERT INTO suppressions (subscriber_id, reason, at) SELECT id, 'unsubscribe', '' FROM subscribers"
    )
    _ask(store, "cy@example.com")
    [item] = due_emails(store, NOW)
    store.execute("UPDATE suppressions SET reason = 'complaint'")
    assert confirm_signup(store, item.pending_id, "cy@example.com", NOW) is ConfirmOutcome.SUPPRESSED
    assert find_subscriber(store, "cy@example.com").status is SubscriberStatus.UNSUBSCRIBED


def test_sign_ups_never_confirmed_are_forgotten(store):
    _ask(store, "old@example.com", NOW - dt.timedelta(days=9))
    _ask(store, "new@example.com")
    assert purge_expired(store, NOW - dt.timedelta(days=8)) == 1
    assert [i.email for i in due_emails(store, NOW)] == ["new@example.com"]

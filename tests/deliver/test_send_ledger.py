"""The send log writes a "sent" with the next claim: one commit per message, still exactly once.

`record_sent` only queues; the next `claim` (or `flush`) commits the queued rows in the same
statement as its own in_flight row. A queue lost to a crash must leave its rows in_flight, so
the rerun reports them uncertain and never sends them again.
"""

from __future__ import annotations

import pytest

from digest.deliver.ledger import SendLedger, SendState
from digest.deliver.splice import Recipient
from digest.store import IssueLocked, Store, issue_lock, open_store
from digest.store.personal_data import erase_subscriber
from digest.store.subscribers import add_subscriber, unsubscribe

ISSUE = "2025-W02"


@pytest.fixture
def store(store_at) -> Store:
    store = open_store(store_at("subscribers.db"))
    for n in range(5):
        add_subscriber(store, f"reader{n}@example.com", f"Reader {n}")
    yield store
    store.close()


def _states(store: Store) -> dict[str, str]:
    rows = store.fetchall(
        "SELECT s.email, l.state FROM send_log l JOIN subscribers s ON s.id = l.subscriber_id "
        "WHERE l.issue_id = ?",
        (ISSUE,),
    )
    return {email: state for email, state in rows}


def _recipients(ledger: SendLedger) -> list[Recipient]:
    return list(ledger.pending())


def test_a_queued_sent_is_written_with_the_next_claim(store: Store):
    ledger = SendLedger(store, ISSUE)
    first, second, third = _recipients(ledger)[:3]
    assert ledger.claim(first)
    ledger.record_sent(first, "250 2.0.0 queued")
    assert _states(store) == {first.email: "in_flight"}, "queued, not yet written"
    assert ledger.claim(second)
    assert _states(store) == {first.email: "sent", second.email: "in_flight"}
    ledger.record_sent(second, "250 2.0.0 queued")
    ledger.flush()
    assert _states(store) == {first.email: "sent", second.email: "sent"}
    assert ledger.counts()[SendState.SENT] == 2
    assert third.email not in _states(store)
    reply = store.fetchone("SELECT reply FROM send_log WHERE subscriber_id = ?", (first.subscriber_id,))
    assert reply[0] == "250 2.0.0 queued"


def test_a_claim_taken_elsewhere_is_refused_and_still_writes_the_queue(store: Store):
    ledger, other = SendLedger(store, ISSUE), SendLedger(store, ISSUE)
    first, second = _recipients(ledger)[:2]
    assert other.claim(second)
    assert ledger.claim(first)
    ledger.record_sent(first, "250 ok")
    assert not ledger.claim(second), "someone else has it"
    assert _states(store) == {first.email: "sent", second.email: "in_flight"}


def test_a_queue_lost_in_a_crash_leaves_uncertain_rows_that_are_never_resent(store: Store):
    ledger = SendLedger(store, ISSUE)
    people = _recipients(ledger)
    for recipient in people[:3]:
        assert ledger.claim(recipient)
        ledger.record_sent(recipient, "250 ok")
    # The process dies here: the last "sent" was only queued.
    rerun = SendLedger(store, ISSUE)
    with issue_lock(store, ISSUE) as lock:
        assert rerun.settle_interrupted(lock) == 1
    assert rerun.uncertain() == [people[2].email]
    assert [r.email for r in rerun.pending()] == [r.email for r in people[3:]]
    assert rerun.counts()[SendState.SENT] == 2


def test_resending_uncertain_retakes_them_alongside_queued_rows(store: Store):
    ledger = SendLedger(store, ISSUE)
    first, second, third = _recipients(ledger)[:3]
    assert ledger.claim(first)
    assert ledger.claim(second)
    with issue_lock(store, ISSUE) as lock:
        ledger.settle_interrupted(lock)
    store.execute("UPDATE send_log SET reply = 'no reply' WHERE subscriber_id = ?", (first.subscriber_id,))
    retry = SendLedger(store, ISSUE, resend_uncertain=True)
    assert [r.email for r in retry.pending()][:2] == [first.email, second.email]
    assert retry.claim(first)
    retry.record_sent(first, "250 ok")
    assert retry.claim(second)
    assert not retry.claim(second), "in flight: not taken twice"
    assert retry.claim(third)
    assert _states(store) == {first.email: "sent", second.email: "in_flight", third.email: "in_flight"}


def test_a_subscriber_erased_mid_send_does_not_stop_the_claims(store: Store):
    ledger = SendLedger(store, ISSUE)
    first, second = _recipients(ledger)[:2]
    assert ledger.claim(first)
    ledger.record_sent(first, "250 ok")
    erase_subscriber(store, first.email, b"erasure salt")  # its log row goes with it
    assert ledger.claim(second)
    assert _states(store) == {second.email: "in_flight"}, "the erased subscriber is not written back"


def test_settling_needs_the_issue_lock_held(store: Store):
    """Another process's in_flight rows are live: only the lock's holder may call them uncertain."""
    ledger = SendLedger(store, ISSUE)
    assert ledger.claim(_recipients(ledger)[0])
    with issue_lock(store, ISSUE) as lock:
        pass
    with pytest.raises(IssueLocked, match="no longer holds the issue's run lock"):
        ledger.settle_interrupted(lock)  # released: the lock it names is gone
    assert ledger.counts()[SendState.IN_FLIGHT] == 1


def test_a_claim_for_a_subscriber_no_longer_active_fails_and_writes_the_queue(store: Store):
    ledger = SendLedger(store, ISSUE)
    first, second, third = _recipients(ledger)[:3]  # read while all are active
    assert ledger.claim(first)
    ledger.record_sent(first, "250 ok")
    unsubscribe(store, second.subscriber_id)
    erase_subscriber(store, third.email, b"erasure salt")
    assert not ledger.claim(second), "unsubscribed since the page was read"
    assert not ledger.claim(third), "erased since the page was read"
    assert _states(store) == {first.email: "sent"}

"""The send log writes a "sent" with the next claim: one commit per message, still exactly once.

`record_sent` only queues; the next `claim` (or `flush`) commits the queued rows in the same
statement as its own in_flight row. A queue lost to a crash must leave its rows in_flight, so
the rerun reports them uncertain and never sends them again.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time

import pytest

from digest.deliver.ledger import SendLedger, SendState
from digest.deliver.splice import Recipient
from digest.store import IssueLocked, Store, issue_lock, open_store
from digest.store.personal_data import erase_subscriber
from digest.store.subscribers import add_subscriber, unsubscribe

ISSUE = "2025-W02"
START = dt.datetime(2025, 1, 10, 7, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(five_readers: Store) -> Store:
    return five_readers


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


def _claim_in_threads(ledger: SendLedger, store: Store, recipients: list[Recipient]) -> dict[str, object]:
    """Each recipient claimed by its own thread while the store is busy (its lock held here), so
    every claim is queued before any is written; what each thread got back (True, False, an error)."""
    results: dict[str, object] = {}

    def claim(recipient: Recipient) -> None:
        try:
            results[recipient.email] = ledger.claim(recipient)
        except Exception as e:  # what the sending thread would see
            results[recipient.email] = e

    threads = [threading.Thread(target=claim, args=(r,)) for r in recipients]
    with store.lock:
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 10
        while len(ledger._claims) < len(recipients) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(ledger._claims) == len(recipients), "every thread queued its claim"
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_claims_queued_while_the_store_is_busy_are_written_in_one_statement(store: Store):
    """Threads that claim at once are answered each for its own subscriber, from one write (one
    commit for all), together with the queued "sent" rows."""
    ticks = itertools.count()
    ledger = SendLedger(store, ISSUE, clock=lambda: START + dt.timedelta(seconds=next(ticks)))
    people = _recipients(ledger)
    assert ledger.claim(people[0])
    ledger.record_sent(people[0], "250 ok")
    assert SendLedger(store, ISSUE).claim(people[1]), "another process has this one"
    unsubscribe(store, people[2].subscriber_id)
    assert _states(store)[people[0].email] == "in_flight", "its sent row is queued"
    results = _claim_in_threads(ledger, store, people[1:])
    assert results == {
        people[1].email: False,
        people[2].email: False,
        people[3].email: True,
        people[4].email: True,
    }
    assert _states(store) == {
        people[0].email: "sent",
        people[1].email: "in_flight",
        people[3].email: "in_flight",
        people[4].email: "in_flight",
    }
    written = store.fetchall(
        "SELECT DISTINCT updated_at FROM send_log WHERE issue_id = ? AND subscriber_id IN (?, ?)",
        (ISSUE, people[3].subscriber_id, people[4].subscriber_id),
    )
    assert len(written) == 1, "both claims went in one statement (the sent row with them: no flush ran)"


def test_a_group_write_that_fails_fails_every_claim_in_it_and_keeps_the_queue(tmp_path):
    store = open_store(tmp_path / "subscribers.db")
    for n in range(3):
        add_subscriber(store, f"reader{n}@example.com", f"Reader {n}")
    ledger = SendLedger(store, ISSUE)
    first, *others = _recipients(ledger)
    assert ledger.claim(first)
    ledger.record_sent(first, "250 ok")
    store.execute("CREATE TRIGGER refuse BEFORE INSERT ON send_log BEGIN SELECT RAISE(ABORT, 'no room'); END")
    results = _claim_in_threads(ledger, store, others)
    assert all(isinstance(r, Exception) and "no room" in str(r) for r in results.values()), results
    store.execute("DROP TRIGGER refuse")
    assert _states(store) == {first.email: "in_flight"}, "nothing written"
    ledger.flush()
    assert _states(store) == {first.email: "sent"}, "the queued sent row was kept for the next write"
    assert ledger.claim(others[0]), "the failed claims left nothing behind"
    store.close()

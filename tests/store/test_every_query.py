"""Every query of the product outside the store tests' own features, on both backends: the run
history and its lock, the feedback tables and the per-issue figures, the preference page's
changes, a person's data, and the click counter's delivery times. PostgreSQL is strict about
types and SQLite is not: a query that only SQLite accepts fails here."""

from __future__ import annotations

import datetime as dt

import pytest

from digest.deliver.ledger import SendLedger
from digest.feedback.figures import issue_figures, recent_figures
from digest.store import (
    Evidence,
    IssueHistory,
    IssueLocked,
    IssueState,
    StopNotices,
    ThisProcess,
    add_subscriber,
    erase_subscriber,
    issue_lock,
    open_store,
    preferences,
    record_complaint,
    record_soft_bounce,
    subject_report,
)
from digest.store.feedback_log import ComplaintAcks, ProcessedMessages, record_policy_block
from digest.web.site.clicks import DeliveryTimes

NOW = dt.datetime(2025, 3, 10, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def store(store_at):
    store = open_store(store_at("digest.db"))
    for n in range(1, 6):
        add_subscriber(store, f"reader{n}@example.com", f"Reader {n}")
    yield store
    store.close()


def _ids(store) -> list[int]:
    return [row["id"] for row in store.fetchall("SELECT id FROM subscribers ORDER BY id")]


def _send(store, issue_id: str) -> None:
    ledger = SendLedger(store, issue_id, clock=lambda: NOW)
    for recipient in ledger.pending():
        assert ledger.claim(recipient)
        ledger.record_sent(recipient, "250 ok")
    ledger.flush()


def test_the_run_history_and_its_lock(store):
    history = IssueHistory(store, clock=lambda: NOW)
    history.record("2025-W10", IssueState.AWAITING_APPROVAL, "proofed", deadline=NOW, proof_hash="abc")
    history.record("2025-W09", IssueState.SENT, sent_at=NOW, decided_by="ana")
    assert history.get("2025-W10").proof_hash == "abc"
    assert [r.issue_id for r in history.records()] == ["2025-W10", "2025-W09"]
    assert [r.issue_id for r in history.past_deadline(NOW + dt.timedelta(hours=1))] == ["2025-W10"]
    history.remember_stories("2025-W09", ["https://a.example/1", "https://a.example/2"])
    history.remember_stories("2025-W09", ["https://a.example/1"])  # again: kept once
    assert history.recently_sent("2025-W10") == {
        "https://a.example/1": "2025-W09",
        "https://a.example/2": "2025-W09",
    }
    _send(store, "2025-W08")
    assert history.went_out() == ["2025-W09", "2025-W08"]

    notices = StopNotices(store)
    assert notices.claim("2025-W10", "lint", NOW) is None
    assert notices.claim("2025-W10", "lint", NOW) == NOW
    notices.release("2025-W10", "lint")

    other = ThisProcess(host="elsewhere.example", pid=1, boot_id="")
    with issue_lock(store, "2025-W10", me=other):
        taken = pytest.raises(IssueLocked, match=r"pid 1 on elsewhere\.")
        with taken, issue_lock(store, "2025-W10"):
            pass
    with issue_lock(store, "2025-W10") as held:
        assert SendLedger(store, "2025-W10").settle_interrupted(held) == 0


def test_feedback_tables_and_the_figures_of_an_issue(store):
    _send(store, "2025-W10")
    messages = ProcessedMessages(store)
    assert messages.record("<a@x>", source="imap://x", kind="hard", now=NOW)
    assert not messages.record("<a@x>", source="imap://x", kind="hard", now=NOW)
    assert messages.seen("<a@x>") and messages.count() == 1
    messages.release("<a@x>")
    acks = ComplaintAcks(store)
    assert acks.acknowledge("2025-W10", by="ana", now=NOW) is None
    assert acks.acknowledge("2025-W10", by="bo", now=NOW) == ("ana", NOW)
    assert acks.acknowledged() == {"2025-W10"}

    later = Evidence(status_line="4.2.2 full", issue_id="2025-W10", at=NOW + dt.timedelta(hours=1))
    record_soft_bounce(store, "reader1@example.com", later)
    record_complaint(
        store, "reader2@example.com", Evidence(status_line="abuse", issue_id="2025-W10", at=later.at)
    )
    record_policy_block(
        store,
        subscriber_id=_ids(store)[2],
        domain="Example.com",
        issue_id=None,
        status_line="5.7.1",
        at=later.at,
    )
    figures = issue_figures(store, "2025-W10")
    assert (figures.sent, figures.soft, figures.complaints, figures.policy_blocks) == (5, 1, 1, 1)
    assert [f.issue_id for f in recent_figures(store)] == ["2025-W10"]


def test_the_preference_page_a_persons_data_and_delivery_times(store):
    first = _ids(store)[0]
    assert preferences.rename(store, first, "Ana Ng", "Ana") is preferences.Changed.RENAMED
    until = preferences.pause(store, first, 2, now=NOW)
    assert preferences.paused_until(store, first, now=NOW) == until
    assert preferences.resume(store, first) is preferences.Changed.RESUMED
    preferences.leave(store, first)
    assert preferences.may_come_back(store, first)
    preferences.come_back(store, first)

    _send(store, "2025-W10")
    report = subject_report(store, "reader1@example.com")
    assert report is not None and report.as_json()
    times = DeliveryTimes(store, b"k" * 32)
    assert times("2025-W10", "not a clicker") is None and times.issues["2025-W10"][1]

    assert erase_subscriber(store, "reader1@example.com", b"salt")
    assert not erase_subscriber(store, "reader1@example.com", b"salt")

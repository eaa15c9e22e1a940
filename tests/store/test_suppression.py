"""The suppression list, read as a spec: who may not be sent to, why, and what brings them back."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.clock import utc_now
from digest.deliver.ledger import SendLedger
from digest.model import SubscriberStatus
from digest.store import (
    MIGRATIONS,
    Evidence,
    NotSuppressible,
    Reason,
    Recorded,
    erase_subscriber,
    find_subscriber,
    open_store,
    record_feedback,
    record_soft_bounce,
    record_unsubscribe,
    remove_subscriber,
    resubscribe,
    suppressed,
    suppression_of,
)
from digest.store.subscribers import add_subscriber, import_csv, unsubscribe

DAY = dt.timedelta(days=1)


@pytest.fixture
def store(store_at):
    store = open_store(store_at("digest.db"))
    for address in ("ana@example.com", "bo@example.org", "cy@example.net"):
        add_subscriber(store, address)
    yield store
    store.close()


def pending(store) -> list[str]:
    """Who the next issue's send would go to."""
    return [r.email for r in SendLedger(store, "2025-W50").pending()]


def soft(days_ago: float, issue: str | None = None) -> Evidence:
    return Evidence("452 4.2.2 mailbox full", issue_id=issue, at=utc_now() - days_ago * DAY)


def test_three_soft_bounces_in_thirty_days_suppress(store):
    assert record_soft_bounce(store, "ana@example.com", soft(25)) is Recorded.COUNTED
    assert record_soft_bounce(store, "ana@example.com", soft(10)) is Recorded.COUNTED
    assert record_soft_bounce(store, "ana@example.com", soft(0)) is Recorded.SUPPRESSED
    assert suppression_of(store, "ana@example.com").reason is Reason.SOFT_BOUNCE_LIMIT
    assert pending(store) == ["bo@example.org", "cy@example.net"]


def test_the_same_soft_bounce_report_read_twice_counts_once(store):
    """A fetch cut short between acting and remembering the message reads it again next time."""
    again = Evidence("452 4.2.2 mailbox full", message_id="<dsn-7@mx.example.net>", at=utc_now())
    for _ in range(3):
        assert record_soft_bounce(store, "ana@example.com", again) is Recorded.COUNTED
    assert suppression_of(store, "ana@example.com") is None
    assert record_soft_bounce(store, "ana@example.com", soft(1)) is Recorded.COUNTED


def test_three_soft_bounces_spread_over_more_than_thirty_days_do_not(store):
    for days_ago in (45, 20, 0):
        assert record_soft_bounce(store, "ana@example.com", soft(days_ago)) is Recorded.COUNTED
    assert find_subscriber(store, "ana@example.com").status is SubscriberStatus.ACTIVE


def test_the_limit_and_the_window_are_parameters(store):
    """[feedback] soft_bounce_limit / soft_bounce_days will pass them."""
    assert record_soft_bounce(store, "ana@example.com", soft(50), limit=2, days=60) is Recorded.COUNTED
    assert record_soft_bounce(store, "ana@example.com", soft(0), limit=2, days=60) is Recorded.SUPPRESSED


def test_a_resubscribe_starts_the_soft_bounce_count_again(store):
    for days_ago in (3, 2, 1):
        record_soft_bounce(store, "ana@example.com", soft(days_ago))
    assert resubscribe(store, "ana@example.com", "mailbox emptied, she wrote") is Recorded.RESUBSCRIBED
    assert record_soft_bounce(store, "ana@example.com", soft(0)) is Recorded.COUNTED
    assert pending(store)[0] == "ana@example.com"


def test_a_policy_block_is_never_recorded_as_a_suppression(store):
    evidence = Evidence("550 5.7.1 listed at zen.spamhaus.org", "<dsn@mx.example>")
    for kind in ("policy", "auto-reply", "other"):
        with pytest.raises(NotSuppressible):
            record_feedback(store, "bo@example.org", kind, evidence)
    assert list(suppressed(store)) == []
    assert store.fetchvalue("SELECT COUNT(*) FROM suppression_events") == 0
    assert record_feedback(store, "bo@example.org", "complaint", evidence) is Recorded.SUPPRESSED


def test_feedback_about_an_address_not_on_the_list_keeps_it_off_the_list(store, tmp_path: Path):
    record_feedback(store, "Stranger@Example.COM", "hard", Evidence("550 5.1.1 no such user"))
    assert record_soft_bounce(store, "nobody@example.com", soft(0)) is Recorded.NOT_ON_LIST
    (tmp_path / "list.csv").write_text("email,name\nstranger@example.com,Stranger\n")
    assert import_csv(store, tmp_path / "list.csv").not_active == 1
    assert "stranger@example.com" not in pending(store)
    assert find_subscriber(store, "nobody@example.com") is None


def test_an_address_keeps_the_reason_it_was_first_suppressed_for(store):
    record_unsubscribe(store, "cy@example.net", Evidence("mailto: unsubscribe", "<u1@example.net>"))
    again = record_feedback(store, "cy@example.net", "hard", Evidence("550 5.1.1"))
    assert again is Recorded.ALREADY_SUPPRESSED
    suppression = suppression_of(store, "cy@example.net")
    assert (suppression.reason, suppression.message_id) == (Reason.UNSUBSCRIBE, "<u1@example.net>")
    kinds = store.fetchall("SELECT kind FROM suppression_events ORDER BY id")
    assert [row[0] for row in kinds] == ["unsubscribe", "hard-bounce"]  # the history has both


def test_the_stores_unsubscribe_records_reason_unsubscribe(store):
    unsubscribe(store, find_subscriber(store, "bo@example.org").id, reason="unsubscribe link")
    remove_subscriber(store, "cy@example.net")
    assert [(s.email, s.reason, s.status_line) for s in suppressed(store, Reason.UNSUBSCRIBE)] == [
        ("bo@example.org", Reason.UNSUBSCRIBE, "unsubscribe link"),
        ("cy@example.net", Reason.UNSUBSCRIBE, "removed by an operator"),
    ]


def test_erasing_a_subscriber_erases_its_suppression_too(store):
    record_feedback(store, "ana@example.com", "complaint", Evidence("abuse"))
    erase_subscriber(store, "ana@example.com", b"erasure salt")
    assert list(suppressed(store)) == []
    assert store.fetchvalue("SELECT COUNT(*) FROM suppression_events") == 0


def test_a_store_at_version_5_keeps_its_unsubscribed_and_bounced_subscribers_unsendable(tmp_path: Path):
    path = tmp_path / "digest.db"
    old = open_store(path, migrations=MIGRATIONS[:5])
    for address in ("ana@example.com", "bo@example.org", "cy@example.net"):
        add_subscriber(old, address)
    old.execute(
        "UPDATE subscribers SET status = 'unsubscribed', status_reason = 'unsubscribe link', "
        "status_changed_at = '2025-03-01T10:00:00+00:00' WHERE email = 'bo@example.org'"
    )
    old.execute(
        "UPDATE subscribers SET status = 'bounced', status_reason = '550 5.1.1 no such user', "
        "status_changed_at = '2025-03-02T11:00:00+00:00' WHERE email = 'cy@example.net'"
    )
    old.close()
    store = open_store(path)
    assert store.schema_version == len(MIGRATIONS) >= 6
    assert pending(store) == ["ana@example.com"]
    result = CliRunner().invoke(main, ["subscribers", "--db", str(path), "suppressed"])
    assert result.stdout.splitlines() == [
        "bo@example.org\tunsubscribe\t2025-03-01T10:00:00.000+00:00\tunsubscribe link\t\t",
        "cy@example.net\thard-bounce\t2025-03-02T11:00:00.000+00:00\t550 5.1.1 no such user\t\t",
    ]
    bounced = CliRunner().invoke(
        main, ["subscribers", "--db", str(path), "suppressed", "--reason", "hard-bounce"]
    )
    assert [line.split("\t")[0] for line in bounced.stdout.splitlines()] == ["cy@example.net"]
    store.close()


def test_an_import_suppresses_the_rows_that_say_so_and_reports_a_reason_it_does_not_know(store, tmp_path):
    (tmp_path / "other-tool.csv").write_text(
        "email,status,suppression_reason\n"
        "dee@example.com,cleaned,\n"  # another tool's hard-bounced address
        "eli@example.com,subscribed,\n"
        "fay@example.com,unsubscribed,\n"
        "gus@example.com,,spam\n"
        "ana@example.com,active,\n"
    )
    report = import_csv(store, tmp_path / "other-tool.csv")
    assert [str(p) for p in report.problems] == [
        "line 5: suppression_reason 'spam' is none of hard-bounce, soft-bounce-limit, complaint, "
        "unsubscribe, manual, imported-cleaned"
    ]
    assert [(s.email, s.reason, s.status_line) for s in suppressed(store)] == [
        ("dee@example.com", Reason.IMPORTED_CLEANED, "imported from other-tool.csv, line 2"),
        ("fay@example.com", Reason.UNSUBSCRIBE, "imported from other-tool.csv, line 4"),
    ]
    assert "eli@example.com" in pending(store) and "ana@example.com" in pending(store)

"""The suppression list as a send sees it: real sends to aiosmtpd on 127.0.0.1, the list changed
through `digest subscribers` as an operator types it (and the record API the feedback uses)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.clock import utc_now
from digest.deliver.ledger import SendLedger
from digest.deliver.send import Purpose, send_issue
from digest.model import SubscriberStatus
from digest.pipeline import prepare_folder
from digest.store import (
    Evidence,
    Recorded,
    Store,
    find_subscriber,
    open_store,
    record_hard_bounce,
    record_soft_bounce,
    suppression_of,
)
from digest.store.subscribers import add_subscriber
from tests.conftest import TEST_SECRET
from tests.smtp_server import Faults, SmtpTestServer

ENV = {"DIGEST_SECRET": TEST_SECRET}
PEOPLE = ["ana@example.com", "bo@example.org", "chidi@example.net", "dana@example.com", "eve@example.com"]


@pytest.fixture
def prepared(send_project: Path):
    return prepare_folder(send_project, Purpose.SEND, environ=ENV)


@pytest.fixture
def store(prepared):
    store = open_store(prepared.delivery.store_path)
    for address in PEOPLE:
        add_subscriber(store, address)
    yield store
    store.close()


@pytest.fixture
def digest(prepared):
    """`digest subscribers --db STORE ARGS...` as typed; the result (stdout, stderr, exit code)."""

    def invoke(*args: str):
        command = ["subscribers", "--db", str(prepared.delivery.store_path), *args]
        return CliRunner().invoke(main, command, catch_exceptions=False)

    return invoke


def send(prepared, store: Store, server: SmtpTestServer):
    return send_issue(prepared, store, environ={**ENV, **server.environ()})


def test_a_suppressed_address_gets_nothing_and_everyone_else_exactly_one_copy(prepared, store, digest):
    assert digest("suppress", "dana@example.com").stdout.startswith("dana@example.com: suppressed (manual")
    record_hard_bounce(store, "eve@example.com", Evidence("5.1.1 user unknown", "<dsn-1@mx.example>"))
    with SmtpTestServer() as server:
        result = send(prepared, store, server)
    assert server.copies == {"ana@example.com": 1, "bo@example.org": 1, "chidi@example.net": 1}
    assert result.run.sent == 3 and result.complete


def test_an_import_of_suppressed_addresses_leaves_them_suppressed(prepared, store, digest, tmp_path: Path):
    record_hard_bounce(store, "bo@example.org", Evidence("5.1.1 user unknown"))
    digest("suppress", "new@example.com", "--reason", "complaint", "--note", "ARF abuse report")
    listing = tmp_path / "list.csv"
    listing.write_text("email,name,status\nBO@example.org,Bo Again,active\nnew@example.com,New,\n")
    imported = digest("import", str(listing))
    assert imported.exit_code == 0, imported.output
    assert "2 addresses suppressed, left as they were" in imported.stdout
    assert find_subscriber(store, "bo@example.org").name == "Bo Again"  # the name is updated…
    assert suppression_of(store, "bo@example.org").reason == "hard-bounce"  # …the suppression kept
    assert suppression_of(store, "new@example.com").reason == "complaint"
    with SmtpTestServer() as server:
        send(prepared, store, server)
    assert set(server.copies) == set(PEOPLE) - {"bo@example.org"}


def test_adding_a_suppressed_address_says_so_and_leaves_it(store, digest):
    record_hard_bounce(store, "chidi@example.net", Evidence("5.1.1 <chidi@example.net>: no such user"))
    refused = digest("add", "Chidi@example.net", "--name", "Chidi")
    assert refused.exit_code == 2
    assert refused.stderr == (
        "error: chidi@example.net is suppressed (hard-bounce: 5.1.1 <chidi@example.net>: no such user); "
        "`digest subscribers resubscribe chidi@example.net --reason TEXT` brings them back if they asked\n"
    )
    assert find_subscriber(store, "chidi@example.net").status is SubscriberStatus.BOUNCED


def test_resubscribe_brings_one_back_and_the_next_send_reaches_it(prepared, store, digest):
    digest("suppress", "bo@example.org", "--reason", "unsubscribe")
    with SmtpTestServer() as server:
        send(prepared, store, server)
        assert "bo@example.org" not in server.copies
        assert digest("resubscribe", "bo@example.org").exit_code == 2  # --reason is required
        back = digest("resubscribe", "bo@example.org", "--reason", "asked by email on 3 March")
        assert back.stdout == "bo@example.org: re-subscribed\n"
        again = send(prepared, store, server)
    assert again.run.sent == 1
    assert server.copies == dict.fromkeys(PEOPLE, 1)
    history = store.fetchall(
        "SELECT kind, status_line FROM suppression_events e JOIN subscribers s ON s.id = e.subscriber_id "
        "WHERE s.email = 'bo@example.org' ORDER BY e.id"
    )
    assert [tuple(row) for row in history] == [
        ("unsubscribe", "digest subscribers suppress"),
        ("resubscribe", "asked by email on 3 March"),
    ]
    assert digest("suppressed").stdout == ""


def test_soft_bounces_then_a_delivery_then_soft_bounces_do_not_suppress(prepared, store):
    now = utc_now()
    for days_ago, issue in ((20, "2025-W40"), (13, "2025-W41")):
        evidence = Evidence("4.2.2 mailbox full", issue_id=issue, at=now - dt.timedelta(days=days_ago))
        assert record_soft_bounce(store, "ana@example.com", evidence) is Recorded.COUNTED
    with SmtpTestServer() as server:
        send(prepared, store, server)  # delivered: the server took Ana's copy, and it did not bounce
    for issue in ("2025-W43", "2025-W44"):
        evidence = Evidence("4.2.2 mailbox full", issue_id=issue)
        assert record_soft_bounce(store, "ana@example.com", evidence) is Recorded.COUNTED
    assert find_subscriber(store, "ana@example.com").status is SubscriberStatus.ACTIVE


def test_a_bounce_of_the_delivered_issue_itself_does_not_reset_the_count(prepared, store):
    """A relay takes the message (a "sent" row) and the bounce comes an hour later: no delivery."""
    record_soft_bounce(store, "ana@example.com", Evidence("4.2.2 mailbox full", issue_id="2025-W40"))
    record_soft_bounce(store, "ana@example.com", Evidence("4.2.2 mailbox full", issue_id="2025-W41"))
    with SmtpTestServer() as server:
        send(prepared, store, server)
    later = Evidence("4.2.2 mailbox full", "<dsn-3@mx.example>")  # no issue named: the last one sent
    assert record_soft_bounce(store, "ana@example.com", later) is Recorded.SUPPRESSED
    suppression = suppression_of(store, "ana@example.com")
    assert suppression.reason == "soft-bounce-limit"
    assert suppression.status_line == "4.2.2 mailbox full (3 soft bounces in 30 days)"
    next_week = [r.email for r in SendLedger(store, "2025-W45").pending()]
    assert next_week == [a for a in PEOPLE if a != "ana@example.com"]


def test_a_550_during_the_send_is_a_hard_bounce_with_its_reply_as_evidence(prepared, store, digest):
    faults = Faults(refuse={"dana@example.com": "550 5.1.1 <dana@example.com>: no such user"})
    with SmtpTestServer(faults) as server:
        send(prepared, store, server)
    (line,) = digest("suppressed", "--json").stdout.splitlines()
    listed = json.loads(line)
    assert listed["email"] == "dana@example.com" and listed["reason"] == "hard-bounce"
    assert listed["status_line"] == "550 5.1.1 <dana@example.com>: no such user"


def test_an_export_read_into_a_new_store_keeps_every_suppression(store, digest, tmp_path: Path):
    record_hard_bounce(store, "bo@example.org", Evidence("5.1.1 user unknown"))
    digest("suppress", "eve@example.com", "--reason", "complaint", "--note", "=cmd|' /C calc'!A0")
    exported = tmp_path / "export.csv"
    assert digest("export", "--out", str(exported)).exit_code == 0
    assert "\"'=cmd|' /C calc'!A0\"" in exported.read_text()  # the OWASP guard holds for evidence
    copy = CliRunner().invoke(
        main, ["subscribers", "--db", str(tmp_path / "copy.db"), "import", str(exported)]
    )
    assert copy.exit_code == 0, copy.output
    moved = open_store(tmp_path / "copy.db")
    assert suppression_of(moved, "bo@example.org").reason == "hard-bounce"
    assert suppression_of(moved, "bo@example.org").status_line == "5.1.1 user unknown"
    assert suppression_of(moved, "eve@example.com").status_line == "=cmd|' /C calc'!A0"
    active = [s.email for s in map(lambda a: find_subscriber(moved, a), PEOPLE) if s.status == "active"]
    assert active == ["ana@example.com", "chidi@example.net", "dana@example.com"]
    moved.close()

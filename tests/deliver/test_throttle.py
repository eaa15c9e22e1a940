"""[throttle]: limits that hold across sending processes, through the store, against aiosmtpd on
127.0.0.1 with real `digest send` processes: a domain's rate shared by two senders, a domain that
says "slow down" left alone by everyone (and only it), and a warm-up's daily allowance."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from digest.deliver.ledger import SendLedger, SendState
from digest.deliver.throttle import is_slow_down
from digest.store import Store, open_store
from digest.store.subscribers import add_subscriber
from tests.deliver.processes import digest, finish
from tests.smtp_server import Faults, SmtpTestServer

ISSUE = "2025-W02"


def _throttle(send_project: Path, toml: str) -> None:
    settings = send_project.parent / "digest.toml"
    settings.write_text(settings.read_text(encoding="utf-8") + toml, encoding="utf-8")


@pytest.fixture
def store(send_project: Path) -> Iterator[Store]:
    with closing(open_store(send_project.parent / "subscribers.db")) as opened:
        yield opened


def _subscribe(store: Store, addresses: list[str]) -> list[str]:
    for address in addresses:
        add_subscriber(store, address)
    return addresses


def _second_issue(send_project: Path) -> Path:
    """The next week's issue beside it (its own run lock, so both send at once), same subscribers."""
    second_week = send_project.parent / "meridian-2025-01-15"
    shutil.copytree(send_project, second_week)
    issue_toml = second_week / "issue.toml"
    issue_toml.write_text(issue_toml.read_text().replace("date = 2025-01-08", "date = 2025-01-15"))
    return second_week


def _send_two_issues_at_once(server: SmtpTestServer, send_project: Path) -> None:
    """`digest send` of this issue and of the next week's, two processes at once; both complete."""
    second_week = _second_issue(send_project)
    senders = [digest(server, "send", send_project), digest(server, "send", second_week)]
    outcomes = [finish(sender) for sender in senders]
    assert [code for code, _, _ in outcomes] == [0, 0], outcomes


def _rate(arrivals: list[float]) -> float:
    """Messages per second from the first arrival to the last."""
    return (len(arrivals) - 1) / (max(arrivals) - min(arrivals))


def test_a_domain_rate_holds_across_two_sending_processes(send_project: Path, store: Store):
    _throttle(send_project, '\n[throttle."example.com"]\nrate = 20\n')
    readers = _subscribe(store, [f"reader{n:02d}@example.com" for n in range(25)])
    with SmtpTestServer() as server:
        _send_two_issues_at_once(server, send_project)
    assert server.copies == {reader: 2 for reader in readers}  # each issue once
    rate = _rate([at for at, _ in server.handler.arrivals])
    assert 10 <= rate <= 20 * 1.15, f"{rate:.1f} messages/s to example.com over both senders"


def test_a_domain_that_says_slow_down_is_left_alone_and_only_it(send_project: Path, store: Store):
    backoff = 2.0
    _throttle(send_project, f'\n[throttle."slow.example"]\nbackoff = {backoff}\n')
    slow = [f"s{n}@slow.example" for n in range(8)]
    fast = [f"f{n}@fast.example" for n in range(8)]
    _subscribe(store, [address for pair in zip(slow, fast, strict=True) for address in pair])
    with SmtpTestServer(Faults(slow_down_domain={"slow.example": 1})) as server:
        code, out, err = finish(digest(server, "send", send_project))
    assert code == 0, out + err
    assert server.copies == {address: 1 for address in slow + fast}, "every one once, nobody failed"
    (said,) = server.handler.slowed_down
    arrivals = server.handler.arrivals
    ended = said + backoff - 0.1  # (the server's clock and the senders' are read a moment apart)
    assert max(at for at, rcpt in arrivals if rcpt in fast) < ended, "the other domain went on meanwhile"
    slow_meanwhile = [rcpt for at, rcpt in arrivals if rcpt in slow and said < at < ended]
    assert len(slow_meanwhile) <= 1, "none but one already in flight before the back-off ended"
    assert SendLedger(store, ISSUE).counts()[SendState.SENT] == len(slow + fast)
    assert store.fetchvalue("SELECT count(*) FROM throttle_backoffs WHERE domain = 'slow.example'") == 1


def test_warm_up_day_3_sends_its_allowance_and_leaves_the_rest_pending(send_project: Path, store: Store):
    start = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)  # today is day 3
    _throttle(send_project, f"\n[throttle.warmup]\nstart = {start}\nfirst_day = 2\nceiling = 32\ndays = 5\n")
    readers = _subscribe(store, [f"reader{n:02d}@example.com" for n in range(12)])
    with SmtpTestServer() as server:
        code, out, err = finish(digest(server, "send", send_project))
        assert sum(server.copies.values()) == 8  # 2 × 16^(2/4): day 3 of a rise from 2 to 32 in 5 days
        again, out_again, _ = finish(digest(server, "send", send_project))
        assert sum(server.copies.values()) == 8, "the second run of the day sends nothing more"
    assert code == again == 5, out + err
    said = " ".join(out.split())
    assert "allows 8 messages today (day 3 of 5" in said and "wait for tomorrow's run" in said, said
    assert "4 active subscribers still without this issue" in said
    ledger = SendLedger(store, ISSUE)
    assert ledger.counts()[SendState.SENT] == 8 and not ledger.failures()
    assert ledger.count_pending() == len(readers) - 8
    assert "wait for tomorrow's run" in out_again


@pytest.mark.parametrize(
    ("reply", "slow"),
    [
        ("421 4.7.0 Try again later, closing connection", True),
        ("421 Service not available", True),
        ("451 4.7.500 Server busy, please try again later", True),
        ("450 4.2.1 The user you are trying to contact is receiving mail at a rate that", True),
        ("421 4.3.2 System shutting down", False),
        ("421 4.4.2 closing the connection", False),
        ("451 4.7.1 Greylisting in action, please come back later", False),
        ("451 4.3.0 try again later", False),
        ("450 4.2.0 mailbox busy", False),
    ],
)
def test_which_replies_ask_to_slow_down(reply: str, slow: bool):
    assert is_slow_down(reply) is slow


def test_the_relay_limits_hold_across_two_sending_processes(send_project: Path, store: Store):
    """[throttle.relay]: two processes of two connections each, one connection at a time and
    20 messages a second between them; nobody skipped."""
    _throttle(send_project, "\n[throttle.relay]\nrate = 20\nconnections = 1\n")
    readers = _subscribe(store, [f"reader{n}@example.org" for n in range(15)])
    with SmtpTestServer() as server:
        _send_two_issues_at_once(server, send_project)
    assert server.copies == {reader: 2 for reader in readers}
    assert server.handler.most_sessions == 1
    assert _rate([at for at, _ in server.handler.arrivals]) <= 20 * 1.15

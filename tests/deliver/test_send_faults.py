"""`digest send` against a hostile or broken SMTP server, as real processes, counted on the server.

- The server drops the connection in the middle of DATA, before the final dot: the message was
  not delivered, so it is retried on a new connection (never "uncertain"), and arrives once.
- Exit codes say what happened: 3 when the server cannot be used at all (nothing listening, a
  name that does not resolve: one line naming host and port, at once), 5 when anything was
  deferred (with what the server said), and 3 when the first recipients are all refused with the
  same permanent reply (a server or policy problem: nobody is marked bounced, nothing is logged).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from digest.deliver.ledger import SendLedger, SendState
from digest.store import Store, count_by_status, open_store
from digest.store.subscribers import add_subscriber
from tests.deliver.processes import digest, finish
from tests.smtp_server import Faults, SmtpTestServer, free_port

ISSUE = "2025-W02"


@pytest.fixture
def store(send_project: Path) -> Store:
    opened = open_store(send_project.parent / "subscribers.db")
    yield opened
    opened.close()


def _subscribe(store: Store, count: int) -> list[str]:
    addresses = [f"reader{n:03d}@example.com" for n in range(count)]
    for address in addresses:
        add_subscriber(store, address)
    return addresses


# --- a connection dropped before the final dot ---------------------------------------------------


EVERY_FIRST_TRY = set(range(1, 200, 2))
"""With one connection, each recipient's first DATA (the retry is the next one)."""


@pytest.mark.parametrize(
    ("concurrency", "faults"),
    [
        (1, Faults(drop_in_data=EVERY_FIRST_TRY)),  # closed after the 354, the message unread
        (1, Faults(drop_in_data=EVERY_FIRST_TRY, drop_in_data_at_once=True)),  # shut with the 354
        (4, Faults(drop_in_data={2, 3, 5, 8, 13, 21, 34, 55, 89})),  # scattered over four connections
    ],
    ids=["unread", "at-once", "four-connections"],
)
def test_a_connection_dropped_mid_data_is_retried_and_delivered_once(
    send_project: Path, store: Store, concurrency: int, faults: Faults
):
    readers = _subscribe(store, 100)
    drops = faults.drop_in_data
    with SmtpTestServer(faults) as server:
        code, out, err = finish(digest(server, "send", send_project, "--concurrency", str(concurrency)))
        dropped = server.handler.dropped_in_data
        copies = server.copies

    assert code == 0, err
    assert dropped == len(drops)
    assert copies == dict.fromkeys(readers, 1)
    ledger = SendLedger(store, ISSUE)
    assert ledger.uncertain() == [], "a message whose final dot never went out was called uncertain"
    assert ledger.counts()[SendState.SENT] == len(readers)
    assert "uncertain" not in out


# --- exit codes ---------------------------------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "smtp.nowhere.invalid"])
def test_a_server_that_cannot_be_reached_is_exit_3_at_once(send_project: Path, store: Store, host: str):
    _subscribe(store, 2)  # fewer recipients than connections
    port = free_port()  # nothing listens there
    started = time.monotonic()
    with SmtpTestServer() as server:
        process = digest(
            server, "send", send_project, "--concurrency", "4",
            extra_env={"DIGEST_SMTP_HOST": host, "DIGEST_SMTP_PORT": str(port)},
        )  # fmt: skip
        code, _, err = finish(process)
    assert code == 3, err
    assert time.monotonic() - started < 15, "it retried instead of saying so"
    [line] = err.strip().splitlines()
    assert line.startswith(f"error: cannot reach {host}:{port}: "), err
    assert SendLedger(store, ISSUE).count_pending() == 2


def test_every_recipient_deferred_is_exit_5_saying_what_the_server_said(send_project: Path, store: Store):
    _subscribe(store, 3)
    with SmtpTestServer(Faults(refuse_every_rcpt="451 4.7.1 greylisted, try again later")) as server:
        code, out, err = finish(digest(server, "send", send_project))
        assert server.copies == {}
    assert code == 5, out + err
    assert "deferred" in out and "451 4.7.1 greylisted, try again later" in out
    assert SendLedger(store, ISSUE).count_pending() == 3, "the next run tries them again"


@pytest.mark.parametrize(
    ("readers", "reply"),
    [
        (30, "550 5.7.1 relaying denied"),  # the first 20 are refused alike: the breaker stops the send
        (5, "550 5.1.1 <{address}>: mailbox unavailable"),  # all of fewer than 20, naming each address
    ],
)
def test_the_same_refusal_for_every_recipient_stops_the_send_and_bounces_nobody(
    send_project: Path, store: Store, readers: int, reply: str
):
    addresses = _subscribe(store, readers)
    faults = Faults(refuse={address: reply.format(address=address) for address in addresses})
    with SmtpTestServer(faults) as server:
        code, out, err = finish(digest(server, "send", send_project))
    assert code == 3, out + err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: the server refused the first ") and "550 5." in last, last
    assert "nobody was marked bounced" in last
    assert count_by_status(store)["bounced"] == 0
    ledger = SendLedger(store, ISSUE)
    assert ledger.failures() == [], "a server problem was recorded as dead addresses"
    assert ledger.count_pending() == readers


def test_a_few_refused_addresses_among_many_are_still_recorded(send_project: Path, store: Store):
    addresses = _subscribe(store, 30)
    bad = {address: f"550 5.1.1 <{address}>: no such user" for address in addresses[:3]}
    with SmtpTestServer(Faults(refuse=bad)) as server:
        code, out, err = finish(digest(server, "send", send_project))
    assert code == 0, out + err
    assert count_by_status(store)["bounced"] == 3
    assert sorted(SendLedger(store, ISSUE).failures()) == sorted(bad.items())

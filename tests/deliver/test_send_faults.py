"""`digest send` against a hostile or broken SMTP server, as real processes, counted on the server.

- The server drops the connection in the middle of DATA, before the final dot: the message was
  not delivered, so it is retried on a new connection (never "uncertain"), and arrives once.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.deliver.ledger import SendLedger, SendState
from digest.store import Store, open_store
from digest.store.subscribers import add_subscriber
from tests.deliver.processes import digest, finish
from tests.smtp_server import Faults, SmtpTestServer

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

"""The sending pool runs every connection on one event loop of its own: from a plain thread, and
from a thread that already runs a loop (a web app's handler), against aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading

from digest.deliver.ledger import NoLedger
from digest.deliver.pool import SendOptions, deliver
from digest.deliver.smtp_target import SmtpTarget
from digest.deliver.splice import Recipient
from digest.deliver.transports import FixedMessage, smtp_transports
from digest.settings import SmtpSettings
from tests.smtp_server import Faults, SmtpTestServer

MESSAGE = FixedMessage(b"Subject: hello\r\n\r\nHello.\r\n")
PEOPLE = [Recipient(email=f"reader{n}@example.com", subscriber_id=n) for n in range(1, 13)]


def _send(server: SmtpTestServer, stop: threading.Event | None = None):
    target = SmtpTarget(SmtpSettings(security="none", timeout=10), "127.0.0.1", server.port)
    return deliver(
        MESSAGE,
        PEOPLE,
        ledger=NoLedger(),
        sender="news@example.com",
        transports=smtp_transports(target),
        options=SendOptions(concurrency=4),
        stop=stop,
    )


def test_four_connections_share_one_thread_and_each_reader_gets_one_copy():
    before = threading.active_count()
    with SmtpTestServer(Faults(pipelining=True)) as server:
        report = _send(server)
    assert report.sent == len(PEOPLE) and not report.error
    assert server.copies == {person.email: 1 for person in PEOPLE}
    assert server.handler.most_sessions >= 1
    assert threading.active_count() <= before, "no thread left behind"


def test_a_send_from_a_coroutine_runs_on_a_loop_of_its_own():
    with SmtpTestServer() as server:

        async def handler():
            return _send(server)

        report = asyncio.run(handler())
    assert report.sent == len(PEOPLE)
    assert server.copies == {person.email: 1 for person in PEOPLE}


def test_a_stop_from_another_thread_ends_the_send_with_the_rest_pending():
    stop = threading.Event()
    stop.set()
    with SmtpTestServer() as server:
        report = _send(server, stop)
    assert report.stopped and report.sent == 0 and not server.copies

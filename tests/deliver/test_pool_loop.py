"""The sending pool runs every connection on one event loop of its own: from a plain thread, and
from a thread that already runs a loop (a web app's handler), against aiosmtpd on 127.0.0.1."""

from __future__ import annotations

import asyncio
import threading
import time

from digest.deliver.ledger import NoLedger
from digest.deliver.pool import SendOptions, deliver
from digest.deliver.smtp_target import SmtpTarget
from digest.deliver.splice import Recipient
from digest.deliver.transports import FixedMessage, smtp_transports
from digest.settings import SmtpSettings
from tests.smtp_server import Faults, SmtpTestServer

MESSAGE = FixedMessage(b"Subject: hello\r\n\r\nHello.\r\n")
PEOPLE = [Recipient(email=f"reader{n}@example.com", subscriber_id=n) for n in range(1, 13)]


def _send(server: SmtpTestServer, stop: threading.Event | None = None, options: SendOptions | None = None):
    target = SmtpTarget(SmtpSettings(security="none", timeout=10), "127.0.0.1", server.port)
    return deliver(
        MESSAGE,
        PEOPLE,
        ledger=NoLedger(),
        sender="news@example.com",
        transports=smtp_transports(target),
        options=options or SendOptions(concurrency=4),
        stop=stop,
    )


def test_four_connections_share_one_thread_and_each_reader_gets_one_copy():
    before = threading.active_count()
    with SmtpTestServer(Faults(pipelining=True)) as server:
        opened = server.handler.sessions_opened  # the test server's own readiness check
        report = _send(server)
    assert report.sent == len(PEOPLE) and not report.error
    assert server.copies == {person.email: 1 for person in PEOPLE}
    assert server.handler.sessions_opened - opened == 4, "each connection opened once"
    assert threading.active_count() <= before, "no thread left behind"


def test_a_send_from_a_coroutine_runs_on_a_loop_of_its_own():
    with SmtpTestServer() as server:

        async def handler():
            return _send(server)

        report = asyncio.run(handler())
    assert report.sent == len(PEOPLE)
    assert server.copies == {person.email: 1 for person in PEOPLE}


def test_a_stop_before_the_start_sends_nothing():
    stop = threading.Event()
    stop.set()
    with SmtpTestServer() as server:
        report = _send(server, stop)
    assert report.stopped and report.sent == 0 and not server.copies


def test_a_stop_from_another_thread_ends_the_send_with_each_copy_once_and_the_rest_pending():
    """Set by another thread (as a signal handler or a lost lease does) once the first copy is in:
    the loop notices it between messages, each message under way ends, nobody gets two."""
    stop = threading.Event()
    with SmtpTestServer() as server:

        def stop_after_the_first_copy() -> None:
            deadline = time.monotonic() + 10
            while not server.copies and time.monotonic() < deadline:
                time.sleep(0.005)
            stop.set()

        stopper = threading.Thread(target=stop_after_the_first_copy)
        stopper.start()
        report = _send(server, stop, SendOptions(concurrency=1, rate=20))  # 12 copies: 0.6 s
        stopper.join()
    assert report.stopped and 1 <= report.sent < len(PEOPLE)
    assert server.copies == {person.email: 1 for person in PEOPLE[: report.sent]}

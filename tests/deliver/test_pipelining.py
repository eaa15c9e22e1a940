"""PIPELINING (RFC 2920) against aiosmtpd on 127.0.0.1: MAIL, RCPT and DATA in one write when the
server offers it, one at a time when it does not, the same bytes on the server either way, and the
exactly-once rules kept (a refused RCPT in a batch, a 421 in the middle of a session). A message's
end goes out with the next message's envelope (a message's content may start a group), so a
connection takes one round trip a message; a transaction opened so and then not used is dropped
with the connection, never ended with a message nobody wrote."""

from __future__ import annotations

import asyncio
import smtplib
from collections.abc import Iterator
from contextlib import closing

import pytest

from digest.deliver.ledger import SendLedger, SendState
from digest.deliver.send import PreparedSend, send_issue
from digest.deliver.smtp import PermanentFailure, SmtpConnection
from digest.deliver.smtp_target import SmtpTarget
from digest.model import SubscriberStatus
from digest.settings import SmtpSettings
from digest.store import Store, find_subscriber, open_store
from digest.store.subscribers import add_subscriber
from tests.conftest import TEST_SECRET
from tests.smtp_server import Faults, SmtpTestServer

ENV = {"DIGEST_SECRET": TEST_SECRET}
PEOPLE = [f"reader{n}@example.com" for n in range(8)]

PAYLOADS = [
    b"Subject: plain\r\n\r\nHello.\r\n",
    b"Subject: dots\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nend\r\n",
    b"Subject: no final line end\r\n\r\nlast line",
    "Subject: 8bit\r\nContent-Transfer-Encoding: 8bit\r\n\r\nCafé ünïcode\r\n".encode(),
    b"Subject: long\r\n\r\n" + b"x" * 990 + b"\r\n" * 3000,
]


@pytest.fixture
def prepared(prepared_send: PreparedSend) -> PreparedSend:
    return prepared_send


@pytest.fixture
def store(prepared: PreparedSend) -> Iterator[Store]:
    with closing(open_store(prepared.delivery.store_path)) as store:
        for address in PEOPLE:
            add_subscriber(store, address, "")
        yield store


async def _yes() -> bool:
    return True


def _target(server: SmtpTestServer) -> SmtpTarget:
    return SmtpTarget(SmtpSettings(security="none", timeout=10), "127.0.0.1", server.port)


def test_the_commands_go_out_in_one_write_when_the_server_offers_pipelining(prepared, store):
    with SmtpTestServer(Faults(pipelining=True)) as server:
        result = send_issue(prepared, store, environ={**ENV, **server.environ()})
    assert result.run.sent == len(PEOPLE)
    assert server.copies == {address: 1 for address in PEOPLE}
    assert server.handler.pipelined == len(PEOPLE)


def test_without_pipelining_each_command_waits_for_its_reply(prepared, store):
    with SmtpTestServer() as server:
        result = send_issue(prepared, store, environ={**ENV, **server.environ()})
    assert result.run.sent == len(PEOPLE)
    assert server.copies == {address: 1 for address in PEOPLE}
    assert server.handler.pipelined == 0


@pytest.mark.parametrize("pipelining", [True, False], ids=["pipelined", "one-by-one"])
def test_the_server_receives_the_bytes_smtplib_sends(pipelining: bool):
    """The reference is smtplib's own sendmail (today's framing): same envelope, same content."""
    with SmtpTestServer(Faults(pipelining=pipelining)) as ours, SmtpTestServer() as reference:
        connection = SmtpConnection(_target(ours))

        async def send_each() -> None:
            for n, payload in enumerate(PAYLOADS):
                await connection.send("from@example.com", f"to{n}@example.com", payload, _yes)
            await connection.close()

        asyncio.run(send_each())
        with smtplib.SMTP("127.0.0.1", reference.port, timeout=10) as client:
            for n, payload in enumerate(PAYLOADS):
                client.sendmail("from@example.com", [f"to{n}@example.com"], payload)
    got = [(r.mail_from, r.rcpt_tos, r.data) for r in ours.received]
    assert got == [(r.mail_from, r.rcpt_tos, r.data) for r in reference.received]
    assert ours.handler.pipelined == (len(PAYLOADS) if pipelining else 0)


def test_a_refused_rcpt_in_a_batch_is_recorded_and_the_session_goes_on(prepared, store):
    refused = PEOPLE[3]
    faults = Faults(pipelining=True, refuse={refused: "550 5.1.1 no such user"})
    with SmtpTestServer(faults) as server:
        result = send_issue(prepared, store, environ={**ENV, **server.environ()})
    assert server.copies == {address: 1 for address in PEOPLE if address != refused}
    assert result.run.failed == [(refused, "550 5.1.1 no such user")]
    assert find_subscriber(store, refused).status is SubscriberStatus.BOUNCED
    assert SendLedger(store, prepared.issue_id).counts()[SendState.SENT] == len(PEOPLE) - 1


def test_a_refused_rcpt_leaves_nothing_open_on_the_connection():
    faults = Faults(pipelining=True, refuse={"bad@example.com": "550 5.1.1 no such user"})
    with SmtpTestServer(faults) as server:
        connection = SmtpConnection(_target(server))
        commits: list[str] = []

        async def commit() -> bool:
            commits.append("bad@example.com")
            return True

        async def refused_then_sent() -> None:
            with pytest.raises(PermanentFailure) as refused:
                await connection.send("from@example.com", "bad@example.com", PAYLOADS[0], commit)
            assert refused.value.bounce
            await connection.send("from@example.com", "good@example.com", PAYLOADS[0], _yes)
            await connection.close()

        asyncio.run(refused_then_sent())
    assert not commits  # refused before the point of no return
    assert server.copies == {"good@example.com": 1}
    assert server.handler.transactions == 2  # the same connection went on: one session


def test_a_421_in_the_middle_of_a_session_is_retried_on_a_new_connection(prepared, store):
    with SmtpTestServer(Faults(pipelining=True, say_421_at_mail={3})) as server:
        result = send_issue(prepared, store, environ={**ENV, **server.environ()})
    assert result.run.sent == len(PEOPLE) and not result.run.failed and not result.uncertain
    assert server.copies == {address: 1 for address in PEOPLE}
    assert SendLedger(store, prepared.issue_id).counts()[SendState.SENT] == len(PEOPLE)


def test_a_messages_end_carries_the_next_envelope():
    with SmtpTestServer(Faults(pipelining=True)) as server:
        connection = SmtpConnection(_target(server))
        to = [f"to{n}@example.com" for n in range(3)]

        async def three() -> None:
            await connection.send(
                "from@example.com", to[0], PAYLOADS[0], _yes, then=("from@example.com", to[1])
            )
            await connection.send(
                "from@example.com", to[1], PAYLOADS[1], _yes, then=("from@example.com", to[2])
            )
            await connection.send("from@example.com", to[2], PAYLOADS[3], _yes)
            await connection.close()

        asyncio.run(three())
    assert [(r.rcpt_tos, r.data) for r in server.received] == [
        ([to[0]], PAYLOADS[0]),
        ([to[1]], b"Subject: dots\r\n\r\n.starts with a dot\r\n..two\r\n.\r\nend\r\n"),
        ([to[2]], PAYLOADS[3]),
    ]
    assert server.handler.envelope_with_dot == 2
    assert server.handler.transactions == 3 and server.handler.most_sessions == 1


def test_an_envelope_sent_ahead_and_not_used_is_dropped_with_its_connection():
    """The server waits in DATA for the message opened ahead: a message for someone else, or the
    end of the send, closes the connection (a QUIT there would be message text)."""
    with SmtpTestServer(Faults(pipelining=True)) as server:
        connection = SmtpConnection(_target(server))

        async def two_each_opening_another() -> None:
            for to, then in (("a@example.com", "b@example.com"), ("c@example.com", "d@example.com")):
                await connection.send(
                    "from@example.com", to, PAYLOADS[0], _yes, then=("from@example.com", then)
                )
            await connection.close()

        asyncio.run(two_each_opening_another())
    assert server.copies == {"a@example.com": 1, "c@example.com": 1}
    assert [r.data for r in server.received] == [PAYLOADS[0], PAYLOADS[0]], "no message made of commands"
    assert server.handler.transactions == 4 and server.handler.sessions == 0


def test_a_send_pipelines_each_messages_end_with_the_next_envelope(prepared, store):
    with SmtpTestServer(Faults(pipelining=True)) as server:
        result = send_issue(prepared, store, environ={**ENV, **server.environ()})
    assert result.run.sent == len(PEOPLE)
    assert server.copies == {address: 1 for address in PEOPLE}
    assert server.handler.envelope_with_dot >= 1


def test_a_4xx_for_a_message_whose_end_carried_the_next_envelope(prepared, store):
    """The deferred message is tried again on a fresh connection; the next one, whose envelope
    came with that message's end, is sent once."""
    deferred = PEOPLE[2]
    with SmtpTestServer(
        Faults(pipelining=True, defer_first={deferred: "451 4.3.0 try again later"})
    ) as server:
        result = send_issue(prepared, store, environ={**ENV, **server.environ()})
    assert result.run.sent == len(PEOPLE) and not result.run.failed and not result.uncertain
    assert server.copies == {address: 1 for address in PEOPLE}
    assert server.handler.deferred[deferred] == 1
    assert SendLedger(store, prepared.issue_id).counts()[SendState.SENT] == len(PEOPLE)

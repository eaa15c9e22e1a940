"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the delivery tests, with faults on request.

It keeps every message it accepted, counts copies per recipient, and can misbehave the ways
real servers do: refuse an address (5xx), defer a message (4xx), drop the connection before a
message is complete (at MAIL FROM, or in the middle of DATA, before the final dot), or take a
message and drop the connection without answering.
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

from tests.ports import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool = False
    """The message came over an encrypted connection (STARTTLS or implicit TLS)."""
    login: str | None = None
    """Who logged in (AUTH) on that connection, if anyone."""

    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.data, policy=policy.default)


@dataclass
class Faults:
    refuse: dict[str, str] = field(default_factory=dict)
    """RCPT reply per address, e.g. {"x@example.com": "550 5.1.1 no such user"}."""
    refuse_every_rcpt: str = ""
    """RCPT reply for every address, e.g. "451 4.7.1 try later" or "550 5.7.1 relaying denied"."""
    defer_first: dict[str, str] = field(default_factory=dict)
    """DATA reply for the first try of a recipient's message, e.g. "451 4.3.0 try again later"."""
    drop_at_mail: set[int] = field(default_factory=set)
    """Close the connection at MAIL FROM of these transactions (1-based): nothing delivered."""
    stall_first_rcpt: dict[str, float] = field(default_factory=dict)
    """Seconds to sit silent on the first RCPT TO of these addresses (a client timeout)."""
    refuse_sender: str = ""
    """MAIL FROM reply for every transaction, e.g. "550 5.7.1 sender not allowed"."""
    vanish_after_data: set[str] = field(default_factory=set)
    """Accept these recipients' messages, then drop the connection without a reply."""
    drop_in_data: set[int] = field(default_factory=set)
    """Drop the connection in the middle of these DATA commands (1-based, counted over all
    connections): answer 354 and close, reading nothing more. Whatever of the message arrives,
    final dot included, is never read (the client's system gets a reset): nothing is delivered."""
    pipelining: bool = False
    """Offer PIPELINING (RFC 2920) in the EHLO reply; aiosmtpd reads a pipelined batch line by line."""
    say_421_at_mail: set[int] = field(default_factory=set)
    """Answer MAIL FROM of these transactions (1-based) with 421 and close: the server is going away."""
    slow_down_domain: dict[str, int] = field(default_factory=dict)
    """Answer this many of a domain's first RCPTs with "421 4.7.0 … slow down" and close (a rate limit)."""
    drop_in_data_at_once: bool = False
    """And shut the connection together with the 354, before any of the message arrives (the
    client sees end of file first)."""


class RecordingHandler:
    def __init__(self, faults: Faults, *, keep_messages: bool = True) -> None:
        self.faults = faults
        self.keep_messages = keep_messages
        self.dates: Counter[bytes] = Counter()
        """Without keep_messages: each message's Date header line, counted (a big send's
        messages are not kept, but whether they are the same bytes still shows)."""
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.copies: Counter[str] = Counter()
        self.transactions = 0
        self.deferred: Counter[str] = Counter()
        self.data_commands = 0
        self.dropped_in_data = 0
        self.pipelined = 0
        """Transactions whose RCPT TO had arrived with the MAIL FROM (the client pipelined them)."""
        self.envelope_with_dot = 0
        """Messages whose end came with the next transaction's MAIL FROM (the client pipelined it)."""
        self.arrivals: list[tuple[float, str]] = []
        """(time.monotonic(), recipient) of every message accepted."""
        self.slowed_down: list[float] = []
        """time.monotonic() of every "slow down" said (Faults.slow_down_domain)."""
        self.sessions = 0
        self.most_sessions = 0
        """The most connections open at once."""
        self.sessions_opened = 0
        """Every connection ever opened."""

    def take_drop_in_data(self) -> bool:
        """Count a DATA command; whether to drop it (see `Faults.drop_in_data`)."""
        with self.lock:
            self.data_commands += 1
            drop = self.data_commands in self.faults.drop_in_data
            self.dropped_in_data += drop
            return drop

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if self.faults.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.transactions += 1
            number = self.transactions
            self.pipelined += b"RCPT TO" in bytes(server._reader._buffer).upper()  # read, not yet handled
        if self.faults.refuse_sender:
            return self.faults.refuse_sender
        if number in self.faults.say_421_at_mail:
            await server.push("421 4.3.2 shutting down for maintenance")
            server.transport.close()
            return "421 4.3.2 closing"
        if number in self.faults.drop_at_mail:
            server.transport.close()
            return "421 4.4.2 closing the connection"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        domain = address.rpartition("@")[2]
        with self.lock:
            slow = self.faults.slow_down_domain.get(domain, 0) > 0
            if slow:
                self.faults.slow_down_domain[domain] -= 1
                self.slowed_down.append(time.monotonic())
        if slow:
            await server.push("421 4.7.0 too many messages from your IP, slow down")
            server.transport.close()
            return "421 4.7.0 closing"
        if address in self.faults.stall_first_rcpt:
            await asyncio.sleep(self.faults.stall_first_rcpt.pop(address))
        if address in self.faults.refuse:
            return self.faults.refuse[address]
        if self.faults.refuse_every_rcpt:
            return self.faults.refuse_every_rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        recipients = list(envelope.rcpt_tos)
        with self.lock:
            self.envelope_with_dot += (
                b"MAIL FROM" in bytes(server._reader._buffer).upper()
            )  # read, not handled
            for rcpt in recipients:
                if rcpt in self.faults.defer_first and not self.deferred[rcpt]:
                    self.deferred[rcpt] += 1
                    return self.faults.defer_first[rcpt]
            login = session.auth_data.login.decode() if session.authenticated and session.auth_data else None
            tls = session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None
            if self.keep_messages:
                self.received.append(
                    Received(envelope.mail_from, recipients, envelope.original_content, tls, login)
                )
            else:
                self.dates[_date_line(envelope.original_content)] += 1
            self.copies.update(recipients)
            self.arrivals.extend((time.monotonic(), rcpt) for rcpt in recipients)
        if any(rcpt in self.faults.vanish_after_data for rcpt in recipients):
            server.transport.abort()
            return "250 OK (never seen by the client)"
        return "250 2.0.0 Message accepted"


def _date_line(message: bytes) -> bytes:
    start = message.find(b"\r\nDate: ") + 2
    return message[start : message.find(b"\r\n", start)] if start > 1 else b""


class FaultySmtp(SMTP):
    """aiosmtpd's session, with the faults that happen inside DATA (where no handler hook runs),
    counting the connections open at once."""

    def connection_made(self, transport) -> None:
        handler: RecordingHandler = self.event_handler
        with handler.lock:
            handler.sessions += 1
            handler.sessions_opened += 1
            handler.most_sessions = max(handler.most_sessions, handler.sessions)
        super().connection_made(transport)

    def connection_lost(self, error) -> None:
        handler: RecordingHandler = self.event_handler
        with handler.lock:
            handler.sessions -= 1
        super().connection_lost(error)

    async def smtp_DATA(self, arg: str) -> None:
        handler: RecordingHandler = self.event_handler
        if self.envelope is None or not self.envelope.rcpt_tos or not handler.take_drop_in_data():
            return await super().smtp_DATA(arg)
        assert self.transport is not None
        self.transport.write(b"354 End data with <CR><LF>.<CR><LF>\r\n")
        if handler.faults.drop_in_data_at_once:
            self.transport.get_extra_info("socket").shutdown(socket.SHUT_RDWR)
        self.transport.close()  # reads nothing more: what arrives stays unread


class FaultyController(Controller):
    def factory(self) -> SMTP:
        return FaultySmtp(self.handler, **self.SMTP_kwargs)


class SmtpTestServer:
    def __init__(
        self, faults: Faults | None = None, *, keep_messages: bool = True, **controller_options
    ) -> None:
        """`controller_options` go to aiosmtpd: tls_context, ssl_context, authenticator, ...
        keep_messages=False: only copies and Date lines are counted (a send of thousands)."""
        self.faults = faults or Faults()
        self.handler = RecordingHandler(self.faults, keep_messages=keep_messages)
        self.port = free_port()
        self.controller = FaultyController(
            self.handler, hostname="127.0.0.1", port=self.port, ready_timeout=10, **controller_options
        )

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    @property
    def copies(self) -> Counter[str]:
        with self.handler.lock:
            return Counter(self.handler.copies)

    def environ(self, **extra: str) -> dict[str, str]:
        return {"DIGEST_SMTP_HOST": "127.0.0.1", "DIGEST_SMTP_PORT": str(self.port), **extra}

    def __enter__(self) -> SmtpTestServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()

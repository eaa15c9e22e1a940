"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the delivery tests, with faults on request.

It keeps every message it accepted, counts copies per recipient, and can misbehave the ways
real servers do: refuse an address (5xx), defer a message (4xx), drop the connection before a
message is complete, or take a message and drop the connection without answering.
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from collections import Counter
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


class RecordingHandler:
    def __init__(self, faults: Faults) -> None:
        self.faults = faults
        self.lock = threading.Lock()
        self.received: list[Received] = []
        self.copies: Counter[str] = Counter()
        self.transactions = 0
        self.deferred: Counter[str] = Counter()

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        with self.lock:
            self.transactions += 1
            number = self.transactions
        if self.faults.refuse_sender:
            return self.faults.refuse_sender
        if number in self.faults.drop_at_mail:
            server.transport.close()
            return "421 4.4.2 closing the connection"
        envelope.mail_from = address
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.faults.stall_first_rcpt:
            await asyncio.sleep(self.faults.stall_first_rcpt.pop(address))
        if address in self.faults.refuse:
            return self.faults.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        recipients = list(envelope.rcpt_tos)
        with self.lock:
            for rcpt in recipients:
                if rcpt in self.faults.defer_first and not self.deferred[rcpt]:
                    self.deferred[rcpt] += 1
                    return self.faults.defer_first[rcpt]
            login = session.auth_data.login.decode() if session.authenticated and session.auth_data else None
            tls = session.ssl is not None or server.transport.get_extra_info("sslcontext") is not None
            self.received.append(
                Received(envelope.mail_from, recipients, envelope.original_content, tls, login)
            )
            self.copies.update(recipients)
        if any(rcpt in self.faults.vanish_after_data for rcpt in recipients):
            server.transport.abort()
            return "250 OK (never seen by the client)"
        return "250 2.0.0 Message accepted"


class SmtpTestServer:
    def __init__(self, faults: Faults | None = None, **controller_options) -> None:
        """`controller_options` go to aiosmtpd: tls_context, ssl_context, authenticator, ..."""
        self.faults = faults or Faults()
        self.handler = RecordingHandler(self.faults)
        self.port = free_port()
        self.controller = Controller(
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

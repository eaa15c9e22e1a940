"""What the sending pool sends and through what: the bytes each recipient gets (an issue's template,
or one fixed message), and the transports that carry them (SMTP connections, or .eml files)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from digest.deliver.smtp import Declined, Reach, SmtpConnection
from digest.deliver.smtp_target import SmtpTarget
from digest.deliver.splice import Recipient
from digest.deliver.wire import Envelope


class MessageSource(Protocol):
    """The bytes each recipient gets: an issue's MessageTemplate, or one FixedMessage for all."""

    def personalise(self, recipient: Recipient) -> bytes: ...


@dataclass(frozen=True)
class FixedMessage:
    """A message every recipient gets byte for byte (a notice to the editors)."""

    data: bytes

    def personalise(self, recipient: Recipient) -> bytes:
        return self.data


class Transport(Protocol):
    """A connection that delivers finished messages: SMTP, or a folder of .eml files. Its
    coroutines run on the sending pool's event loop (pool.py)."""

    async def send(
        self,
        sender: str,
        recipient: str,
        data: bytes,
        commit: Callable[[], Awaitable[bool]],
        then: Envelope | None = None,
    ) -> str:
        """`then`: the next message's envelope, which an SMTP connection may send with this one's end."""
        ...

    async def close(self) -> None: ...
    def abandon(self) -> None: ...


class EmlFolder:
    """A transport that writes each message to DIR/NNNNNN-address.eml (dry runs)."""

    def __init__(self, folder: Path, counter: Callable[[], int]) -> None:
        self.folder = folder
        self.counter = counter

    async def send(
        self,
        sender: str,
        recipient: str,
        data: bytes,
        commit: Callable[[], Awaitable[bool]],
        then: Envelope | None = None,
    ) -> str:
        if not await commit():
            raise Declined()
        safe = "".join(c if c.isalnum() or c in "@.-_+" else "_" for c in recipient)
        (self.folder / f"{self.counter():06d}-{safe}.eml").write_bytes(data)
        return "written"

    async def close(self) -> None:
        return None

    def abandon(self) -> None:
        return None


class KeptConnections:
    """SMTP connections kept open from one batch of a worker's send to the next: a batch ends with
    each connection handed back here instead of closed, and the next batch takes them again (no
    new connection, greeting, TLS handshake and login per batch). `close` ends them all."""

    def __init__(self, target: SmtpTarget) -> None:
        self.target = target
        self._reach = Reach()
        self._idle: list[SmtpConnection] = []

    def take(self) -> Transport:
        """A kept connection if one is idle, else a new one; kept again when its batch ends."""
        connection = self._idle.pop() if self._idle else SmtpConnection(self.target, reach=self._reach)
        return _Kept(connection, self._idle)

    def __bool__(self) -> bool:
        """Whether any connection is kept."""
        return bool(self._idle)

    async def close(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            await connection.close()


class _Kept:
    """A connection lent to one batch; its `close` hands it back, open, when nothing is left
    half-way on it (an envelope sent ahead: then it is dropped, as SmtpConnection.close does)."""

    def __init__(self, connection: SmtpConnection, idle: list[SmtpConnection]) -> None:
        self.connection = connection
        self.idle = idle

    async def send(
        self,
        sender: str,
        recipient: str,
        data: bytes,
        commit: Callable[[], Awaitable[bool]],
        then: Envelope | None = None,
    ) -> str:
        return await self.connection.send(sender, recipient, data, commit, then)

    async def close(self) -> None:
        if self.connection.reusable:
            self.idle.append(self.connection)
        else:
            await self.connection.close()

    def abandon(self) -> None:
        self.connection.abandon()


def smtp_transports(target: SmtpTarget) -> Callable[[], Transport]:
    """Connections to `target` that know whether any of them reached it (see smtp.Reach)."""
    reach = Reach()
    return lambda: SmtpConnection(target, reach=reach)

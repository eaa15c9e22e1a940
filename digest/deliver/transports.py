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


def smtp_transports(target: SmtpTarget) -> Callable[[], Transport]:
    """Connections to `target` that know whether any of them reached it (see smtp.Reach)."""
    reach = Reach()
    return lambda: SmtpConnection(target, reach=reach)

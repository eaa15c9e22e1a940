"""What the TCP connection itself says around the final dot of DATA, where SMTP says nothing.

A message's body written into a connection the server has already dropped raises nothing: it
lands in the socket's buffer. And a connection that ends after the final dot, with no reply,
could mean the server has the message or not. The connection's own signals tell these apart:

- before the dot, anything readable is the server's goodbye (end of file, a reset, a 421): the
  server cannot take the message, so it is retried (`goodbye`);
- after the dot, a *reset* means the server's system discarded data the server never read (it
  closed with our data unread, or our data arrived after it closed), the final dot included:
  not delivered, retried. A normal end of file with no reset following it, or no answer at all,
  is a server that may have read the dot: uncertain (`after_the_dot`).

The one server this would mistake: one that reads the whole message, then drops the connection
with an abortive close (SO_LINGER 0) instead of answering. No mail server answers a message so.
"""

from __future__ import annotations

import asyncio
import errno
import select
import socket
import ssl
import time
from enum import Enum

from digest.deliver.loop_socket import LoopSocket

RESET_GRACE = 0.25
"""Seconds to listen, after an end of file that follows the dot, for the reset our dot causes when
it reaches a connection the server had already closed (one round trip, with room to spare)."""


class AfterDot(Enum):
    REPLY = "reply"
    """The server is answering: read the reply."""
    RESET = "reset"
    """The server never read the end of the message: not delivered."""
    CLOSED = "closed"
    """Closed without a reply after the server may have read the dot: uncertain."""
    SILENT = "silent"
    """No reply and no end within the timeout: uncertain."""


def goodbye(sock: socket.socket) -> str:
    """What the server said or did in the middle of DATA, "" when nothing: it has no business
    saying anything there, so anything readable ends the connection. One poll, no wait."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
    if not pending and not poller.poll(0):
        return ""
    timeout = sock.gettimeout()
    sock.settimeout(0)
    try:
        data = sock.recv(1)
    except (ssl.SSLWantReadError, BlockingIOError):
        return ""  # TLS housekeeping (a session ticket), nothing from the server for us
    except OSError as e:
        return str(e) or type(e).__name__
    finally:
        sock.settimeout(timeout)
    return "the server said something before the end of the message" if data else "the server closed it"


async def after_the_dot(replies: ReplyReader, timeout: float) -> AfterDot:
    """Wait for the server's answer to the final dot and say how the connection went on."""
    if replies.buffered:
        return AfterDot.REPLY
    try:
        arrived = await replies.fill(timeout)
    except TimeoutError:
        return AfterDot.SILENT
    except ConnectionResetError:
        return AfterDot.RESET
    except OSError:
        return AfterDot.CLOSED
    if arrived:
        return AfterDot.REPLY
    return AfterDot.RESET if await _reset_follows(replies.io.sock) else AfterDot.CLOSED


async def _reset_follows(sock: socket.socket) -> bool:
    """After an end of file: whether a reset arrives too (the server closed before our dot came)."""
    poller = select.poll()
    poller.register(sock, select.POLLERR)  # also reports POLLHUP: the connection is fully gone
    deadline = time.monotonic() + RESET_GRACE
    while not poller.poll(0) and time.monotonic() < deadline:
        await asyncio.sleep(0.005)  # the loop's other connections go on meanwhile
    return sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) in (errno.ECONNRESET, errno.EPIPE)


def was_reset(error: BaseException) -> bool:
    """Whether a failed read was a reset (smtplib wraps the OSError it met)."""
    return isinstance(error, ConnectionResetError) or isinstance(error.__context__, ConnectionResetError)


MAX_REPLY = 65536
"""Bytes a reply may take before the server is deemed broken (RFC 5321 says 512 a line)."""


class ServerClosed(ConnectionError):
    """The server ended the connection where a reply was due (an end of file, not a reset)."""


class ReplyReader:
    """The server's replies, read from the socket through one buffer: a single read takes every
    reply that has arrived (a pipelined batch's three, or a 421 that followed a 354), and what it
    holds beyond the reply asked for is known, so `goodbye` and `after_the_dot` can count it."""

    def __init__(self, io: LoopSocket) -> None:
        self.io = io
        self.buffer = bytearray()

    @property
    def buffered(self) -> bool:
        return bool(self.buffer)

    async def fill(self, timeout: float | None = None) -> int:
        """Read what has arrived into the buffer, waiting for some; how many bytes (0: closed)."""
        chunk = await self.io.recv(MAX_REPLY, timeout)
        self.buffer += chunk
        return len(chunk)

    async def reply(self) -> tuple[int, bytes]:
        """The next reply: its code (-1 when unreadable, as smtplib says) and its text, lines joined."""
        while (found := self._complete()) is None:
            if len(self.buffer) > MAX_REPLY:
                raise ServerClosed(f"a reply longer than {MAX_REPLY} bytes")
            if not await self.fill():
                raise ServerClosed("the server closed the connection")
        return found

    def _complete(self) -> tuple[int, bytes] | None:
        """The first reply in the buffer, taken out of it; None while its last line has not come."""
        buffer, start, lines = self.buffer, 0, []
        while (end := buffer.find(b"\n", start)) >= 0:
            line = bytes(buffer[start : end + 1])
            lines.append(line[4:].rstrip(b"\r\n"))
            start = end + 1
            if line[3:4] != b"-":
                del buffer[:start]
                text = b"\n".join(lines)
                return (int(line[:3]), text) if line[:3].isdigit() else (-1, text)
        return None


Envelope = tuple[str, str]
"""A transaction's sender and recipient (MAIL FROM, RCPT TO)."""


def envelope_commands(sender: str, recipient: str) -> bytes:
    """MAIL, RCPT and DATA, as one pipelined group sends them (RFC 2920: DATA ends a group)."""
    return f"MAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode("ascii")


def accepted(replies: list[tuple[int, bytes]]) -> bool:
    """Every reply so far to MAIL, RCPT and DATA says go on: 2xx, and 354 for DATA."""
    return all(200 <= code < 300 or (n == 2 and code == 354) for n, (code, _) in enumerate(replies))


def reply_text(code: int, message: bytes | str) -> str:
    """A reply as one line for people: its code and its text, whitespace folded."""
    text = message.decode("utf-8", "replace") if isinstance(message, bytes) else message
    return f"{code} {' '.join(text.split())}".strip()


def is_bad_address(code: int, message: bytes) -> bool:
    """RFC 3463 5.1.x: a bad destination mailbox, system or syntax. Policy refusals (5.7.x) are not."""
    text = message.decode("utf-8", "replace").strip()
    return code in (550, 551, 553) and text.startswith("5.1.")

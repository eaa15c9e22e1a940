"""One SMTP connection that sends pre-built bytes and says exactly how each try ended.

The one thing smtplib does not give us is a hook at the point of no return: the moment just
before the final "." of DATA. Before it, a dropped connection means the server discarded the
message and a retry is safe; after it, the server may have accepted the message, so a missing
reply is *uncertain*. `send` calls `commit()` right before it writes the message and that dot
(one write) — where the send log marks the message in flight — and sorts every outcome into the
exceptions below. smtplib opens the session (TLS, STARTTLS, AUTH) in a helper thread; the
transactions are written here, as coroutines on the sending pool's event loop (loop_socket.py):
MAIL, RCPT and DATA in one write when the server offers PIPELINING, the replies read through one
buffer.

Around the dot, the connection itself says what SMTP does not (digest/deliver/wire.py): before
it, a server that has dropped the connection (a body written into it raises nothing) is noticed
and the message retried on a new connection; after it, a reset says the server never read the
end of the message (retried too). Only a dot the server may have read, then no reply, is uncertain.
"""

from __future__ import annotations

import asyncio
import smtplib
import socket
import ssl
import threading
from collections.abc import Awaitable, Callable

from digest.deliver.loop_socket import LoopSocket
from digest.deliver.smtp_target import SmtpTarget, tls_context
from digest.deliver.stuffing import dot_stuffed
from digest.deliver.wire import (
    AfterDot,
    Envelope,
    ReplyReader,
    accepted,
    after_the_dot,
    envelope_commands,
    goodbye,
    is_bad_address,
    reply_text,
    was_reset,
)
from digest.errors import SMTP_UNUSABLE_EXIT, DigestError


class SmtpError(DigestError):
    """The SMTP server cannot be used at all: unreachable, no TLS, login refused."""

    exit_code = SMTP_UNUSABLE_EXIT


class ServerUnreachable(SmtpError):
    """Nothing answers at the server's address (connection refused, a name that does not resolve,
    no answer in time) and no connection of this send ever reached it."""


class TemporaryFailure(Exception):
    """4xx, or the connection went away before the point of no return: safe to try again."""


class ConnectFailure(TemporaryFailure):
    """The server could not be reached or would not start a session (yet)."""


class Reach:
    """Whether any connection of one send has reached the server. Until one has, a server that
    cannot be reached (connection refused, a name that does not resolve, no answer) is unusable:
    SmtpError at once, not a minute of retries. After, it is a temporary failure (a restart)."""

    def __init__(self) -> None:
        self._reached = threading.Event()

    @property
    def reached(self) -> bool:
        return self._reached.is_set()

    def mark(self) -> None:
        self._reached.set()


class PermanentFailure(Exception):
    """5xx: the server will not take this message for this recipient."""

    def __init__(self, reply: str, *, bounce: bool = False) -> None:
        super().__init__(reply)
        self.reply = reply
        self.bounce = bounce
        """The address itself is bad (RCPT refused with 5.1.x): the subscriber has bounced."""


class Uncertain(Exception):
    """The final dot went out but no reply came back: the server may or may not have the message."""


class Declined(Exception):
    """`commit()` said no (another process claimed the recipient); the transaction was abandoned."""


class SmtpConnection:
    """One connection, reused for message after message, on one event loop (one per pool task)."""

    def __init__(
        self, target: SmtpTarget, *, local_hostname: str | None = None, reach: Reach | None = None
    ) -> None:
        self.target = target
        self.local_hostname = local_hostname
        self.reach = reach or Reach()
        """Shared by the connections of one send (see `Reach`)."""
        self.client: smtplib.SMTP | None = None
        self._replies: ReplyReader | None = None
        self.pipelining = False
        """The server offers PIPELINING (RFC 2920): a message's commands go out in one write."""
        self.opened: Envelope | None = None
        """The transaction whose MAIL, RCPT and DATA went out after the last message's dot, in the
        same write (a message's content may start a group, RFC 2920 3.1), replies not read yet."""

    async def _session(self) -> None:
        """Open the connection first when there is none (not yet, or dropped after a failure)."""
        if self._replies is not None:
            return
        # smtplib blocks while it connects and logs in: in a helper thread, so the loop's other
        # connections go on sending meanwhile. From then on the conversation is ours, on the loop.
        client = await asyncio.to_thread(self.open)
        assert client.sock is not None  # open() connected it
        self.client = client
        self._replies = ReplyReader(LoopSocket(client.sock, self.target.settings.timeout))

    def open(self) -> smtplib.SMTP:
        """Connect, say EHLO, start TLS, log in. TemporaryFailure for what may pass, SmtpError otherwise."""
        target, settings = self.target, self.target.settings
        client: smtplib.SMTP | None = None
        try:
            client = self._connect()
            client.ehlo()
            if settings.security == "starttls":
                if not client.has_extn("starttls"):
                    client.close()
                    raise SmtpError(
                        f'{target.where} does not offer STARTTLS; set [smtp] security = "tls" or "none"'
                    )
                client.starttls(context=tls_context())
                client.ehlo()
            if settings.username:
                client.login(settings.username, target.password or "")
            # The final "." goes out as its own small write; without NODELAY, Nagle's algorithm
            # would hold it back until the server acknowledged the body.
            assert client.sock is not None  # connected: ehlo() above went through it
            client.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.pipelining = client.has_extn("pipelining")
        except smtplib.SMTPAuthenticationError as e:
            refused = reply_text(e.smtp_code, e.smtp_error)
            raise SmtpError(f"{target.where} refused the login for [smtp] username: {refused}") from None
        except smtplib.SMTPNotSupportedError as e:
            raise SmtpError(f"{target.where}: {e}") from None
        except ssl.SSLError as e:
            raise SmtpError(f"TLS with {target.where} failed: {e.reason or e}") from None
        except smtplib.SMTPResponseException as e:
            if 400 <= e.smtp_code < 500:
                raise ConnectFailure(f"{target.where}: {reply_text(e.smtp_code, e.smtp_error)}") from None
            raise SmtpError(
                f"{target.where} refused the session: {reply_text(e.smtp_code, e.smtp_error)}"
            ) from None
        except (OSError, smtplib.SMTPException) as e:
            reason = f"cannot reach {target.where}: {e}"
            # No connection at all (refused, no route, a name that does not resolve, no answer),
            # and none of this send's connections ever had one: the server cannot be used.
            unreachable = client is None and not isinstance(e, smtplib.SMTPException)
            if unreachable and not self.reach.reached:
                raise ServerUnreachable(reason) from None
            raise ConnectFailure(reason) from None
        self.reach.mark()
        return client

    def _connect(self) -> smtplib.SMTP:
        """The TCP connection and the server's greeting (and, for "tls", the handshake)."""
        target, settings = self.target, self.target.settings
        if settings.security == "tls":
            return smtplib.SMTP_SSL(
                target.host,
                target.port,
                timeout=settings.timeout,
                local_hostname=self.local_hostname,
                context=tls_context(),
            )
        return smtplib.SMTP(
            target.host, target.port, timeout=settings.timeout, local_hostname=self.local_hostname
        )

    async def close(self) -> None:
        if self.client is None:
            return
        if self.opened is not None:  # the server waits in DATA: a QUIT would be message text
            self.abandon()
            return
        try:
            await self._write(b"QUIT\r\n")
            await self._reply()
        except OSError:
            pass  # gone already: closing is all that is left
        self.abandon()

    def abandon(self) -> None:
        """Drop the connection without QUIT: the server discards a half-sent message."""
        self.opened = None
        if self._replies is not None:
            self._replies.io.unwatch()
            self._replies = None
        if self.client is not None:
            self.client.close()
            self.client = None

    async def _reply(self) -> tuple[int, bytes]:
        assert self._replies is not None  # _session() made it
        return await self._replies.reply()

    @property
    def _buffered(self) -> bool:
        """Replies have arrived that nobody has read yet."""
        return self._replies is not None and self._replies.buffered

    async def _write(self, data: bytes) -> None:
        assert self._replies is not None  # _session() opened it
        await self._replies.io.sendall(data)

    async def _reset(self) -> None:
        if self.client is None:
            return  # already dropped: nothing to reset
        try:
            await self._write(b"RSET\r\n")
            await self._reply()
        except OSError:
            self.abandon()

    async def _transaction(self, sender: str, recipient: str) -> None:
        """MAIL, RCPT and DATA up to the server's 354: in one write when it offers PIPELINING
        (RFC 2920), its three replies read after; else each command waits for its reply."""
        opened, self.opened = self.opened, None
        if opened is not None and opened != (sender, recipient):
            # Opened for a message that went elsewhere (parked, retried): the server waits in
            # DATA, and only closing ends that without a message. Rare: a reconnect.
            self.abandon()
            await self._session()
            opened = None
        encoded = envelope_commands(sender, recipient).splitlines(keepends=True)
        replies: list[tuple[int, bytes]] = []
        try:
            if self.pipelining and opened is None:
                await self._write(b"".join(encoded))
            for command in encoded:
                if not self.pipelining:
                    await self._write(command)
                replies.append(await self._reply())
                if not self.pipelining and not accepted(replies):
                    break
        except OSError as e:
            if accepted(replies):  # else a refusal, then the end (a 421 and its close): say the refusal
                self.abandon()
                raise TemporaryFailure(f"connection lost: {e}") from None
        if accepted(replies) and len(replies) == 3:
            return
        await self._refused(replies, sender)

    async def _refused(self, replies: list[tuple[int, bytes]], sender: str) -> None:
        """The first refusal among the replies, as the exception that says what it means."""
        step = next(n for n, (code, _) in enumerate(replies) if not accepted(replies[: n + 1]))
        code, message = replies[step]
        reply = reply_text(code, message)
        if code == 421 or (len(replies) == 3 and replies[2][0] == 354):
            self.abandon()  # closing (421), or a DATA left open by an earlier refusal: end it unsent
        else:
            await self._reset()
        if 400 <= code < 500 or code == -1:
            raise TemporaryFailure(reply)
        if step == 0:
            # Not about this recipient: every message would be refused. Stop, record nobody.
            raise SmtpError(f"{self.target.where} refused the sender {sender}: {reply}")
        raise PermanentFailure(reply, bounce=step == 1 and is_bad_address(code, message))

    async def send(
        self,
        sender: str,
        recipient: str,
        data: bytes,
        commit: Callable[[], Awaitable[bool]],
        then: Envelope | None = None,
    ) -> str:
        """Send one message; returns the server's acceptance reply.

        `data` is the message with CRLF line ends. `commit` runs before the message is written,
        so before its final dot; when it returns False the transaction is abandoned (Declined) and
        nothing is delivered. The message and its dot go out in one write, with the envelope of
        `then` (the next message on this connection) when the server pipelines: the next send
        to `then` only reads its replies, one round trip a message instead of two.
        """
        await self._session()
        await self._transaction(sender, recipient)
        # Dot-stuffing (RFC 5321 4.5.2); the message never starts with "." (it starts with a header).
        body = dot_stuffed(data)
        dot = b".\r\n" if body.endswith(b"\r\n") else b"\r\n.\r\n"
        following = envelope_commands(*then) if then is not None and self.pipelining else b""
        self._check_still_there()
        if not await commit():
            self.abandon()
            raise Declined()
        self._check_still_there()  # again, as near the dot as can be: the commit took a moment
        try:
            await self._write(b"".join((body, dot, following)))
        except OSError as e:
            # A write that failed did not finish, so the dot at its end never left.
            self.abandon()
            raise TemporaryFailure(f"connection lost before the end of the message: {e}") from None
        self.opened = then if following else None
        # The point of no return: the final dot is written.
        await self._await_reply()
        try:
            code, message = await self._reply()
        except OSError as e:
            self.abandon()
            if was_reset(e):
                raise TemporaryFailure(f"connection reset before the server read the message: {e}") from None
            raise Uncertain(f"no reply after the message was sent: {e}") from None
        reply = reply_text(code, message)
        if 200 <= code < 300:
            return reply
        if 400 <= code < 500:
            raise TemporaryFailure(reply)
        if code == -1:
            self.abandon()
            raise Uncertain(f"unreadable reply after the message was sent: {reply}")
        raise PermanentFailure(reply)

    async def _await_reply(self) -> None:
        """Until the server answers the dot; when the connection ends instead, how (see wire.py)."""
        assert self._replies is not None  # the dot just went through it
        timeout = self.target.settings.timeout
        verdict = await after_the_dot(self._replies, timeout)
        if verdict is AfterDot.REPLY:
            return
        self.abandon()
        if verdict is AfterDot.RESET:
            raise TemporaryFailure("connection reset: the server never read the end of the message")
        if verdict is AfterDot.SILENT:
            raise Uncertain(f"no reply within {timeout:g} s after the message was sent")
        raise Uncertain("the server closed the connection without a reply after the message was sent")

    def _check_still_there(self) -> None:
        """TemporaryFailure when the server has closed the connection in the middle of DATA."""
        client = self.client
        if self._buffered:
            gone = "the server said something before the end of the message"
        else:
            gone = goodbye(client.sock) if client is not None and client.sock is not None else "not connected"
        if gone:
            self.abandon()
            raise TemporaryFailure(f"connection lost before the end of the message: {gone}")

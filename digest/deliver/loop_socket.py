"""A connected socket, plain or TLS, read and written from the running asyncio event loop.

The sending pool runs all of a process's SMTP connections on one event loop (pool.py): one
thread, no lock handed over at every reply. smtplib opens each session (connect, TLS, STARTTLS,
AUTH) in a helper thread; the socket it leaves is then driven here, without blocking: a read or a
write is tried at once, and only when the socket is not ready does it wait, for readiness
reported by the loop. asyncio's own `loop.sock_recv` refuses TLS sockets; this one takes both
(a TLS socket may also want the other direction: a read that needs a write, and back).
"""

from __future__ import annotations

import asyncio
import socket
import ssl


class LoopSocket:
    """One connected socket in non-blocking mode, for the running event loop's coroutines."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        sock.setblocking(False)
        self.sock = sock
        self.timeout = timeout
        """Seconds a read or a write may wait for the socket before TimeoutError."""
        self._fd = sock.fileno()
        self._watched_by: asyncio.AbstractEventLoop | None = None
        """The loop that watches the socket for reading, between reads too (see `_readable`)."""
        self._waiter: asyncio.Future[None] | None = None

    async def recv(self, size: int, timeout: float | None = None) -> bytes:
        """What has arrived, up to `size` bytes, waiting for some (b"": the server closed it)."""
        while True:
            try:
                return self.sock.recv(size)
            except (BlockingIOError, ssl.SSLWantReadError):
                await self._readable(timeout)
            except ssl.SSLWantWriteError:
                await self._writable(timeout)

    async def sendall(self, data: bytes) -> None:
        """Write all of `data`; an OSError when the connection fails on the way."""
        view = memoryview(data)
        while view:
            try:
                sent = self.sock.send(view)
            except (BlockingIOError, ssl.SSLWantWriteError):
                await self._writable()
                continue
            except ssl.SSLWantReadError:
                await self._readable()
                continue
            view = view[sent:]

    async def _readable(self, timeout: float | None = None) -> None:
        """Until the socket has something to read. The loop watches the socket from the first
        wait on until it is closed (one registration, not one a read: a reply is waited for once
        or twice a message); a readiness nobody waits for ends the watch until the next wait, so
        data left unread never makes the loop spin."""
        loop = asyncio.get_running_loop()
        if self._watched_by is not loop:
            loop.add_reader(self._fd, self._on_readable)
            self._watched_by = loop
        waiter = self._waiter = loop.create_future()
        timer = loop.call_later(self.timeout if timeout is None else timeout, _expire, waiter)
        try:
            await waiter
        finally:
            self._waiter = None
            timer.cancel()

    def _on_readable(self) -> None:
        waiter = self._waiter
        if waiter is None:
            self.unwatch()  # nobody waits (and nobody is about to read): watch again on the next wait
        elif not waiter.done():
            waiter.set_result(None)

    def unwatch(self) -> None:
        """Stop watching the socket (before it is closed: a closed descriptor's number is reused)."""
        loop, self._watched_by = self._watched_by, None
        if loop is not None and not loop.is_closed():
            loop.remove_reader(self._fd)

    async def _writable(self, timeout: float | None = None) -> None:
        """Until the socket takes more (rare: a message larger than the socket's buffer)."""
        loop, fd = asyncio.get_running_loop(), self._fd
        ready = loop.create_future()
        loop.add_writer(fd, _resolve, ready)
        # A timer, not asyncio.wait_for: that wraps the wait in a task.
        timer = loop.call_later(self.timeout if timeout is None else timeout, _expire, ready)
        try:
            await ready
        finally:
            timer.cancel()
            loop.remove_writer(fd)


def _resolve(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)


def _expire(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_exception(TimeoutError("timed out"))

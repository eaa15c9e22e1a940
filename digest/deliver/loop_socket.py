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

    async def recv(self, size: int, timeout: float | None = None) -> bytes:
        """What has arrived, up to `size` bytes, waiting for some (b"": the server closed it)."""
        while True:
            try:
                return self.sock.recv(size)
            except (BlockingIOError, ssl.SSLWantReadError):
                await self._ready(reading=True, timeout=timeout)
            except ssl.SSLWantWriteError:
                await self._ready(reading=False, timeout=timeout)

    async def sendall(self, data: bytes) -> None:
        """Write all of `data`; an OSError when the connection fails on the way."""
        view = memoryview(data)
        while view:
            try:
                sent = self.sock.send(view)
            except (BlockingIOError, ssl.SSLWantWriteError):
                await self._ready(reading=False)
                continue
            except ssl.SSLWantReadError:
                await self._ready(reading=True)
                continue
            view = view[sent:]

    async def _ready(self, *, reading: bool, timeout: float | None = None) -> None:
        # The loop running now: a connection kept from one batch of a send to the next outlives
        # the loop it was opened on (transports.KeptConnections).
        loop, fd = asyncio.get_running_loop(), self._fd
        ready = loop.create_future()
        if reading:
            loop.add_reader(fd, _resolve, ready)
        else:
            loop.add_writer(fd, _resolve, ready)
        # A timer, not asyncio.wait_for: that wraps the wait in a task, on every read.
        timer = loop.call_later(self.timeout if timeout is None else timeout, _expire, ready)
        try:
            await ready
        finally:
            timer.cancel()
            if reading:
                loop.remove_reader(fd)
            else:
                loop.remove_writer(fd)


def _resolve(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_result(None)


def _expire(ready: asyncio.Future[None]) -> None:
    if not ready.done():
        ready.set_exception(TimeoutError("timed out"))

"""Deadlines that really end things: one per fetch (connect to last byte, retries included), one for gather.

httpx's timeouts are per socket operation: ``read`` bounds one wait for the next bytes, so a server
that sends its status line and headers one byte every few seconds never trips it, and a check
while the body streams comes too late. Here every socket operation of a fetch (connect, TLS
handshake, each write and each read) waits at most until the fetch's deadline, through a network
backend under httpx's transport; past the deadline the next one fails at once as a timeout. Each
fetch runs in one thread, so the deadline of the fetch under way is found in a context variable.
"""

from __future__ import annotations

import ssl
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import httpcore
import httpx

from digest.gather.public_hosts import PrivateAddressError, check_peer

SLACK = 0.01
"""Seconds too few to wait for anything: a socket's own timeout may fire this much before the
moment it was set for, and that is the deadline passing, not a server's silence."""


@dataclass(frozen=True, slots=True)
class Deadline:
    """A moment on the monotonic clock, and the seconds it was set for (to say so in a message)."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds, seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()

    @property
    def passed(self) -> bool:
        return self.remaining() <= SLACK


_FETCH_DEADLINE: ContextVar[Deadline | None] = ContextVar("fetch_deadline", default=None)


@contextmanager
def fetch_deadline(deadline: Deadline) -> Iterator[None]:
    """Bound every socket operation made in this thread (by a DeadlineTransport) by ``deadline``."""
    token = _FETCH_DEADLINE.set(deadline)
    try:
        yield
    finally:
        _FETCH_DEADLINE.reset(token)


def _until_deadline(timeout: float | None, timed_out: type[httpcore.TimeoutException]) -> float | None:
    """``timeout`` shortened to what is left of the fetch's deadline; the timeout error once it passed."""
    deadline = _FETCH_DEADLINE.get()
    if deadline is None:
        return timeout
    remaining = deadline.remaining()
    if remaining <= SLACK:  # never pass 0 on: to a socket that means "do not wait", not "time is up"
        raise timed_out(f"the whole fetch took over {deadline.seconds:g} s")
    return remaining if timeout is None else min(timeout, remaining)


class _DeadlineStream(httpcore.NetworkStream):
    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _until_deadline(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _until_deadline(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self, ssl_context: ssl.SSLContext, server_hostname: str | None = None, timeout: float | None = None
    ) -> httpcore.NetworkStream:
        # One handshake is one operation to the ssl module: its timeout bounds all of it.
        timeout = _until_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, timeout))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    def __init__(self, backend: httpcore.NetworkBackend, *, public_only: bool = False) -> None:
        self._backend = backend
        self._public_only = public_only

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        timeout = _until_deadline(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, timeout, local_address, socket_options)
        if self._public_only:
            check_peer(stream, host)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        if self._public_only:
            raise PrivateAddressError(f"refused: {path} is a local socket")
        timeout = _until_deadline(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


class DeadlineTransport(httpx.HTTPTransport):
    """httpx's own transport, with every socket operation bounded by the deadline of the fetch."""

    def __init__(self, *, public_only: bool = False) -> None:
        super().__init__()
        # httpx takes no network backend; the connection pool under it (httpcore's) does, and
        # hands it to every connection it opens. tests/gather/test_gather_deadlines.py fails if
        # a new httpx stops using it. `public_only`: each connection's peer must be a public
        # address (gather/public_hosts.py; tests/gather/test_add_by_url.py fails without it).
        pool = self._pool
        pool._network_backend = _DeadlineBackend(pool._network_backend, public_only=public_only)

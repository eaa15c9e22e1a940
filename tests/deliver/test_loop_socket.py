"""LoopSocket: a connected socket read and written from the event loop without blocking it."""

from __future__ import annotations

import asyncio
import socket
import threading
import time

import pytest

from digest.deliver.loop_socket import LoopSocket


def test_a_read_waits_for_data_while_the_loop_runs_other_work():
    ours, theirs = socket.socketpair()
    with ours, theirs:

        async def main() -> tuple[bytes, int]:
            io = LoopSocket(ours, timeout=5)
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    ticks += 1
                    await asyncio.sleep(0.01)

            other = asyncio.create_task(ticker())
            asyncio.get_running_loop().call_later(0.1, theirs.sendall, b"250 ok\r\n")
            data = await io.recv(100)
            other.cancel()
            return data, ticks

        data, ticks = asyncio.run(main())
    assert data == b"250 ok\r\n"
    assert ticks >= 5, "the loop went on while the read waited"


def test_a_read_that_gets_nothing_in_time_is_a_timeout():
    ours, theirs = socket.socketpair()
    with ours, theirs:

        async def main() -> None:
            await LoopSocket(ours, timeout=5).recv(100, timeout=0.05)

        started = time.monotonic()
        with pytest.raises(TimeoutError):
            asyncio.run(main())
    assert time.monotonic() - started < 2


def test_the_end_of_the_connection_reads_as_no_bytes():
    ours, theirs = socket.socketpair()
    with ours:
        theirs.close()
        assert asyncio.run(_recv(ours)) == b""


async def _recv(sock: socket.socket) -> bytes:
    return await LoopSocket(sock, timeout=5).recv(100)


def test_a_write_larger_than_the_socket_buffer_waits_for_the_reader():
    ours, theirs = socket.socketpair()
    payload = bytes(range(256)) * 40_000  # 10 MB: many times the socket's buffer
    got = bytearray()

    def read_slowly() -> None:
        while len(got) < len(payload):
            chunk = theirs.recv(65536)
            if not chunk:
                return
            got.extend(chunk)

    reader = threading.Thread(target=read_slowly)
    reader.start()
    with ours, theirs:
        asyncio.run(_sendall(ours, payload))
        reader.join(timeout=20)
    assert bytes(got) == payload


async def _sendall(sock: socket.socket, data: bytes) -> None:
    await LoopSocket(sock, timeout=5).sendall(data)

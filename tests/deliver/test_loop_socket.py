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


class CountingLoop(asyncio.SelectorEventLoop):
    """asyncio's own loop, counting how often a socket is put under watch and taken off it."""

    added = removed = 0

    def add_reader(self, fd, callback, *args) -> None:
        CountingLoop.added += 1
        super().add_reader(fd, callback, *args)

    def remove_reader(self, fd) -> bool:
        CountingLoop.removed += 1
        return super().remove_reader(fd)


def test_a_connection_is_watched_once_for_all_its_reads_and_unread_data_ends_the_watch():
    CountingLoop.added = CountingLoop.removed = 0
    ours, theirs = socket.socketpair()
    with ours, theirs:

        async def main() -> list[bytes]:
            io = LoopSocket(ours, timeout=5)
            loop = asyncio.get_running_loop()
            got = []
            for n in range(5):  # each reply comes while the read waits
                loop.call_later(0.01, theirs.sendall, b"250 %d\r\n" % n)
                got.append(await io.recv(100))
            assert (CountingLoop.added, CountingLoop.removed) == (1, 0), "one watch for five reads"
            theirs.sendall(b"421 unasked\r\n")  # arrives while nobody waits
            await asyncio.sleep(0.05)
            assert CountingLoop.removed == 1, "nobody waits: the watch ends, the loop does not spin"
            got.append(await io.recv(100))  # already there: no wait, no watch
            io.unwatch()
            return got

        runner = asyncio.Runner(loop_factory=CountingLoop)
        with runner:
            got = runner.run(main())
    assert got == [b"250 %d\r\n" % n for n in range(5)] + [b"421 unasked\r\n"]
    assert CountingLoop.added == 1

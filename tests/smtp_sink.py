"""A minimal SMTP sink in its own process, for sends of tens of thousands of messages.

aiosmtpd (tests/smtp_server.py) parses every command and message in the test's own process and
becomes the limit of a big send; this sink speaks just enough SMTP (EHLO, MAIL, RCPT, DATA, RSET,
QUIT) on another core and still records each copy: after the final dot of a message it appends
one line per recipient, "address<TAB>Date header", to a file (flushed, so copies count live).

    python -m tests.smtp_sink PORT FILE      (prints "ready" once it listens)
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import BinaryIO

from tests.smtp_server import free_port


class _Session(asyncio.Protocol):
    """One client's connection: commands answered as they come (a pipelined group in order), a
    message taken whole up to its final dot, each copy recorded in `log` (None: a pure sink).

    A Protocol over the raw chunks rather than a StreamReader: a 60 KB message arrives in a chunk
    or two and is searched for its dot once, so the sink costs little of the machine it shares
    with the client it measures."""

    def __init__(self, log: BinaryIO | None) -> None:
        self.log = log
        self.buffer = bytearray()
        self.in_data = False
        self.searched = 0
        """In DATA: how far the buffer has been searched for the final dot."""
        self.recipients: list[bytes] = []
        self.closing = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(b"220 sink ESMTP\r\n")

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        replies: list[bytes] = []
        while not self.closing:
            if self.in_data:
                end = self.buffer.find(b"\r\n.\r\n", max(0, self.searched - 4))
                if end < 0:
                    self.searched = len(self.buffer)
                    break
                if self.log is not None:
                    _record(self.log, self.recipients, bytes(self.buffer[:end]))
                del self.buffer[: end + 5]
                self.in_data, self.searched, self.recipients = False, 0, []
                replies.append(b"250 2.0.0 queued\r\n")
                continue
            end = self.buffer.find(b"\r\n")
            if end < 0:
                break
            line = bytes(self.buffer[: end + 2])
            del self.buffer[: end + 2]
            replies.append(self._answer(line))
        if replies:
            self.transport.write(b"".join(replies))
        if self.closing:
            self.transport.close()

    def _answer(self, line: bytes) -> bytes:
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            return b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
        if verb in (b"MAIL", b"RSET"):
            self.recipients = []
        elif verb == b"RCPT":
            self.recipients.append(line[line.index(b"<") + 1 : line.rindex(b">")])
        elif verb == b"DATA":
            self.in_data = True
            return b"354 go ahead\r\n"
        elif verb == b"QUIT":
            self.closing = True
            return b"221 bye\r\n"
        return b"250 ok\r\n"


def _record(log: BinaryIO, recipients: list[bytes], message: bytes) -> None:
    start = message.find(b"\r\nDate: ") + 2
    date = message[start : message.find(b"\r\n", start)] if start > 1 else b""
    log.write(b"".join(address + b"\t" + date + b"\n" for address in recipients))
    log.flush()  # before the reply: a copy the client may count as sent is on record


async def _serve(port: int, path: Path | None) -> None:
    with path.open("ab") if path is not None else contextlib.nullcontext() as log:
        loop = asyncio.get_running_loop()
        server = await loop.create_server(lambda: _Session(log), "127.0.0.1", port)
        print("ready", flush=True)
        async with server:
            await server.serve_forever()


class SmtpSink:
    """The sink as a subprocess, with the copies it recorded."""

    def __init__(self, folder: Path, *, record: bool = True) -> None:
        """record=False: a pure sink (a benchmark's), nothing written per copy."""
        self.port = free_port()
        self.path = folder / f"sink-{self.port}.log"
        self.record = record

    def __enter__(self) -> SmtpSink:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.smtp_sink", str(self.port), str(self.path) if self.record else "-"],
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout is not None and self.process.stdout.readline() == b"ready\n"
        return self

    def __exit__(self, *exc) -> None:
        self.process.kill()
        self.process.wait()

    def environ(self, **extra: str) -> dict[str, str]:
        return {"DIGEST_SMTP_HOST": "127.0.0.1", "DIGEST_SMTP_PORT": str(self.port), **extra}

    def _lines(self) -> list[bytes]:
        return self.path.read_bytes().splitlines() if self.path.exists() else []

    @property
    def copies(self) -> Counter[str]:
        return Counter(line.split(b"\t")[0].decode() for line in self._lines())

    @property
    def dates(self) -> Counter[bytes]:
        return Counter(line.split(b"\t")[1] for line in self._lines())

    def total(self) -> int:
        return self.path.read_bytes().count(b"\n") if self.path.exists() else 0


if __name__ == "__main__":
    asyncio.run(_serve(int(sys.argv[1]), None if sys.argv[2] == "-" else Path(sys.argv[2])))

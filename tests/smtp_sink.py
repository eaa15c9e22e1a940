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


async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, log: BinaryIO | None) -> None:
    """One client's connection; each copy recorded in `log` (None: nothing recorded, a pure sink)."""
    with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):  # a client killed mid-session
        await _converse(reader, writer, log)
    writer.close()


async def _converse(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, log: BinaryIO | None) -> None:
    writer.write(b"220 sink ESMTP\r\n")
    recipients: list[bytes] = []
    while line := await reader.readline():
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            writer.write(b"250-sink\r\n250-PIPELINING\r\n250 8BITMIME\r\n")  # replies in order
        elif verb in (b"MAIL", b"RSET"):
            recipients = []
            writer.write(b"250 ok\r\n")
        elif verb == b"RCPT":
            recipients.append(line[line.index(b"<") + 1 : line.rindex(b">")])
            writer.write(b"250 ok\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go ahead\r\n")
            message = await reader.readuntil(b"\r\n.\r\n")
            if log is not None:
                _record(log, recipients, message)
            recipients = []
            writer.write(b"250 2.0.0 queued\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            break
        else:
            writer.write(b"250 ok\r\n")
        await writer.drain()


def _record(log: BinaryIO, recipients: list[bytes], message: bytes) -> None:
    start = message.find(b"\r\nDate: ") + 2
    date = message[start : message.find(b"\r\n", start)] if start > 1 else b""
    log.write(b"".join(address + b"\t" + date + b"\n" for address in recipients))
    log.flush()  # before the reply: a copy the client may count as sent is on record


async def _serve(port: int, path: Path | None) -> None:
    with path.open("ab") if path is not None else contextlib.nullcontext() as log:
        server = await asyncio.start_server(lambda r, w: session(r, w, log), "127.0.0.1", port, limit=2**22)
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

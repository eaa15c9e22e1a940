"""The SMTP client alone: `python -m tests.benchmarks smtp_client`.

One connection, the same personalised messages, to a minimal sink in another process (it offers
PIPELINING or not), in one run of this process: digest's SmtpConnection, smtplib's sendmail, and a
minimal raw-socket client (MAIL, RCPT and DATA in one write, the message and its dot in another:
the ceiling of any client here). Then digest's whole send (pool + the exactly-once send log) over
two connections. Ratios against the raw client, and the machine's load beside every figure.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import smtplib
import socket
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from digest.deliver.ledger import SendLedger
from digest.deliver.pool import SendOptions, deliver
from digest.deliver.smtp import SmtpConnection
from digest.deliver.smtp_target import SmtpTarget
from digest.deliver.transports import smtp_transports
from digest.settings import SmtpSettings
from digest.store import open_store
from digest.store.subscribers import import_csv

N = 4_000
SENDER = "news@example.com"


def _load() -> str:
    one, five, _ = os.getloadavg()
    return f"load {one:.2f}/{five:.2f} on {os.cpu_count()} cores"


def _run_sink(port: int, pipelining: bool, ready) -> None:
    from tests.benchmarks.bench_deliver import _sink_session

    async def serve() -> None:
        server = await asyncio.start_server(
            lambda r, w: _sink_session(r, w, pipelining=pipelining), "127.0.0.1", port, limit=2**22
        )
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def _sink(pipelining: bool) -> tuple[multiprocessing.Process, int]:
    from tests.smtp_server import free_port

    port, ready = free_port(), multiprocessing.Event()
    process = multiprocessing.Process(target=_run_sink, args=(port, pipelining, ready), daemon=True)
    process.start()
    ready.wait(10)
    return process, port


def _messages() -> list[tuple[str, bytes]]:
    from tests.benchmarks.bench_deliver import _prepared, _recipients

    template = _prepared().template
    return [(r.email, template.personalise(r)) for r in _recipients(N)]


def _ours(port: int, messages: list[tuple[str, bytes]]) -> None:
    connection = SmtpConnection(SmtpTarget(SmtpSettings(security="none"), "127.0.0.1", port))

    async def claimed() -> bool:
        return True

    async def send_all() -> None:
        for address, data in messages:
            await connection.send(SENDER, address, data, claimed)
        await connection.close()

    asyncio.run(send_all())


def _smtplib(port: int, messages: list[tuple[str, bytes]]) -> None:
    with smtplib.SMTP("127.0.0.1", port) as client:
        for address, data in messages:
            client.sendmail(SENDER, [address], data)


def _raw(port: int, messages: list[tuple[str, bytes]]) -> None:
    """The least a client can do: no checks, no parsing beyond counting reply lines."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        replies = sock.makefile("rb")
        replies.readline()
        sock.sendall(b"EHLO raw\r\n")
        while replies.readline()[3:4] == b"-":
            pass
        for address, data in messages:
            sock.sendall(b"MAIL FROM:<%s>\r\nRCPT TO:<%s>\r\nDATA\r\n" % (SENDER.encode(), address.encode()))
            replies.readline(), replies.readline(), replies.readline()
            sock.sendall(data.replace(b"\r\n.", b"\r\n..") + b".\r\n")
            replies.readline()
        sock.sendall(b"QUIT\r\n")


def _rate(client: Callable[[int, list[tuple[str, bytes]]], None], port: int, messages) -> float:
    started = time.perf_counter()
    client(port, messages)
    return len(messages) / (time.perf_counter() - started)


def _with_send_log(port: int, concurrency: int) -> float:
    """digest's whole send: the pool, the send log's in_flight-before-the-dot claims, SQLite."""
    from tests.benchmarks.bench_deliver import _prepared

    prepared = _prepared()
    target = SmtpTarget(SmtpSettings(security="none"), "127.0.0.1", port)
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        csv = Path(tmp) / "list.csv"
        csv.write_text("email\n" + "".join(f"reader{i}@example.com\n" for i in range(N)), encoding="utf-8")
        import_csv(store, csv)
        ledger = SendLedger(store, "bench")
        report = deliver(
            prepared.template,
            ledger.pending(),
            ledger=ledger,
            sender=SENDER,
            transports=smtp_transports(target),
            options=SendOptions(concurrency=concurrency, retries=0),
        )
        store.close()
    assert report.sent == N, report
    return report.rate


def main() -> None:
    messages = _messages()
    size = sum(len(data) for _, data in messages) / len(messages) / 1024
    print(f"\n{N:,} messages of {size:.1f} KB, one connection, to a minimal sink in another process")
    for pipelining in (True, False):
        sink, port = _sink(pipelining)
        try:
            raw = _rate(_raw, port, messages) if pipelining else 0.0
            rates = {"digest": _rate(_ours, port, messages), "smtplib": _rate(_smtplib, port, messages)}
            offered = "offers PIPELINING" if pipelining else "without PIPELINING"
            if raw:
                print(f"  sink {offered}: raw-socket client {raw:>7,.0f} msg/s (the ceiling)   ({_load()})")
            for name, rate in rates.items():
                versus = f"   {rate / raw:4.2f}x the raw client" if raw else ""
                print(f"  sink {offered}: {name:<7} {rate:>7,.0f} msg/s{versus}   ({_load()})")
            print(f"  sink {offered}: digest / smtplib {rates['digest'] / rates['smtplib']:4.2f}x")
            if pipelining:
                for concurrency in (1, 2):
                    rate = _with_send_log(port, concurrency)
                    print(
                        f"  digest's send with the send log, {concurrency} connection(s): {rate:>7,.0f} msg/s"
                        f"   {rate / raw:4.2f}x the raw client   ({_load()})"
                    )
        finally:
            sink.kill()


if __name__ == "__main__":
    main()

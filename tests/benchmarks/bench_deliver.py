"""Delivery: personalise+serialise per second, SMTP throughput, 100,000 subscribers.

Figures, each with its reference measured in the same run:
1. messages/s personalised and serialised on one core, spliced vs EmailMessage + as_bytes();
2. messages/s sent over loopback with parallel connections to a minimal SMTP sink (another
   process), with the real send log, and the same against aiosmtpd (itself the limit);
3. 100,000 subscribers: CSV import rows/s, the send log's cost per message, and the peak
   memory (RSS) of a whole send at 10k, 50k and 100k subscribers (flat means streaming works).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from digest.deliver.ledger import NoLedger, SendLedger, SendState
from digest.deliver.pool import SendOptions, deliver
from digest.deliver.send import Purpose
from digest.deliver.smtp_target import SmtpTarget
from digest.deliver.splice import Recipient
from digest.deliver.transports import smtp_transports
from digest.pipeline import prepare_folder
from digest.store import open_store
from digest.store.subscribers import import_csv
from tests.conftest import SAMPLE_WEEKS
from tests.ports import free_port

SECRET = {"DIGEST_SECRET": "benchmark-secret-0123456789"}
PERSONALISE_N = 20_000
SLOW_N = 300
SEND_N = 20_000
AIOSMTPD_N = 3_000
BIG_LIST = 100_000


def _prepared(week: str = "meridian"):
    return prepare_folder(SAMPLE_WEEKS[week], Purpose.SEND, environ=SECRET)


def _recipients(n: int) -> list[Recipient]:
    return [Recipient(f"reader{i}@example.com", f"Reader {i}" if i % 3 else "", i + 1) for i in range(n)]


# --- 1. personalise + serialise -------------------------------------------------------------------


def bench_personalise() -> None:
    print("\n1. personalise + serialise, one core")
    for week in sorted(SAMPLE_WEEKS):
        prepared = _prepared(week)
        template = prepared.template
        people = _recipients(PERSONALISE_N)
        started = time.perf_counter()
        size = 0
        for recipient in people:
            size += len(template.personalise(recipient))
        fast = PERSONALISE_N / (time.perf_counter() - started)
        started = time.perf_counter()
        for recipient in people[:SLOW_N]:
            template.reference_message(recipient).as_bytes()
        slow = SLOW_N / (time.perf_counter() - started)
        print(
            f"  {week:<10} spliced {fast:>9,.0f} msg/s   EmailMessage {slow:>6,.0f} msg/s   "
            f"{fast / slow:5.0f}x   ({size / PERSONALISE_N / 1024:.1f} KB/message)"
        )


# --- 2. SMTP throughput ----------------------------------------------------------------------------


async def _sink_session(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, pipelining: bool = False
) -> None:
    writer.write(b"220 sink ESMTP\r\n")
    while line := await reader.readline():
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            offer = b"250-PIPELINING\r\n" if pipelining else b""
            writer.write(b"250-sink\r\n" + offer + b"250 8BITMIME\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await reader.readuntil(b"\r\n.\r\n")
            writer.write(b"250 2.0.0 queued\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            break
        else:
            writer.write(b"250 ok\r\n")
        await writer.drain()
    writer.close()


def _run_sink(port: int, ready) -> None:
    async def serve() -> None:
        server = await asyncio.start_server(_sink_session, "127.0.0.1", port, limit=2**22)
        ready.set()
        async with server:
            await server.serve_forever()

    asyncio.run(serve())


def _run_aiosmtpd(port: int, ready) -> None:
    from aiosmtpd.controller import Controller

    class Count:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    controller = Controller(Count(), hostname="127.0.0.1", port=port)
    controller.start()
    ready.set()
    while True:
        time.sleep(3600)


def _server(target) -> tuple[multiprocessing.Process, int]:
    port = free_port()
    ready = multiprocessing.Event()
    process = multiprocessing.Process(target=target, args=(port, ready), daemon=True)
    process.start()
    ready.wait(10)
    return process, port


def _send_rate(prepared, port: int, n: int, concurrency: int, *, with_log: bool) -> float:
    target = SmtpTarget(
        settings=prepared.delivery.smtp.model_copy(update={"security": "none"}), host="127.0.0.1", port=port
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        ledger = SendLedger(store, "bench") if with_log else NoLedger()
        if with_log:
            _fill(store, n, Path(tmp))
            recipients = ledger.pending()
        else:
            recipients = iter(_recipients(n))
        report = deliver(
            prepared.template,
            recipients,
            ledger=ledger,
            sender=prepared.sender,
            transports=smtp_transports(target),
            options=SendOptions(concurrency=concurrency, retries=0),
        )
        store.close()
    assert report.sent == n, report
    return n / report.seconds


def bench_send() -> None:
    print("\n2. sending over loopback (smtplib, one connection per thread; the server in another process)")
    prepared = _prepared()
    sink, port = _server(_run_sink)
    try:
        for concurrency in (1, 4, 8):
            rate = _send_rate(prepared, port, SEND_N, concurrency, with_log=True)
            print(f"  minimal sink, {concurrency} connection(s), with send log: {rate:>7,.0f} msg/s")
        rate = _send_rate(prepared, port, SEND_N, 4, with_log=False)
        print(f"  minimal sink, 4 connections, no send log (reference): {rate:>7,.0f} msg/s")
    finally:
        sink.kill()
    aiosmtpd, port = _server(_run_aiosmtpd)
    try:
        rate = _send_rate(prepared, port, AIOSMTPD_N, 4, with_log=True)
        print(f"  aiosmtpd, 4 connections, with send log: {rate:>7,.0f} msg/s")
    finally:
        aiosmtpd.kill()


# --- 3. 100,000 subscribers ------------------------------------------------------------------------


def _fill(store, n: int, folder: Path) -> float:
    csv = folder / f"list-{n}.csv"
    with csv.open("w", encoding="utf-8") as handle:
        handle.write("email,name,city\n")
        for i in range(n):
            handle.write(f"Reader.{i}@Example.com,Reader {i},City {i % 97}\n")
    started = time.perf_counter()
    report = import_csv(store, csv)
    assert report.added == n, report
    return time.perf_counter() - started


def bench_ledger() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        store = open_store(Path(tmp) / "bench.db")
        seconds = _fill(store, BIG_LIST, Path(tmp))
        print(f"\n3. {BIG_LIST:,} subscribers")
        print(
            f"  import (validate, de-dup, one transaction): {seconds:.2f} s, {BIG_LIST / seconds:,.0f} rows/s"
        )
        ledger = SendLedger(store, "2025-W02")
        people = list(ledger.pending())
        started = time.perf_counter()
        for recipient in people:
            ledger.claim(recipient)
            ledger.record(recipient, SendState.SENT)
        per = (time.perf_counter() - started) / len(people)
        started = time.perf_counter()
        count = sum(1 for _ in SendLedger(store, "2025-W03").pending())
        stream = (time.perf_counter() - started) / count
        print(f"  send log per message (claim + record, two commits): {per * 1e6:.1f} µs")
        print(f"  streaming the pending list: {stream * 1e6:.2f} µs per subscriber")
        store.close()


def _peak_mb() -> float:
    """This process's peak resident memory. (VmHWM, not ru_maxrss: ru_maxrss survives exec, so
    a child started by a big parent would report the parent's peak.)"""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child_import(n: int, db: str) -> None:
    """In a fresh process: import n subscribers; print the peak RSS (MB)."""
    store = open_store(Path(db))
    _fill(store, n, Path(db).parent)
    store.close()
    print(f"{_peak_mb():.0f}")


def child_send(db: str, port: int) -> None:
    """In a fresh process: send the issue to every subscriber in `db`; print peak RSS (MB) and rate."""
    prepared = _prepared()
    store = open_store(Path(db))
    ledger = SendLedger(store, "mem")
    target = SmtpTarget(
        settings=prepared.delivery.smtp.model_copy(update={"security": "none"}), host="127.0.0.1", port=port
    )
    before = _peak_mb()
    report = deliver(
        prepared.template,
        ledger.pending(),
        ledger=ledger,
        sender=prepared.sender,
        transports=smtp_transports(target),
        options=SendOptions(concurrency=4, retries=0),
    )
    assert report.sent == ledger.counts()[SendState.SENT]
    print(f"{before:.0f} {_peak_mb():.0f} {report.rate:.0f} {report.sent}")


def _child(call: str) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-c", f"from tests.benchmarks.bench_deliver import *; {call}"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **SECRET},
    ).stdout.split()
    return [float(x) for x in out]


def bench_memory() -> None:
    sink, port = _server(_run_sink)
    try:
        for n in (10_000, 50_000, BIG_LIST):
            with tempfile.TemporaryDirectory() as tmp:
                db = str(Path(tmp) / "bench.db")
                (import_peak,) = _child(f"child_import({n}, {db!r})")
                ready, peak, rate, sent = _child(f"child_send({db!r}, {port})")
            assert sent == n
            print(
                f"  {n:>7,} subscribers: import peak RSS {import_peak:4.0f} MB; whole send peak RSS "
                f"{peak:4.0f} MB ({ready:.0f} MB once the issue was prepared), {rate:,.0f} msg/s"
            )
    finally:
        sink.kill()


def main() -> None:
    bench_personalise()
    bench_send()
    bench_ledger()
    bench_memory()


if __name__ == "__main__":
    main()

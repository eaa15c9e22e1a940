"""`digest send --workers 2` to a minimal SMTP sink, with the send log, beside a raw-socket client.

    python -m tests.benchmarks send_workers              # 20,000 subscribers
    python -m tests.benchmarks send_workers --million    # 1,000,000: import, send, memory, disk

Figures, each with the machine's load beside it:
1. msg/s of a whole `digest send ISSUE --workers 2` (real processes, SQLite in WAL, the exactly-once
   ledger) to a minimal sink in another process (tests/smtp_sink.py), from the workers' own time
   and from the command's wall clock (start-up and the issue's render included);
2. the ceiling: a raw-socket client (2 processes, MAIL + RCPT + DATA + the message in one write, no
   parsing, no ledger) against the same sink in the same run, and digest's ratio to it;
3. with --million: import rows/s, the send end to end, the peak RSS of every worker process, the
   database's size and the send log's bytes per message.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from digest.deliver.send import Purpose
from digest.deliver.splice import Recipient
from digest.pipeline import prepare_folder
from digest.store import open_store
from digest.store.leases import SendLeases
from digest.store.subscribers import import_csv
from tests.conftest import DELIVERY_TOML, SAMPLE_WEEKS, TEST_SECRET
from tests.smtp_sink import SmtpSink

ISSUE = "2025-W02"
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
CONNECTIONS = 48
"""Connections per worker: a relay on this host answers in microseconds, so a connection waits on
the worker itself more than on the relay, and more of them keep its CPU busy (--concurrency)."""
RAW_N = 20_000


def _load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.1f} {five:.1f} {fifteen:.1f}"


def _project(root: Path, subscribers: int, where: Path | str) -> tuple[Path, float]:
    """The Meridian week in a project with `subscribers` subscribers in `where` (a SQLite file or
    a PostgreSQL URL); the import's rows/s."""
    folder = root / SAMPLE_WEEKS["meridian"].name
    shutil.copytree(SAMPLE_WEEKS["meridian"], folder)
    toml = (
        DELIVERY_TOML
        if isinstance(where, Path)
        else DELIVERY_TOML.replace('path = "subscribers.db"', f'url = "{where}"')
    )
    (root / "digest.toml").write_text(toml, encoding="utf-8")
    csv = root / "list.csv"
    with csv.open("w", encoding="utf-8") as out:
        out.write("email,name\n")
        out.writelines(f"reader{n}@example.com,Reader {n}\n" for n in range(subscribers))
    store = open_store(where)
    started = time.perf_counter()
    import_csv(store, csv)
    rate = subscribers / (time.perf_counter() - started)
    store.close()
    csv.unlink()
    return folder, rate


def _peaks(where: Path | str, process: subprocess.Popen) -> dict[int, float]:
    """Until `process` ends: the peak RSS (MB, VmHWM) of every worker the store names."""
    peaks: dict[int, float] = {}
    store = open_store(where)
    while process.poll() is None:
        for worker in SendLeases(store, ISSUE).live_workers():
            try:
                status = Path(f"/proc/{worker.pid}/status").read_text()
            except OSError:
                continue
            found = re.search(r"VmHWM:\s+(\d+)", status)
            if found:
                peaks[worker.pid] = max(peaks.get(worker.pid, 0.0), int(found.group(1)) / 1024)
        time.sleep(0.5)
    store.close()
    return peaks


def _send(folder: Path, where: Path | str, sink: SmtpSink) -> tuple[float, float, int, dict[int, float], str]:
    """`digest send --workers 2`: workers' msg/s, wall-clock msg/s, sent, peak RSS per worker."""
    env = {**os.environ, **sink.environ(DIGEST_SECRET=TEST_SECRET)}
    command = [sys.executable, "-m", "digest", "send", str(folder), "--workers", str(WORKERS)]
    started = time.perf_counter()
    process = subprocess.Popen(
        [*command, "--concurrency", str(CONNECTIONS)], env=env, stdout=subprocess.PIPE, text=True
    )
    peaks = _peaks(where, process)
    out, _ = process.communicate()
    wall = time.perf_counter() - started
    assert process.returncode == 0, out
    workers = re.findall(r"worker pid \d+: (\d+) sent, .* ([\d.]+) s", out)
    sent = sum(int(n) for n, _ in workers)
    slowest = max(float(seconds) for _, seconds in workers)
    return sent / slowest, sent / wall, sent, peaks, _load()


def _raw_client(port: int, n: int, message: bytes, done) -> None:
    """A minimal client: one connection, each message's commands and body in one write."""
    with socket.create_connection(("127.0.0.1", port)) as conn:
        replies = conn.makefile("rb")
        replies.readline()
        conn.sendall(b"EHLO raw\r\n")
        while replies.readline()[3:4] == b"-":
            pass
        for i in range(n):
            conn.sendall(
                b"MAIL FROM:<news@example.com>\r\nRCPT TO:<r%d@example.com>\r\nDATA\r\n" % i + message
            )
            for _ in range(4):
                replies.readline()
    done.put(n)


def _raw_rate(port: int, message: bytes) -> float:
    done: multiprocessing.Queue = multiprocessing.Queue()
    per = RAW_N // WORKERS
    clients = [
        multiprocessing.Process(target=_raw_client, args=(port, per, message, done)) for _ in range(WORKERS)
    ]
    started = time.perf_counter()
    for client in clients:
        client.start()
    sent = sum(done.get() for _ in clients)
    seconds = time.perf_counter() - started
    for client in clients:
        client.join()
    return sent / seconds


def _sample_message(folder: Path) -> bytes:
    """A message of the size digest sends (the sample issue's .eml), dot-terminated."""
    prepared = prepare_folder(folder, Purpose.SEND, environ={"DIGEST_SECRET": TEST_SECRET})
    data = prepared.template.personalise(Recipient("reader@example.com", "Reader", 1))
    return data.replace(b"\r\n.", b"\r\n..") + b"\r\n.\r\n"


def _db_size(root: Path) -> int:
    """The database with its WAL (what the disk holds)."""
    return sum(path.stat().st_size for path in root.glob("subscribers.db*"))


def run(subscribers: int, url: str = "") -> None:
    """On SQLite, or on the PostgreSQL database at `url`."""
    print(f"\n  on {'PostgreSQL' if url else 'SQLite'}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        where: Path | str = url or root / "subscribers.db"
        folder, import_rate = _project(root, subscribers, where)
        print(f"  {subscribers:,} subscribers imported: {import_rate:,.0f} rows/s ({_load()})")
        imported = _db_size(root)
        with SmtpSink(root, record=False) as sink:
            workers_rate, wall_rate, sent, peaks, load = _send(folder, where, sink)
            assert sent == subscribers, (sent, subscribers)
            print(
                f"  digest send --workers {WORKERS} (--concurrency {CONNECTIONS} each), with the ledger: "
                f"{workers_rate:,.0f} msg/s by the workers' time, {wall_rate:,.0f} msg/s wall clock ({load})"
            )
            print(f"  the send, start to end (the command's wall clock): {sent / wall_rate / 60:.2f} min")
            raw = _raw_rate(sink.port, _sample_message(folder))
            print(
                f"  raw-socket client, {WORKERS} processes, no ledger (the ceiling): "
                f"{raw:,.0f} msg/s ({_load()})"
            )
            print(f"  ratio digest / ceiling: {workers_rate / raw:.2f}")
        peak = ", ".join(f"{mb:.0f}" for mb in sorted(peaks.values()))
        if url:  # the database's size is PostgreSQL's own business here
            print(f"  peak RSS per worker process: {peak} MB")
            return
        size = _db_size(root)
        print(f"  peak RSS per worker process: {peak} MB; database {size / 1e6:,.1f} MB")
        print(f"  send log: {(size - imported) / sent:.0f} bytes per message (the database's growth)")


def main() -> None:
    subscribers = 1_000_000 if "--million" in sys.argv else 20_000
    run(subscribers)
    from tests.postgres_server import binaries, postgres_server

    if binaries() is None:
        print("  (PostgreSQL not installed: tests/install-tools installs it)")
        return
    with postgres_server() as server:
        run(subscribers, server.new_database())


if __name__ == "__main__":
    main()

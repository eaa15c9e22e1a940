"""`digest send ISSUE --workers N`: worker processes that share one send, exactly once.

The proof: 3 worker processes send 20,000 messages to a real SMTP server, a minimal one in its
own process (tests/smtp_sink.py; aiosmtpd in the test's process was the limit, ~230 msg/s on a
busy machine) that records every copy per recipient. A random worker is killed with SIGKILL at
random points of the send (10 kills) and a replacement joins (`digest send ISSUE --worker`, as a
worker on another host would). At the end nobody has two copies, everyone not reported uncertain
has exactly one, and the uncertain are no more than the transactions the kills can have cut (one
per SMTP connection of the killed worker).
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

from digest.deliver.ledger import SendLedger, SendState
from digest.store import open_store
from digest.store.leases import SendLeases
from digest.store.subscribers import import_csv
from tests.deliver.processes import digest, finish
from tests.smtp_server import SmtpTestServer
from tests.smtp_sink import SmtpSink

ISSUE = "2025-W02"
SUBSCRIBERS = 20_000
CONNECTIONS = 2
"""SMTP connections per worker: a kill cuts at most this many transactions."""


def _on_store(project: Path, store_at) -> Path | str:
    """The project's store on the test's backend: its SQLite file, or a PostgreSQL database named
    by `[store] url` in digest.toml (every worker process connects to it)."""
    where = store_at("subscribers.db")
    if isinstance(where, str):
        toml = project.parent / "digest.toml"
        text = toml.read_text(encoding="utf-8").replace('path = "subscribers.db"', f'url = "{where}"')
        toml.write_text(text, encoding="utf-8")
        return where
    return project.parent / "subscribers.db"


def _subscribe(where: Path | str, tmp_path: Path, count: int) -> None:
    rows = "\n".join(f"reader{n:05d}@example.com" for n in range(count))
    (tmp_path / "list.csv").write_text(f"email\n{rows}\n", encoding="utf-8")
    store = open_store(where)
    import_csv(store, tmp_path / "list.csv")
    store.close()


def _live_pids(where: Path | str) -> list[int]:
    store = open_store(where)
    try:
        return [worker.pid for worker in SendLeases(store, ISSUE).live_workers()]
    finally:
        store.close()


def _kill_workers(
    project: Path, where: Path | str, sink: SmtpSink, kills: int, rng: random.Random, started: list
) -> None:
    """SIGKILL a random live worker `kills` times, at random points of the send (counted in copies
    on the server), each time starting a replacement (added to `started`)."""
    deadline = time.monotonic() + 150
    for at in sorted(rng.sample(range(500, SUBSCRIBERS - 2000), kills)):
        while sink.total() < at or not (pids := _live_pids(where)):
            assert time.monotonic() < deadline, f"the send did not reach {at} copies"
            time.sleep(rng.uniform(0.01, 0.05))
        os.kill(rng.choice(pids), signal.SIGKILL)
        started.append(digest(sink, "send", project, "--worker", "--concurrency", str(CONNECTIONS)))


@contextlib.contextmanager
def _ended(processes: list[subprocess.Popen]) -> Iterator[None]:
    """However the test ends, no `digest send` it started outlives it (SIGTERM: its workers too)."""
    try:
        yield
    finally:
        for process in processes:
            if process.poll() is None:
                process.terminate()
                process.communicate(timeout=60)


def test_three_workers_killed_at_random_send_each_copy_once(send_project: Path, tmp_path: Path, store_at):
    kills = 10
    where = _on_store(send_project, store_at)
    _subscribe(where, tmp_path, SUBSCRIBERS)
    rng = random.Random()
    started: list[subprocess.Popen] = []
    with SmtpSink(tmp_path) as sink, _ended(started):
        started.append(
            digest(sink, "send", send_project, "--workers", "3", "--concurrency", str(CONNECTIONS))
        )
        _kill_workers(send_project, where, sink, kills, rng, started)
        code, _, err = finish(started[0], timeout=150)
        assert code in (0, 5), err
        for process in started[1:]:
            code, _, err = finish(process, timeout=150)
            assert code in (0, -signal.SIGKILL), err  # a replacement may be killed too
        started.append(
            digest(sink, "send", send_project, "--workers", "2", "--concurrency", str(CONNECTIONS))
        )
        code, out, err = finish(started[-1], timeout=60)
        copies, dates = sink.copies, sink.dates

    store = open_store(where)
    ledger = SendLedger(store, ISSUE)
    counts, uncertain = ledger.counts(), set(ledger.uncertain())
    assert counts[SendState.SENT] + len(uncertain) == SUBSCRIBERS, counts
    assert len(uncertain) <= kills * CONNECTIONS
    assert max(copies.values()) == 1, "somebody got the issue twice"
    addresses = {f"reader{n:05d}@example.com" for n in range(SUBSCRIBERS)}
    assert {address for address in addresses - uncertain if copies[address] != 1} == set()
    assert set(copies) - addresses == set()
    assert code == (5 if uncertain else 0), out + err
    assert len(dates) == 1 and next(iter(dates)).startswith(b"Date: "), "every worker sends the same bytes"
    assert not SendLeases(store, ISSUE).live_workers()
    store.close()


def test_workers_share_the_send_and_status_shows_it(send_project: Path, tmp_path: Path):
    _subscribe(send_project.parent / "subscribers.db", tmp_path, 2500)
    with SmtpTestServer(keep_messages=False) as server:
        code, out, err = finish(digest(server, "send", send_project, "--workers", "2"), timeout=120)
        assert code == 0, out + err
        assert sorted(set(server.copies.values())) == [1] and len(server.copies) == 2500
        again = finish(digest(server, "send", send_project, "--workers", "2"), timeout=60)
        assert again[0] == 0 and sum(server.copies.values()) == 2500, "a second send sent more"
        code, status, err = finish(digest(server, "send", "--status", send_project), timeout=60)
    assert code == 0, err
    assert "sent       2500" in status and "left       0 active subscribers" in status, status
    store = open_store(send_project.parent / "subscribers.db")
    workers = SendLeases(store, ISSUE).workers()
    store.close()
    assert len(workers) == 4 and sum(w.sent for w in workers) == 2500 and all(w.sent for w in workers[:2])
    assert status.count(": ended, last heartbeat") == 4, status


def test_a_worker_keeps_its_connections_from_one_batch_to_the_next(send_project: Path, tmp_path: Path):
    _subscribe(send_project.parent / "subscribers.db", tmp_path, 2500)  # three batches of 1,000
    with SmtpTestServer(keep_messages=False) as server:
        before = server.handler.sessions_opened  # the test server's own readiness check
        command = digest(server, "send", send_project, "--workers", "1", "--concurrency", "2")
        code, out, err = finish(command, timeout=120)
    assert code == 0, out + err
    assert "2500 sent, 0 failed, 0 uncertain in 3 batches" in out, out
    assert sorted(set(server.copies.values())) == [1] and len(server.copies) == 2500
    assert server.handler.sessions_opened - before == 2, "one session per connection, not one per batch"

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
import datetime as dt
import os
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from digest.deliver.ledger import SendLedger, SendState
from digest.deliver.send import Purpose, check_ready, open_issue_store
from digest.deliver.workers import SendWorker, start_send
from digest.pipeline import prepare_folder
from digest.store import open_store
from digest.store.leases import SendLeases
from digest.store.subscribers import import_csv
from tests.conftest import TEST_SECRET
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


@contextlib.contextmanager
def _planned_in_batches_of_ten(
    send_project: Path, tmp_path: Path
) -> Iterator[tuple[SmtpTestServer, Callable]]:
    """60 subscribers, a send planned in batches of 10 in this process, and an SMTP server; what
    makes a SendWorker of it (its store open until the end)."""
    _subscribe(send_project.parent / "subscribers.db", tmp_path, 60)
    with SmtpTestServer(keep_messages=False) as server:
        environ = server.environ(DIGEST_SECRET=TEST_SECRET)
        prepared = prepare_folder(send_project, Purpose.SEND, environ=environ)
        store = open_issue_store(prepared)
        try:
            start_send(prepared, store, batch_size=10)
            target = check_ready(prepared, environ)
            yield (
                server,
                lambda **options: SendWorker(prepared, store, target=target, concurrency=4, **options),
            )
        finally:
            store.close()


def test_a_worker_goes_on_to_the_next_batch_before_the_last_one_has_ended(send_project: Path, tmp_path: Path):
    """One run of the connections over batch after batch: the next batch is leased as soon as
    the one before has handed out its last recipient, while its last messages are still on their
    way, and each batch is done as soon as its last outcome is in, not when the run ends."""
    with _planned_in_batches_of_ten(send_project, tmp_path) as (server, worker_of):
        leased, done = [], []

        def seen(*_: object) -> None:  # at each outcome, on the worker's event loop
            counts = SendLeases(worker.store, ISSUE).batch_counts()
            leased.append(counts["leased"])
            done.append(counts["done"])

        worker = worker_of(on_outcome=seen)
        report = worker.run()
        end = SendLeases(worker.store, ISSUE).batch_counts()
    assert report.counts().sent == 60 and report.batches == 6 and end == {"open": 0, "leased": 0, "done": 6}
    assert sorted(set(server.copies.values())) == [1] and len(server.copies) == 60
    assert max(leased) == 2, "the next batch leased while the one before still had messages on their way"
    assert done[29] >= 2 and done[-1] == 6, f"batches done during the run, as they ended: {done}"


def test_a_worker_whose_warm_up_allowance_is_used_up_stops_and_leaves_its_batches_open(
    send_project: Path, tmp_path: Path
):
    """Day 3 of a warm-up allows 8 messages: the worker sends 8, gives its batches back and ends
    (it does not claim batch after batch to defer one recipient of each); tomorrow's run finds
    them open. A second run the same day sends nothing and ends too."""
    start = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=2)
    toml = send_project.parent / "digest.toml"
    warmup = f"\n[throttle.warmup]\nstart = {start}\nfirst_day = 2\nceiling = 32\ndays = 5\n"
    toml.write_text(toml.read_text(encoding="utf-8") + warmup, encoding="utf-8")
    with _planned_in_batches_of_ten(send_project, tmp_path) as (server, worker_of):
        reports = []
        for _ in range(2):
            worker = worker_of()
            running = threading.Thread(target=lambda w=worker: reports.append(w.run()))
            running.start()
            running.join(timeout=60)
            assert not running.is_alive(), "the worker went on claiming batches"
        batches = SendLeases(worker.store, ISSUE).batch_counts()
        pending = SendLedger(worker.store, ISSUE).count_pending()
    assert [report.counts().sent for report in reports] == [8, 0] and sum(server.copies.values()) == 8
    # (A batch whose every recipient was handed out before the allowance ran out is done: its
    # deferred ones wait for the next plan, as a 4xx's do.)
    assert batches["leased"] == 0 and batches["open"] >= 5 and batches["open"] + batches["done"] == 6
    assert pending == 52

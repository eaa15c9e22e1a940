"""kill -9 in the middle of `digest send`, then the same command again: nobody gets two copies.

A real `digest send` runs in a subprocess against a real SMTP server (aiosmtpd, in this
process, counting copies per recipient). It is killed with SIGKILL at several points, rerun
each time, and finally run to the end. Exactly-once then means, counted on the server:
- every subscriber the send log says was sent has exactly one copy;
- nobody has two;
- the only ones without a copy are those reported uncertain: killed after their message's
  final dot went out and before the reply was recorded (at most one per connection per kill).
"""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

from digest.deliver.ledger import SendLedger, SendState
from digest.store import open_store
from digest.store.subscribers import import_csv, iter_subscribers
from tests.deliver.processes import digest, wait_for_copies
from tests.smtp_server import SmtpTestServer

SUBSCRIBERS = 3000
CONCURRENCY = 4
KILL_AT = (1, 700, 1500, 2300)
"""Copies counted on the server when the sender is killed (1: as the very first one lands)."""


def _digest(issue: Path, server: SmtpTestServer) -> subprocess.Popen:
    return digest(server, "send", issue, "--concurrency", str(CONCURRENCY))


def _kill_when(process: subprocess.Popen, server: SmtpTestServer, copies: int, deadline: float) -> None:
    wait_for_copies(process, server, copies, deadline)
    process.send_signal(signal.SIGKILL)
    process.wait()


def test_killed_sends_resume_without_duplicates(send_project: Path, tmp_path: Path):
    rows = "\n".join(f"reader{n:05d}@example.com,Reader {n}" for n in range(SUBSCRIBERS))
    (tmp_path / "list.csv").write_text(f"email,name\n{rows}\n", encoding="utf-8")
    store = open_store(send_project.parent / "subscribers.db")
    import_csv(store, tmp_path / "list.csv")

    deadline = time.monotonic() + 90
    with SmtpTestServer() as server:
        for copies in KILL_AT:
            _kill_when(_digest(send_project, server), server, copies, deadline)
        final = _digest(send_project, server)
        out, err = final.communicate(timeout=90)
        assert final.returncode in (0, 5), err.decode()
        copies = server.copies
        again = _digest(send_project, server)
        again.communicate(timeout=60)
        assert server.copies == copies, "a rerun after the end sent more"

    ledger = SendLedger(store, "2025-W02")
    counts = ledger.counts()
    uncertain = set(ledger.uncertain())
    assert counts[SendState.SENT] + len(uncertain) == SUBSCRIBERS
    assert len(uncertain) <= CONCURRENCY * len(KILL_AT)
    assert max(copies.values()) == 1, "somebody got the issue twice"
    addresses = {s.email for s in iter_subscribers(store)}
    assert set(copies) <= addresses
    for address in addresses - uncertain:
        assert copies[address] == 1, address
    missing = addresses - set(copies)
    assert missing <= uncertain, "a subscriber was skipped without being reported"
    if uncertain:
        assert b"uncertain" in out and sorted(uncertain)[0].encode() in out
    assert final.returncode == (5 if uncertain else 0), "uncertain copies are not a finished send"
    store.close()


def test_ctrl_c_stops_cleanly_and_the_rerun_sends_the_rest(send_project: Path, tmp_path: Path):
    rows = "\n".join(f"reader{n:04d}@example.com" for n in range(1000))
    (tmp_path / "list.csv").write_text(f"email\n{rows}\n", encoding="utf-8")
    store = open_store(send_project.parent / "subscribers.db")
    import_csv(store, tmp_path / "list.csv")
    with SmtpTestServer() as server:
        process = _digest(send_project, server)
        deadline = time.monotonic() + 60
        wait_for_copies(process, server, 200, deadline)
        process.send_signal(signal.SIGINT)
        out, _ = process.communicate(timeout=30)
        assert process.returncode == 130, out.decode()
        assert b"stopped early" in out
        ledger = SendLedger(store, "2025-W02")
        assert ledger.uncertain() == [], "messages in progress finish before stopping"
        stopped_at = ledger.counts()[SendState.SENT]
        assert 200 <= stopped_at < 1000 and sum(server.copies.values()) == stopped_at
        rest = _digest(send_project, server)
        rest.communicate(timeout=60)
        assert rest.returncode == 0
    assert len(server.copies) == 1000 and set(server.copies.values()) == {1}
    store.close()

"""The disk fills up in the middle of `digest send`: one line and exit code 7, and once space is
freed the same command sends the rest, each subscriber exactly once (counted on a real SMTP server,
with the store on a real small disk, a tmpfs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from digest.deliver.ledger import SendLedger, SendState
from digest.store import import_csv, open_store
from tests.conftest import DELIVERY_TOML, TEST_SECRET
from tests.smtp_server import SmtpTestServer
from tests.store.faults import assert_one_error_line, fill, long_list, small_disk

SUBSCRIBERS = 400
CONCURRENCY = 2
ROOM = 160 * 1024
"""Free bytes left on the disk when the send starts: the -shm file and some 30 commits of the send log."""


def _send(issue: Path, server: SmtpTestServer) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "digest", "send", str(issue), "--concurrency", str(CONCURRENCY)],
        env={**os.environ, **server.environ(DIGEST_SECRET=TEST_SECRET)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_a_send_that_fills_the_disk_stops_with_one_line_and_resumes_exactly_once(
    send_project: Path, tmp_path: Path
):
    toml = DELIVERY_TOML.replace('path = "subscribers.db"', 'path = "disk/subscribers.db"')
    (tmp_path / "digest.toml").write_text(toml.replace("timeout = 10", "timeout = 3"), encoding="utf-8")
    with small_disk(tmp_path / "disk", "8m") as disk, SmtpTestServer() as server:
        db = disk / "subscribers.db"
        store = open_store(db)
        import_csv(store, long_list(tmp_path, SUBSCRIBERS))
        store.close()
        filler = fill(disk, leave=ROOM)

        stopped = _send(send_project, server)
        print(stopped.stdout, stopped.stderr)
        assert_one_error_line(
            stopped, 7, str(db), "the disk is full", "free some space and run again", progress="2025-W02 "
        )
        delivered = sum(server.copies.values())
        assert 0 < delivered < SUBSCRIBERS, "the disk should fill part-way through the send"

        filler.unlink()
        resumed = _send(send_project, server)
        assert resumed.returncode in (0, 5), resumed.stderr
        assert "Traceback" not in resumed.stderr

        copies = server.copies
        store = open_store(db)
        ledger = SendLedger(store, "2025-W02")
        counts, uncertain = ledger.counts(), ledger.uncertain()
        store.close()
    assert len(copies) == SUBSCRIBERS and set(copies.values()) == {1}, "each subscriber exactly once"
    # A "sent" waiting to be written with the next claim when the disk filled is not on disk:
    # its row stays in flight, so the resumed send reports it uncertain (and does not resend it).
    assert len(uncertain) <= CONCURRENCY
    assert counts[SendState.SENT] + len(uncertain) == SUBSCRIBERS
    assert all(address in resumed.stdout for address in uncertain[:5])
    assert resumed.returncode == (5 if uncertain else 0), "uncertain copies are not a finished send"

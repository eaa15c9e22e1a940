"""Two runs of the same week at once (two schedulers, or a scheduler and a cron `digest run --send`):
the store's run lock lets exactly one build and send; the other says who holds the issue."""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from digest.runs.run import run_issue
from digest.settings import load_project_config
from digest.store import open_store
from digest.store.run_history import IssueLocked, ThisProcess, issue_lock
from digest.web.preview import create_preview_app
from tests.conftest import TEST_SECRET
from tests.deliver.processes import digest, finish, wait_for_copies
from tests.schedule_fixtures import EDITOR, TIDEWATER_DATE, subscribe, tidewater_project
from tests.smtp_server import Faults, SmtpTestServer
from tests.web.servers import RunningServer

READERS = 20
TIMEOUT = 60
ISSUE = "2025-W11"


def _run(config: Path, server: SmtpTestServer) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "digest", "run", "--config", str(config), "--date", "2025-03-14", "--send"],
        env={**os.environ, **server.environ(DIGEST_SECRET=TEST_SECRET)},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _lock_rows(config: Path) -> list[tuple]:
    store = open_store(load_project_config(config).delivery.store_path)
    try:
        return [tuple(row) for row in store.fetchall("SELECT issue_id, host, pid FROM run_locks")]
    finally:
        store.close()


def test_while_one_run_sends_a_second_is_told_who_holds_the_issue(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    readers = subscribe(config, READERS)
    # The first reader's RCPT hangs for three seconds: the first run is mid-send, holding the lock.
    with SmtpTestServer(Faults(stall_first_rcpt={readers[0]: 3.0})) as server:
        first = _run(config, server)
        deadline = time.monotonic() + TIMEOUT
        while not _lock_rows(config):
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first run never took the lock"
            time.sleep(0.01)
        second = _run(config, server)
        second_out, second_err = second.communicate(timeout=TIMEOUT)
        first_out, first_err = first.communicate(timeout=TIMEOUT)
        copies = server.copies

    assert second.returncode == 4, second_err
    assert second_out == ""
    holder = f"2025-W11 is being built or sent by pid {first.pid} on {socket.gethostname()} since "
    assert second_err.strip().splitlines()[-1].startswith(f"error: {holder}")
    assert first.returncode == 0, first_err
    assert "sent to 20 subscribers (0 failed, 0 uncertain" in first_out
    assert copies == dict.fromkeys(readers, 1)
    assert _lock_rows(config) == []  # released when the run ended


def test_two_runs_started_together_send_exactly_once(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    readers = subscribe(config, READERS)
    with SmtpTestServer() as server:
        runs = [_run(config, server), _run(config, server)]
        outputs = [run.communicate(timeout=TIMEOUT) for run in runs]
        copies = server.copies

    assert copies == dict.fromkeys(readers, 1), "a subscriber got the issue twice, or not at all"
    lines = [(out + err).strip().splitlines()[-1] for out, err in outputs]
    senders = [line for line in lines if "sent to 20 subscribers" in line]
    assert len(senders) == 1, lines
    # The other either found the lock taken, or came after and found the week done.
    [other] = [(run.returncode, line) for run, line in zip(runs, lines, strict=True) if line not in senders]
    assert other[0] in (0, 4), other
    assert "is being built or sent by pid" in other[1] or "already sent" in other[1], other


# --- the lock itself ---------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path):
    opened = open_store(tmp_path / "digest.db")
    yield opened
    opened.close()


NOW = dt.datetime(2025, 3, 14, 7, 0, 5, tzinfo=dt.UTC)


def _hold(store, me: ThisProcess) -> None:
    store.execute(
        "INSERT INTO run_locks (issue_id, host, pid, boot_id, since) VALUES (?, ?, ?, ?, ?)",
        ("2025-W11", me.host, me.pid, me.boot_id, NOW.isoformat()),
    )


def test_a_live_holder_is_named(store):
    here = ThisProcess.current()
    _hold(store, ThisProcess(here.host, os.getppid(), here.boot_id))  # our parent: alive
    with pytest.raises(IssueLocked) as caught, issue_lock(store, "2025-W11"):
        pytest.fail("got a lock that is held")
    assert str(caught.value) == (
        f"2025-W11 is being built or sent by pid {os.getppid()} on {here.host} since 2025-03-14 07:00:05 UTC"
    )
    assert caught.value.exit_code == 4


def test_a_holder_on_another_machine_is_never_second_guessed(store):
    _hold(store, ThisProcess("other-host", 1, "some-boot"))
    with pytest.raises(IssueLocked, match="by pid 1 on other-host since"), issue_lock(store, "2025-W11"):
        pass


def test_a_lock_left_by_a_dead_process_is_taken_over(store, caplog):
    here = ThisProcess.current()
    _hold(store, ThisProcess(here.host, _a_dead_pid(), here.boot_id))
    with issue_lock(store, "2025-W11"):
        assert store.fetchone("SELECT pid FROM run_locks")[0] == os.getpid()
    assert "taking over the lock" in caplog.text


def test_a_lock_from_before_a_reboot_is_taken_over(store):
    here = ThisProcess.current()
    if not here.boot_id:
        pytest.fail("/proc/sys/kernel/random/boot_id is missing: digest's locks rely on it on Linux")
    _hold(store, ThisProcess(here.host, os.getppid(), "an-earlier-boot"))
    with issue_lock(store, "2025-W11"):
        pass


def test_the_lock_is_released_when_the_run_fails(store):
    with pytest.raises(RuntimeError), issue_lock(store, "2025-W11"):
        raise RuntimeError("the SMTP server caught fire")
    assert store.fetchall("SELECT * FROM run_locks") == []
    with issue_lock(store, "2025-W11"):  # and can be taken again
        pass


def test_locks_are_per_issue(store):
    with issue_lock(store, "2025-W11"), issue_lock(store, "2025-W12"):
        assert len(store.fetchall("SELECT * FROM run_locks")) == 2


def _a_dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_approving_during_a_send_is_told_who_holds_the_issue(tmp_path: Path, monkeypatch):
    """`digest send` holds the lock too: `digest approve` and the preview's button wait their turn."""
    config = tidewater_project(tmp_path / "tidewater", require_approval=True)
    readers = subscribe(config, 100)
    with SmtpTestServer() as server:
        for name, value in server.environ(DIGEST_SECRET=TEST_SECRET).items():
            monkeypatch.setenv(name, value)
        proofed = run_issue(load_project_config(config), TIDEWATER_DATE, send=True)
        assert "awaiting approval" in proofed.line
        with RunningServer(create_preview_app(config.parent, watch=False)) as preview:
            # The confirmed approval of the proof the page shows (issue 12: the form names it),
            # read before the send starts so that the window below holds only the two approvals.
            page = httpx.get(f"{preview.url.rstrip('/')}/issues/2025-03-14/", timeout=30).text
            proof = re.search(r'name="proof" value="([0-9a-f]{64})"', page)
            assert proof is not None
            # 20 messages a second: the send lasts five seconds (`digest approve` composes the
            # week's folder to compare it with the proof before it asks for the lock).
            sending = digest(server, "send", config.parent / "2025-03-14", "--rate", "20")
            wait_for_copies(sending, server, 6, time.monotonic() + TIMEOUT)  # the proof and five readers
            approved = finish(digest(server, "approve", ISSUE, "--config", config, "--by", "Morwenna"))
            pressed = httpx.post(
                f"{preview.url.rstrip('/')}/issues/2025-03-14/approve",
                data={"by": "Jory", "proof": proof.group(1), "confirm": "yes"},
                timeout=30,
                follow_redirects=True,
            )
        sent = finish(sending)
        copies = server.copies

    holder = f"{ISSUE} is being built or sent by pid {sending.pid} on {socket.gethostname()} since "
    assert approved[0] == 4 and approved[2].strip().splitlines()[-1].startswith(f"error: {holder}"), approved
    assert f"Not sent: {holder}" in pressed.text
    assert sent[0] == 0, sent
    assert copies == {EDITOR: 1, **dict.fromkeys(readers, 1)}

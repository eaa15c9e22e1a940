"""`digest schedule` as a real process: it logs its next run, and SIGTERM/SIGINT stop it cleanly."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from digest.runs.scheduler import WeeklyScheduler, stop_on_signals
from digest.weekly import WEEKDAYS, WeeklySlot, issue_id_for
from tests.conftest import TEST_SECRET
from tests.schedule_fixtures import TIDEWATER_ZONE, move_issue_to, subscribe, tidewater_project, weekday_in
from tests.smtp_server import SmtpTestServer

START_TIMEOUT = 20.0
STOP_TIMEOUT = 10.0


def _project(tmp_path: Path, slot: WeeklySlot) -> Path:
    weekday = WEEKDAYS[slot.weekday]
    return tidewater_project(tmp_path / "tidewater", weekday=weekday, time=f"{slot.time:%H:%M}", grace="1h")


def _start(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "digest", "schedule", "--config", str(config)],
        cwd=config.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _read_until(process: subprocess.Popen[str], marker: str) -> list[str]:
    """Lines of stderr up to the one holding ``marker``; fails if the process ends or stalls first."""
    lines: list[str] = []
    timer = threading.Timer(START_TIMEOUT, process.kill)
    timer.start()
    try:
        for line in process.stderr:
            lines.append(line)
            if marker in line:
                return lines
    finally:
        timer.cancel()
    pytest.fail(f"the scheduler ended before logging {marker!r}:\n{''.join(lines)}")


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_scheduler_cleanly(tmp_path, stop_with):
    now = dt.datetime.now(dt.UTC)
    # Three days from now: far from the next run, and the last one is beyond the grace of an hour.
    slot = WeeklySlot(WEEKDAYS.index(weekday_in(3)), dt.time(7, 0), TIDEWATER_ZONE)
    process = _start(_project(tmp_path, slot))
    try:
        started = _read_until(process, "next run:")
        upcoming = slot.next_run(now)
        assert (
            f"next run: {slot.describe(upcoming)}, issue {issue_id_for(slot.issue_date(upcoming))}"
            in started[-1]
        )
        assert "scheduling weekly on" in "".join(started)
        process.send_signal(stop_with)
        _, rest = process.communicate(timeout=STOP_TIMEOUT)
    finally:
        process.kill()
    assert process.returncode == 0, rest
    assert f"{stop_with.name}: stopping" in rest
    assert rest.rstrip().endswith("INFO stopped")
    assert "Traceback" not in rest


def test_once_builds_and_sends_the_next_issue_now(tmp_path):
    now = dt.datetime.now(dt.UTC)
    slot = WeeklySlot(4, dt.time(7, 0), TIDEWATER_ZONE)
    upcoming = slot.next_run(now)
    config = _project(tmp_path, slot)
    move_issue_to(config, slot.issue_date(upcoming))
    readers = subscribe(config, 2)
    with SmtpTestServer() as server:
        done = subprocess.run(
            [sys.executable, "-m", "digest", "schedule", "--config", str(config), "--once"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, **server.environ(DIGEST_SECRET=TEST_SECRET)},
        )
    issue_id = issue_id_for(slot.issue_date(upcoming))
    assert done.returncode == 0, done.stderr
    assert f"running the next issue now: {issue_id}" in done.stderr
    assert f"{issue_id}: built, 6 stories, archived in " in done.stderr
    assert "; sent to 2 subscribers (0 failed, 0 uncertain" in done.stderr
    assert (config.parent / "built" / issue_id / "index.html").is_file()
    assert server.copies == dict.fromkeys(readers, 1)


def test_a_signal_during_a_run_interrupts_it():
    from digest.runs.scheduler import Interrupted

    def job(moment: dt.datetime) -> None:
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(5)  # the handler raises before this ends
        pytest.fail("the run was not interrupted")

    scheduler = WeeklyScheduler(WeeklySlot(0, dt.time(8), "UTC"), dt.timedelta(hours=1), job)
    with stop_on_signals(scheduler) as stop, pytest.raises(Interrupted):
        scheduler.run_once()
    assert stop.is_set()
    assert scheduler.running is False
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL

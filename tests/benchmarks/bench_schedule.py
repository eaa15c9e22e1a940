"""The unattended run's costs: next-run arithmetic, and what a timer firing every 10 minutes pays.

- `WeeklySlot.next_run` against `schedule`'s own next-run computation for a weekly job (the
  reference, measured here): ours is zone-correct and should not be slower by much.
- A tick with nothing due (`digest run --if-due`), a run of a week already sent (the history
  answers, under the lock), and the run lock alone, against building the week (gather, compose,
  render, lint, archive): the first three are what cron or the timer costs 143 times a day.
- The same tick as a fresh process (`python -m digest run --if-due`), imports included.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import schedule

from digest.runs.run import run_issue
from digest.runs.week import due_issue_date
from digest.settings import load_project_config
from digest.store import open_store
from digest.store.run_history import IssueHistory, IssueState, issue_lock
from digest.weekly import WeeklySlot
from tests.schedule_fixtures import TIDEWATER_DATE, tidewater_project, weekday_in

ROUNDS = 20
INSTANTS = 20_000


def _median(action, rounds: int = ROUNDS) -> float:
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _next_runs() -> None:
    rng = random.Random(8)
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    instants = [start + dt.timedelta(seconds=rng.randrange(3 * 365 * 86400)) for _ in range(INSTANTS)]
    slot = WeeklySlot(0, dt.time(8, 0), "America/New_York")

    started = time.perf_counter()
    for instant in instants:
        slot.next_run(instant)
    ours = (time.perf_counter() - started) / INSTANTS

    job = schedule.Scheduler().every().monday.at("08:00").do(lambda: None)
    started = time.perf_counter()
    for _ in range(INSTANTS):
        job._schedule_next_run()  # the reference: the library's own weekly next-run (local time only)
    theirs = (time.perf_counter() - started) / INSTANTS
    print(f"next run, zone-aware (digest.weekly): {ours * 1e6:.2f} µs")
    print(f"next run, schedule's own (reference):  {theirs * 1e6:.2f} µs   ratio {ours / theirs:.2f}x")


def _ticks(tmp: Path) -> None:
    config = tidewater_project(tmp / "tidewater", weekday=weekday_in(3))
    project = load_project_config(config)
    now = dt.datetime.now(dt.UTC)

    build = _median(lambda: run_issue(project, TIDEWATER_DATE, send=False), rounds=10)
    not_due = _median(lambda: due_issue_date(load_project_config(config), now))

    store = open_store(project.delivery.store_path)
    IssueHistory(store).record("2025-W11", IssueState.SENT, "sent", sent_at=now)

    def lock_round_trip() -> None:
        with issue_lock(store, "2025-W12"):
            pass

    lock = _median(lock_round_trip, rounds=200)
    store.close()
    sent = _median(lambda: run_issue(load_project_config(config), TIDEWATER_DATE, send=False))

    print(f"\nbuilding the week (reference): {build * 1e3:.1f} ms")
    for name, seconds in [
        ("a tick with nothing due (config + --if-due)", not_due),
        ("a run of a week already sent (config, lock, history)", sent),
        ("the run lock alone (take + release)", lock),
    ]:
        print(f"  {name:<55} {seconds * 1e3:7.2f} ms  {seconds / build:6.3f}x building")

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    command = [sys.executable, "-m", "digest", "run", "--config", str(config), "--if-due"]
    subprocess.run(command, capture_output=True, env=env, check=True)  # warm the file cache
    process = _median(lambda: subprocess.run(command, capture_output=True, env=env, check=True), rounds=5)
    print(f"  {'the same tick as a process (imports included)':<55} {process * 1e3:7.1f} ms")
    print(f"  per day at one tick every 10 minutes: {process * 144:.1f} s of CPU at most")


def main() -> None:
    _next_runs()
    with tempfile.TemporaryDirectory() as tmp:
        _ticks(Path(tmp))


if __name__ == "__main__":
    main()

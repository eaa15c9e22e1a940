"""The scheduler's decisions with a controlled clock: on time, caught up within grace, or skipped."""

from __future__ import annotations

import datetime as dt
import logging

import pytest

from digest.runs.scheduler import Action, WeeklyScheduler, decide
from digest.weekly import WeeklySlot

UTC = dt.UTC
NEW_YORK_MONDAY_8 = WeeklySlot(0, dt.time(8, 0), "America/New_York")
SIX_HOURS = dt.timedelta(hours=6)
MONDAY_JAN_13_8AM = dt.datetime(2025, 1, 13, 13, tzinfo=UTC)  # 08:00 EST


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def test_a_slot_that_just_passed_runs():
    [decision] = decide(
        NEW_YORK_MONDAY_8, SIX_HOURS, MONDAY_JAN_13_8AM - dt.timedelta(seconds=20), MONDAY_JAN_13_8AM
    )
    assert decision.action is Action.RUN
    assert decision.slot == MONDAY_JAN_13_8AM


def test_a_late_slot_within_grace_still_runs():
    now = MONDAY_JAN_13_8AM + dt.timedelta(hours=5, minutes=59)
    [decision] = decide(NEW_YORK_MONDAY_8, SIX_HOURS, MONDAY_JAN_13_8AM - dt.timedelta(hours=1), now)
    assert decision.action is Action.RUN
    assert decision.late_by == dt.timedelta(hours=5, minutes=59)


def test_a_slot_missed_beyond_grace_is_skipped():
    now = MONDAY_JAN_13_8AM + dt.timedelta(hours=6, seconds=1)
    [decision] = decide(NEW_YORK_MONDAY_8, SIX_HOURS, MONDAY_JAN_13_8AM - dt.timedelta(hours=1), now)
    assert decision.action is Action.SKIP


def test_after_a_long_outage_only_the_newest_week_may_run():
    asleep_from = MONDAY_JAN_13_8AM - dt.timedelta(days=1)
    woke_at = MONDAY_JAN_13_8AM + dt.timedelta(weeks=2, hours=1)
    decisions = decide(NEW_YORK_MONDAY_8, dt.timedelta(days=3), asleep_from, woke_at)
    assert [d.action for d in decisions] == [Action.SKIP, Action.SKIP, Action.RUN]
    assert decisions[-1].slot == MONDAY_JAN_13_8AM + dt.timedelta(weeks=2)


def test_nothing_to_do_between_slots():
    assert (
        decide(NEW_YORK_MONDAY_8, SIX_HOURS, MONDAY_JAN_13_8AM, MONDAY_JAN_13_8AM + dt.timedelta(days=6))
        == []
    )


def _scheduler(clock: FakeClock, ran: list[dt.datetime], **kwargs) -> WeeklyScheduler:
    return WeeklyScheduler(NEW_YORK_MONDAY_8, SIX_HOURS, ran.append, clock=clock, **kwargs)


def test_ticking_through_a_week_runs_once_at_the_time(caplog):
    caplog.set_level(logging.INFO, logger="digest.schedule")
    clock = FakeClock(dt.datetime(2025, 1, 10, 17, tzinfo=UTC))  # a Friday
    ran: list[dt.datetime] = []
    scheduler = _scheduler(clock, ran)
    scheduler.start()
    assert "next run: Mon 2025-01-13 08:00 EST (13:00 UTC), issue 2025-W03" in caplog.text
    while clock.now < dt.datetime(2025, 1, 17, tzinfo=UTC):
        clock.advance(seconds=20)
        scheduler.tick()
    assert ran == [MONDAY_JAN_13_8AM]
    assert "running 2025-W03 (Mon 2025-01-13 08:00 EST (13:00 UTC))" in caplog.text
    assert "next run: Mon 2025-01-20 08:00 EST (13:00 UTC), issue 2025-W04" in caplog.text


def test_ticking_across_the_spring_change_runs_at_eight_edt(caplog):
    clock = FakeClock(dt.datetime(2025, 3, 4, tzinfo=UTC))
    ran: list[dt.datetime] = []
    scheduler = _scheduler(clock, ran, tick_seconds=60)
    scheduler.start()
    while clock.now < dt.datetime(2025, 3, 11, tzinfo=UTC):
        clock.advance(minutes=1)
        scheduler.tick()
    assert ran == [dt.datetime(2025, 3, 10, 12, tzinfo=UTC)]  # 08:00 EDT, an hour earlier in UTC


def test_starting_within_grace_of_a_missed_run_catches_it_up(caplog):
    caplog.set_level(logging.INFO, logger="digest.schedule")
    clock = FakeClock(MONDAY_JAN_13_8AM + dt.timedelta(hours=2))  # the machine was down at 08:00
    ran: list[dt.datetime] = []
    _scheduler(clock, ran).start()
    assert ran == [MONDAY_JAN_13_8AM]
    assert "last run 2025-W03 was due 2h ago, within grace: running it now" in caplog.text


def test_starting_beyond_grace_does_not_catch_up(caplog):
    caplog.set_level(logging.INFO, logger="digest.schedule")
    clock = FakeClock(MONDAY_JAN_13_8AM + dt.timedelta(hours=7))
    ran: list[dt.datetime] = []
    _scheduler(clock, ran).start()
    assert ran == []
    assert "beyond the grace of 6h: not catching up" in caplog.text
    assert "next run: Mon 2025-01-20 08:00 EST" in caplog.text


def test_waking_from_sleep_past_grace_skips_and_logs(caplog):
    caplog.set_level(logging.INFO, logger="digest.schedule")
    clock = FakeClock(dt.datetime(2025, 1, 12, tzinfo=UTC))
    ran: list[dt.datetime] = []
    scheduler = _scheduler(clock, ran)
    scheduler.start()
    clock.advance(days=2)  # suspended over Monday 08:00 and the six hours after
    scheduler.tick()
    assert ran == []
    assert "missed run for 2025-W03 (Mon 2025-01-13 08:00 EST (13:00 UTC)), 11h late" in caplog.text
    assert "beyond the grace of 6h: skipped" in caplog.text


def test_a_failing_run_is_logged_and_the_scheduler_carries_on(caplog):
    clock = FakeClock(MONDAY_JAN_13_8AM - dt.timedelta(minutes=1))
    attempts: list[dt.datetime] = []

    def job(moment: dt.datetime) -> None:
        attempts.append(moment)
        raise RuntimeError("SMTP server on fire")

    scheduler = WeeklyScheduler(NEW_YORK_MONDAY_8, SIX_HOURS, job, clock=clock)
    scheduler.start()
    clock.advance(minutes=2)
    scheduler.tick()
    clock.advance(weeks=1)
    scheduler.tick()
    assert len(attempts) == 2
    assert "the run failed; the scheduler carries on" in caplog.text
    assert "SMTP server on fire" in caplog.text


def test_once_runs_the_next_slot_now():
    clock = FakeClock(dt.datetime(2025, 1, 10, tzinfo=UTC))
    ran: list[dt.datetime] = []
    _scheduler(clock, ran).run_once()
    assert ran == [MONDAY_JAN_13_8AM]


@pytest.mark.parametrize("signal_during_run", [True, False])
def test_interrupt_during_a_run_propagates(signal_during_run):
    from digest.runs.scheduler import Interrupted

    clock = FakeClock(MONDAY_JAN_13_8AM)

    def job(moment: dt.datetime) -> None:
        if signal_during_run:
            raise Interrupted("SIGTERM")

    scheduler = WeeklyScheduler(NEW_YORK_MONDAY_8, SIX_HOURS, job, clock=clock)
    if signal_during_run:
        with pytest.raises(Interrupted):
            scheduler.start()
    else:
        scheduler.start()
    assert scheduler.running is False

"""`digest schedule`: a long-running process that runs the weekly job, on the `schedule` package.

`schedule` drives the loop (a job that ticks every few seconds); whether a weekly run is due is
decided by `digest.weekly`, which is correct across daylight-saving changes where `schedule`'s own
timezone handling is not. Deciding is a pure function of (the last instant checked, now), so the
catch-up rules are tested with a controlled clock:

* a slot that passed while the process was not looking (machine asleep or down) still runs if it
  is at most ``grace`` late; otherwise it is skipped and logged;
* if several slots passed (a long outage), only the newest may run: subscribers never get two
  issues at once.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from types import FrameType
from typing import Generic, TypeVar

import schedule

from digest.clock import Clock, utc_now
from digest.errors import DigestError
from digest.runs.run import ExitCode, RunResult
from digest.runs.stops import run_and_tell, send_due_approvals_and_tell
from digest.settings import load_project_config
from digest.weekly import WEEKDAYS, WeeklySlot, format_duration, issue_id_for

log = logging.getLogger("digest.schedule")

TICK_SECONDS = 20
"""How often the loop looks at the clock: the most a run can start after its time."""


class Action(StrEnum):
    RUN = "run"
    SKIP = "skip"


@dataclass(frozen=True, slots=True)
class Decision:
    slot: dt.datetime
    """The scheduled instant (UTC) this decision is about."""
    action: Action
    late_by: dt.timedelta


def decide(slot: WeeklySlot, grace: dt.timedelta, after: dt.datetime, now: dt.datetime) -> list[Decision]:
    """What to do about every slot in (after, now]: run the newest if within grace, skip the rest."""
    passed = slot.runs_between(after, now)
    decisions = []
    for index, moment in enumerate(passed):
        late_by = now.astimezone(dt.UTC) - moment
        newest = index == len(passed) - 1
        action = Action.RUN if newest and late_by <= grace else Action.SKIP
        decisions.append(Decision(slot=moment, action=action, late_by=late_by))
    return decisions


class Interrupted(KeyboardInterrupt):
    """SIGTERM or SIGINT arrived while a run was in progress; it unwinds like Ctrl-C would."""


JobResult = TypeVar("JobResult", covariant=True)
"""What the job returns for a run (for `digest schedule`, a RunResult, or None after an error)."""


class WeeklyScheduler(Generic[JobResult]):
    """Runs ``job(slot_instant)`` once per weekly slot; the job builds (and sends) that week's issue."""

    def __init__(
        self,
        slot: WeeklySlot,
        grace: dt.timedelta,
        job: Callable[[dt.datetime], JobResult],
        *,
        clock: Clock = utc_now,
        tick_seconds: int = TICK_SECONDS,
        on_tick: Callable[[dt.datetime], object] | None = None,
    ) -> None:
        self.slot = slot
        self.grace = grace
        self.job = job
        self.clock = clock
        self.tick_seconds = tick_seconds
        self.on_tick = on_tick
        """Extra work each tick (e.g. approval deadlines that have passed)."""
        self.checked_until: dt.datetime | None = None
        self.running = False

    # -- the decisions, one tick at a time -------------------------------------------------------

    def start(self) -> None:
        """Look back at the last slot (catch up within grace), then log when the next one is."""
        now = self.clock()
        log.info(
            "scheduling weekly on %s at %s %s, grace %s",
            WEEKDAYS[self.slot.weekday],
            self.slot.time.strftime("%H:%M"),
            self.slot.timezone,
            format_duration(self.grace),
        )
        previous = self.slot.previous_run(now)
        self.checked_until = now
        late_by = now - previous
        issue_id = issue_id_for(self.slot.issue_date(previous))
        if late_by <= self.grace:
            # Maybe the machine was down at send time; the job knows if the issue already went out.
            log.info(
                "last run %s was due %s ago, within grace: running it now", issue_id, format_duration(late_by)
            )
            self._guarded(self._run, previous)
        else:
            log.info(
                "last run %s was due %s ago, beyond the grace of %s: not catching up",
                issue_id,
                format_duration(late_by),
                format_duration(self.grace),
            )
        self.log_next(self.clock())

    def tick(self, now: dt.datetime | None = None) -> None:
        now = now or self.clock()
        if self.checked_until is None:
            self.checked_until = now
        decisions = decide(self.slot, self.grace, self.checked_until, now)
        self.checked_until = now
        for decision in decisions:
            self._act(decision)
        if self.on_tick is not None:
            self._guarded(self.on_tick, now)
        if decisions:
            self.log_next(self.clock())

    def log_next(self, now: dt.datetime) -> dt.datetime:
        upcoming = self.slot.next_run(now)
        log.info(
            "next run: %s, issue %s",
            self.slot.describe(upcoming),
            issue_id_for(self.slot.issue_date(upcoming)),
        )
        return upcoming

    def run_once(self) -> JobResult:
        """`--once`: run the job for the next slot now, as if its time had come."""
        upcoming = self.slot.next_run(self.clock())
        log.info("running the next issue now: %s", issue_id_for(self.slot.issue_date(upcoming)))
        return self._run(upcoming)

    def _act(self, decision: Decision) -> None:
        issue_id = issue_id_for(self.slot.issue_date(decision.slot))
        when = self.slot.describe(decision.slot)
        if decision.action is Action.SKIP:
            log.warning(
                "missed run for %s (%s), %s late, beyond the grace of %s: skipped",
                issue_id,
                when,
                format_duration(decision.late_by),
                format_duration(self.grace),
            )
            return
        if decision.late_by > dt.timedelta(seconds=self.tick_seconds * 3):
            log.info(
                "catching up the run for %s (%s), %s late", issue_id, when, format_duration(decision.late_by)
            )
        else:
            log.info("running %s (%s)", issue_id, when)
        self._guarded(self._run, decision.slot)

    def _run(self, moment: dt.datetime) -> JobResult:
        self.running = True
        try:
            return self.job(moment)
        finally:
            self.running = False

    @staticmethod
    def _guarded(action: Callable[[dt.datetime], object], moment: dt.datetime) -> None:
        # One bad week (a config error, an SMTP outage) must not end the weekly process.
        try:
            action(moment)
        except KeyboardInterrupt:
            raise
        except Exception:
            log.exception("the run failed; the scheduler carries on")

    # -- the loop --------------------------------------------------------------------------------

    def run_forever(self, stop: threading.Event) -> None:
        """Tick on `schedule` until ``stop`` is set (SIGTERM/SIGINT, see ``stop_on_signals``)."""
        ticker = schedule.Scheduler()
        ticker.every(self.tick_seconds).seconds.do(self.tick)
        try:
            self.start()
            while not stop.is_set():
                ticker.run_pending()
                idle = ticker.idle_seconds
                stop.wait(
                    timeout=self.tick_seconds if idle is None else max(0.0, min(idle, self.tick_seconds))
                )
        except Interrupted:
            log.info("stopped during a run; the next run picks up where it left off")
            return
        log.info("stopped")


@contextmanager
def stop_on_signals(scheduler: WeeklyScheduler[object]) -> Iterator[threading.Event]:
    """SIGTERM/SIGINT set the returned event; during a run they also interrupt it (Ctrl-C semantics).

    Interrupting a send is safe: delivery keeps a send log, so the next run resumes where it stopped.
    """
    stop = threading.Event()

    def handle(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        stop.set()
        if scheduler.running:
            log.warning("%s: interrupting the current run and stopping", name)
            raise Interrupted(name)
        log.info("%s: stopping", name)

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield stop
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def project_scheduler(config_path: Path, *, clock: Clock = utc_now) -> WeeklyScheduler[RunResult | None]:
    """The scheduler for a digest.toml. Each run rereads the file, so edits apply from the next run
    (all but the schedule itself, which is fixed when the process starts)."""
    project = load_project_config(config_path)

    def job(moment: dt.datetime) -> RunResult | None:
        try:
            # A run that stops tells the editors why (once per issue); its line says if it could.
            result = run_and_tell(
                load_project_config(config_path), project.slot.issue_date(moment), send=True, now=clock()
            )
        except DigestError as e:  # one line, like the CLI; the scheduler carries on
            log.error("%s", e)
            return None
        log.log(logging.INFO if result.exit_code == ExitCode.DONE else logging.WARNING, "%s", result.line)
        return result

    def approvals(now: dt.datetime) -> None:
        # Proofed issues whose approval deadline passed with no objection go out.
        for result in send_due_approvals_and_tell(load_project_config(config_path), now=now):
            log.info("%s", result.line)

    on_tick = approvals if project.schedule.approval_window() is not None else None
    return WeeklyScheduler(project.slot, project.schedule.grace_period(), job, clock=clock, on_tick=on_tick)

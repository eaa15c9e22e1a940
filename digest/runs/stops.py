"""When an unattended run stops before the issue went out, the editors hear it: once per issue and
kind of stop, like the thin-week notice, with the exact command that sends it anyway.

    run_and_tell: run_issue → did it stop (lint errors, the mail server, the settings or the
    week's files, the database, a run lock held too long, a send stopped part-way, a bug)? →
    with --send, email the editors unless this issue's stop of this kind was told already.

The record is the store's stop_notices table: a row is claimed before the email goes out (two
ticks at once send one) and released when no editor could be told (the mail server is down: the
next tick tries again). When the store itself is what fails, the record is a small file beside
it; when that cannot be written either, the notice goes out unrecorded and the log says so.
A different kind of stop for the same issue is news, so it emails again.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import shlex
from dataclasses import replace
from pathlib import Path
from typing import Protocol

from digest.atomic import write_atomically
from digest.clock import utc_now
from digest.deliver import SmtpError
from digest.errors import Busy, Damaged, DigestError, DiskFull, ReadOnly, machine_error
from digest.feedback.thresholds import SendHeld
from digest.runs.approval import send_due_approvals
from digest.runs.complaints import held_advice
from digest.runs.notices import StoppedRun, send_to_editors, stopped_run_message
from digest.runs.result import ExitCode, RunResult
from digest.runs.run import run_issue
from digest.settings import DeliverySettings, ProjectConfig
from digest.store import IssueLocked, StopNotices, open_store
from digest.weekly import first_day_of, issue_id_for

log = logging.getLogger("digest.runs.run")

LOCK_HELD_TOO_LONG = dt.timedelta(hours=2)
"""A run lock older than this is no longer a run in progress but a stuck one: the editors hear it.
(A younger one is another tick's run at work, and the next tick sees how it ended.)"""

PROOF_FIRST = " (With [schedule] require_approval it sends the editors a [PROOF] first.)"
"""Said of a week not proofed yet; a proofed issue's deadline send resumes without a new proof."""

UNEXPECTED_EXIT = 1
"""What Python exits with on an uncaught exception (a bug): the traceback is in the log."""


class RunStopped(DigestError):
    """A run's error, with what became of the editors' notice added to its one line."""

    def __init__(self, error: DigestError, told: str) -> None:
        super().__init__(f"{error}; {told}")
        self.exit_code = error.exit_code


def run_and_tell(
    project: ProjectConfig,
    issue_date: dt.date,
    *,
    send: bool = False,
    now: dt.datetime | None = None,
    environ: dict[str, str] | None = None,
    **flags: bool,
) -> RunResult:
    """``run_issue`` (``flags``: its resend_uncertain and force); when a --send run stops, the
    editors are told (once per issue and kind), and the run's line says whether they were."""
    now = now or utc_now()
    try:
        result = run_issue(project, issue_date, send=send, now=now, environ=environ, **flags)
    except DigestError as error:
        stop = stop_of_error(project, issue_date, error, now) if send else None
        if stop is None:
            raise
        raise RunStopped(error, tell_editors(project, stop, now, environ)) from error
    except Exception as error:  # a bug: the traceback goes on, the editors still hear it stopped
        if send:
            what = f"{type(error).__name__}: {error}"
            advice = "digest stopped on an unexpected error (a bug): the traceback is in the run's log."
            stop = _stopped(project, issue_date, "an unexpected error", what, advice=advice)
            try:
                log.error("%s", tell_editors(project, stop, now, environ))
            except Exception:  # the bug's own traceback matters more than this one's
                log.exception("could not tell the editors")
        raise
    stop = stop_of_result(project, issue_date, result) if send else None
    if stop is None:
        return result
    return replace(result, reason=f"{result.reason}; {tell_editors(project, stop, now, environ)}")


def send_due_approvals_and_tell(
    project: ProjectConfig, *, now: dt.datetime | None = None, environ: dict[str, str] | None = None
) -> list[RunResult]:
    """The proofed issues whose approval deadline passed go out (runs.approval.send_due_approvals);
    one whose send stops (the mail server, the database, part-way) tells the editors like a run."""
    now = now or utc_now()

    def stopped(issue_id: str, error: DigestError) -> RunResult:
        stop = stop_of_error(project, first_day_of(issue_id), error, now)
        if stop is not None:
            stop = replace(stop, advice=stop.advice.removesuffix(PROOF_FIRST))
        told = tell_editors(project, stop, now, environ) if stop else "another run is at work on it"
        return RunResult(issue_id, ExitCode(error.exit_code), f"{error}; {told}")

    results = []
    for result in send_due_approvals(project, now=now, environ=environ, stopped=stopped):
        stop = stop_of_result(project, first_day_of(result.issue_id), result)
        if stop is not None:
            stop = replace(stop, advice=stop.advice.removesuffix(PROOF_FIRST))
            result = replace(result, reason=f"{result.reason}; {tell_editors(project, stop, now, environ)}")
        results.append(result)
    return results


# --- what stopped it, in plain words, and the command that sends it anyway ------------------------


def stop_of_result(project: ProjectConfig, issue_date: dt.date, result: RunResult) -> StoppedRun | None:
    """The stop a run's result is, if it is one (a thin week has its own notice)."""
    if result.exit_code is ExitCode.LINT_FAILED:
        return _stopped(
            project,
            issue_date,
            "lint errors",
            result.reason.removeprefix("stopped: "),
            ExitCode.LINT_FAILED,
            force=True,
            advice="Preflight (digest lint) found errors in the issue, so it was neither archived nor "
            "sent. Fix the stories, or send it as it is: --force sends it in spite of the errors.",
        )
    if result.exit_code is ExitCode.INCOMPLETE:
        return _stopped(
            project,
            issue_date,
            "sending stopped part-way",
            result.reason,
            ExitCode.INCOMPLETE,
            advice="The next run resumes the send by itself; the command below does it now. "
            "Copies the line calls uncertain go again only with --resend-uncertain "
            "(their readers may get two).",
            part_way=True,
        )
    return None


def stop_of_error(
    project: ProjectConfig, issue_date: dt.date, error: DigestError, now: dt.datetime
) -> StoppedRun | None:
    """The stop an error is; None for another run at work on the issue (not stuck yet)."""
    what, code = str(error), error.exit_code
    if isinstance(error, IssueLocked):
        holder = error.holder
        if holder is None or now - holder.since < LOCK_HELD_TOO_LONG:
            return None
        advice = (
            "Another run has held the issue's lock for too long. If that process is stuck, stop it "
            "(a lock whose process has gone is taken over by itself)."
        )
        return _stopped(project, issue_date, "a run lock held too long", what, code, advice=advice)
    if isinstance(error, SendHeld):
        advice, acknowledge = held_advice(project, error)
        stop = _stopped(project, issue_date, "held for complaints", what, code, advice=advice)
        return replace(stop, commands=(*acknowledge, *stop.commands))
    if isinstance(error, SmtpError):
        advice = "The mail server could not be used: once it works, the command below sends it."
        return _stopped(project, issue_date, "the mail server", what, code, advice=advice)
    if isinstance(error, DiskFull | Busy | Damaged | ReadOnly):
        advice = "The database (or a file digest writes) could not be used: fix that first."
        return _stopped(project, issue_date, "the database", what, code, advice=advice)
    advice = "Fix the file and setting named above first."
    return _stopped(project, issue_date, "a problem in the settings or the week's files", what, code, advice)


def _stopped(
    project: ProjectConfig,
    issue_date: dt.date,
    kind: str,
    what: str,
    exit_code: int = UNEXPECTED_EXIT,
    advice: str = "",
    *,
    force: bool = False,
    part_way: bool = False,
) -> StoppedRun:
    command = ["digest", "run", "--send", *(["--force"] if force else []), "--date", issue_date.isoformat()]
    command += ["--config", str(project.path.resolve())]
    if project.schedule.require_approval:
        advice += PROOF_FIRST
    return StoppedRun(
        issue_id=issue_id_for(issue_date),
        issue_date=issue_date,
        kind=kind,
        what=what,
        exit_code=exit_code,
        commands=(shlex.join(command),),
        advice=advice.strip(),
        part_way=part_way,
    )


# --- telling the editors, once ----------------------------------------------------------------------


class NoticeRecord(Protocol):
    def claim(self, issue_id: str, kind: str, now: dt.datetime) -> dt.datetime | None: ...
    def release(self, issue_id: str, kind: str) -> None: ...


def tell_editors(
    project: ProjectConfig, stop: StoppedRun, now: dt.datetime, environ: dict[str, str] | None
) -> str:
    """Email the editors about ``stop`` unless they were told of this issue's stop of this kind;
    returns what became of it, for the run's line."""
    delivery = project.delivery
    if delivery is None:
        return "the editors could not be told: no [store] and [smtp] settings"
    try:
        store = open_store(delivery.store)
    except DigestError as error:
        log.warning("the stop notice is recorded beside the store, which cannot be used: %s", error)
        return _tell_once(FileNotices(_notices_file(delivery)), project, stop, now, environ)
    try:
        return _tell_once(StopNotices(store), project, stop, now, environ)
    finally:
        store.close()


def _tell_once(
    record: NoticeRecord,
    project: ProjectConfig,
    stop: StoppedRun,
    now: dt.datetime,
    environ: dict[str, str] | None,
) -> str:
    recorded = True
    try:
        told_at = record.claim(stop.issue_id, stop.kind, now)
    except DigestError as error:
        if not isinstance(record, FileNotices) and project.delivery is not None:
            return _tell_once(FileNotices(_notices_file(project.delivery)), project, stop, now, environ)
        log.warning("cannot record the stop notice (%s): the next run may tell the editors again", error)
        told_at, recorded = None, False
    if told_at is not None:
        return f"the editors were told {told_at:%Y-%m-%d %H:%M} UTC"
    editors = project.schedule.editors
    assert project.delivery is not None  # checked by tell_editors
    try:
        message = stopped_run_message(project.newsletter, editors, stop)
        failures = send_to_editors(message, editors, project.delivery, environ=environ)
    except DigestError as error:
        failures = [f"{error}"] * len(editors)
    if len(failures) == len(editors):
        if recorded:
            record.release(stop.issue_id, stop.kind)
        reason = failures[0] if len(set(failures)) == 1 else "see the log"
        return f"the editors could not be told ({reason}); the next run tries again"
    told = f"the editors were told ({len(editors) - len(failures)} of {len(editors)})"
    return told if recorded else told + ", but it could not be recorded: the next run may tell them again"


def _notices_file(delivery: DeliverySettings) -> Path:
    return delivery.store_path.with_name(delivery.store_path.name + ".stop-notices.json")


class FileNotices:
    """The stop notices' record when the store cannot keep it: a JSON file beside the database."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _read(self) -> dict[str, str]:
        try:
            return dict(json.loads(self.path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            return {}

    def _write(self, told: dict[str, str]) -> None:
        try:
            write_atomically(self.path, json.dumps(told, indent=1).encode())
        except OSError as error:
            raise (machine_error(error, where=self.path) or DigestError(str(error))) from error

    def claim(self, issue_id: str, kind: str, now: dt.datetime) -> dt.datetime | None:
        told = self._read()
        if f"{issue_id} {kind}" in told:
            return dt.datetime.fromisoformat(told[f"{issue_id} {kind}"])
        self._write({**told, f"{issue_id} {kind}": now.astimezone(dt.UTC).isoformat(timespec="seconds")})
        return None

    def release(self, issue_id: str, kind: str) -> None:
        told = self._read()
        told.pop(f"{issue_id} {kind}", None)
        self._write(told)

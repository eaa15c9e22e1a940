"""The approval gate: `digest approve` / `digest reject` of a proofed issue, and its deadline.

With [schedule] require_approval, a run sends the editors a [PROOF] and the issue waits in the
history (digest/store/run_history.py) with the proof's content hash. Approving names that hash
and sends the issue to the subscribers as proofed, from the run's archive; an approval of another
proof (a stale page: a new proof went out since) is refused. Rejecting holds it; with
approval_deadline, an issue nobody rejected goes out by itself. ``plan_approval`` says what an
approval would send, to how many, and how the week's issue folder differs from the proof now.

``schedule_send`` approves a week ahead (the desk's "Schedule for …"): built and archived now, it
goes out at the week's [schedule] slot as the issue that was confirmed, through the same deadline
(runs/scheduled.py); ``cancel_schedule`` takes that back.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace

from digest.deliver import SendLedger, SendState
from digest.errors import DigestError
from digest.model import Issue, RenderedIssue
from digest.pipeline import compose_week, gather_stories
from digest.runs.archive import archive_issue, issue_hash, load_archived_issue
from digest.runs.proof import describe_changes
from digest.runs.run import (
    ExitCode,
    RunContext,
    RunResult,
    build_and_proof,
    logged_preflight,
    run_context,
    run_issue,
    send_archived,
    settle,
)
from digest.runs.scheduled import is_scheduled, scheduled_line
from digest.runs.week import week_config, week_folder
from digest.settings import ISSUE_FILE, ProjectConfig
from digest.store import IssueLocked, IssueRecord, IssueState, issue_lock
from digest.weekly import issue_id_for

log = logging.getLogger("digest.runs.run")


def approve_issue(
    project: ProjectConfig,
    issue_id: str,
    *,
    by: str,
    proof_hash: str | None = None,
    now: dt.datetime | None = None,
    environ: dict[str, str] | None = None,
) -> RunResult:
    """An editor approves the proofed issue: it goes out to the subscribers now, as proofed.

    ``proof_hash`` names the proof approved (the preview's form, `digest approve` after showing
    it): when the history's proof is another one, nothing is sent. Either way, the archived issue
    must be the one proofed."""
    with _deciding(project, issue_id, proof_hash, now, environ) as (context, record):
        archived = load_archived_issue(project.archive_dir, issue_id)
        if record.proof_hash and issue_hash(archived) != record.proof_hash:
            raise ApprovalError(
                f"{issue_id}: not sent: the archived issue is not the one proofed "
                "(rebuilt since the proof); send a new proof first"
            )
        context.history.record(issue_id, record.state, record.detail, decided_by=by, decided_at=context.now)
        return send_archived(context, issue_id, f"approved by {by}")


def send_new_proof(
    project: ProjectConfig,
    issue_id: str,
    *,
    proof_hash: str | None = None,
    now: dt.datetime | None = None,
    environ: dict[str, str] | None = None,
) -> RunResult:
    """Proof the week's issue as it stands now (after the editors changed it): build, check and
    archive it, send the [PROOF] to the editors and record its hash. ``proof_hash``: the proof the
    editor was looking at; if a newer one went out meanwhile, nothing is sent."""
    if not project.schedule.require_approval:  # else the "proof" would go to every subscriber
        raise ApprovalError(
            "[schedule] require_approval is off: there is no proof to send", where=project.path
        )
    with _deciding(project, issue_id, proof_hash, now, environ) as (context, record):
        issue_date = load_archived_issue(project.archive_dir, issue_id).date
        return build_and_proof(context, issue_date, record)


@contextmanager
def _deciding(
    project: ProjectConfig,
    issue_id: str,
    proof_hash: str | None,
    now: dt.datetime | None,
    environ: dict[str, str] | None,
) -> Iterator[tuple[RunContext, IssueRecord]]:
    """The issue's lock and its record, when it waits for a decision on the proof ``proof_hash``
    names (None: whichever is the latest); else ApprovalError, and nothing is done."""
    with run_context(project, now, environ) as unlocked, issue_lock(unlocked.store, issue_id) as lock:
        context = unlocked.holding(lock)
        record = context.history.get(issue_id)
        if record is None or record.state not in DECIDABLE:
            raise ApprovalError(_nothing_to_decide(issue_id, record))
        if proof_hash is not None and proof_hash != record.proof_hash:
            raise ApprovalError(
                f"{issue_id}: not sent: a newer proof went out ({_when(record.proof_sent_at)}) since "
                "this one; look at the latest proof and approve that"
            )
        yield context, record


@dataclass(frozen=True)
class ApprovalPlan:
    """What approving an issue would send now: the proofed issue, to how many subscribers, and how
    the week's issue as it stands differs from it."""

    record: IssueRecord
    proofed: Issue
    subscribers: int
    """Active subscribers who do not have the issue yet: who an approval sends it to."""
    changes: list[str] | None = None
    """How the current issue differs from the proof ([]: it does not); None: not compared."""

    @property
    def proof_hash(self) -> str:
        """What an approval of this proof names ("" for a proof from before digest recorded it)."""
        return self.record.proof_hash

    @property
    def changed(self) -> bool:
        return bool(self.changes)

    @property
    def audience(self) -> str:
        """Who an approval sends it to: "1,234 subscribers"."""
        return f"{self.subscribers:,} subscriber{'' if self.subscribers == 1 else 's'}"

    def compared_with(self, current: Issue | None) -> ApprovalPlan:
        """The plan with how ``current`` (the issue as the editors' choices make it now) differs."""
        if current is None:
            return self
        return replace(self, changes=describe_changes(self.proofed, current))


def plan_approval(project: ProjectConfig, issue_id: str) -> ApprovalPlan:
    """Where an issue awaiting a decision stands: its proof and who an approval sends it to.
    Raises ApprovalError when there is nothing to decide."""
    with run_context(project) as context:
        record = context.history.get(issue_id)
        if record is None or record.state not in DECIDABLE:
            raise ApprovalError(_nothing_to_decide(issue_id, record))
        subscribers = SendLedger(context.store, issue_id).count_pending()
    return ApprovalPlan(record, load_archived_issue(project.archive_dir, issue_id), subscribers)


def current_issue(project: ProjectConfig, issue_date: dt.date) -> Issue | None:
    """The week's issue as its folder makes it now; None for a week without an issue folder
    (gathered from feeds: composing it again would fetch them, and it has nothing to edit)."""
    if not (week_folder(project, issue_date) / ISSUE_FILE).is_file():
        return None
    return compose_week(gather_stories(week_config(project, issue_date))).issue


def reject_issue(
    project: ProjectConfig,
    issue_id: str,
    *,
    by: str,
    reason: str = "",
    now: dt.datetime | None = None,
) -> RunResult:
    """An editor objects: the issue is held (no deadline sends it) until approved after all."""
    with run_context(project, now) as context, issue_lock(context.store, issue_id):
        record = context.history.get(issue_id)
        if record is None or record.state is not IssueState.AWAITING_APPROVAL:
            raise ApprovalError(_nothing_to_decide(issue_id, record))
        detail = f"rejected by {by}" + (f": {reason}" if reason else "")
        context.history.record(issue_id, IssueState.REJECTED, detail, decided_by=by, decided_at=context.now)
        return RunResult(issue_id, ExitCode.DONE, f"{detail}; subscribers will not get it")


def schedule_send(
    project: ProjectConfig,
    issue_date: dt.date,
    *,
    by: str,
    confirmed_hash: str,
    now: dt.datetime | None = None,
) -> RunResult:
    """Approve the week ahead: build and archive it now, and record that the copy whose content
    hash is ``confirmed_hash`` goes out at the week's [schedule] slot, with no further approval.
    ApprovalError (nothing recorded) when the slot has passed, the week is not a built one, or the
    issue is no longer the one confirmed."""
    issue_id = issue_id_for(issue_date)
    slot = project.slot
    at = slot.on(issue_date)
    built = run_issue(project, issue_date, now=now)
    with run_context(project, now) as context, issue_lock(context.store, issue_id):
        if at <= context.now:
            raise ApprovalError(f"{issue_id}: not scheduled: its time ({slot.describe(at)}) has passed")
        record = context.history.get(issue_id)
        if record is None or record.state is not IssueState.BUILT or built.exit_code != ExitCode.DONE:
            raise ApprovalError(f"{issue_id}: not scheduled: {built.line}")
        if issue_hash(load_archived_issue(project.archive_dir, issue_id)) != confirmed_hash:
            raise ApprovalError(
                f"{issue_id}: not scheduled: the issue changed since this confirmation was shown; "
                "look at it again and confirm again"
            )
        record = context.history.record(
            issue_id,
            IssueState.AWAITING_APPROVAL,
            f"scheduled for {slot.describe(at)} by {by}",
            decided_by=by,
            decided_at=context.now,
            deadline=at,
            proof_hash=confirmed_hash,
        )
        return RunResult(issue_id, ExitCode.DONE, scheduled_line(record))


def cancel_schedule(
    project: ProjectConfig, issue_date: dt.date, *, by: str, now: dt.datetime | None = None
) -> RunResult:
    """Take a schedule back: the week is built again, not approved; its slot's run treats it as
    any built week (with require_approval, a proof to the editors)."""
    issue_id = issue_id_for(issue_date)
    with run_context(project, now) as context, issue_lock(context.store, issue_id):
        record = context.history.get(issue_id)
        if record is None or not is_scheduled(record):
            raise ApprovalError(f"{issue_id}: nothing scheduled to cancel")
        detail = f"schedule cancelled by {by}"
        context.history.record(
            issue_id, IssueState.BUILT, detail, decided_by=by, decided_at=context.now, deadline=None
        )
        return RunResult(
            issue_id, ExitCode.DONE, f"{detail}; the run at its time treats it as any built week"
        )


def keep_confirmed(
    project: ProjectConfig,
    issue_date: dt.date,
    rendered: RenderedIssue,
    *,
    by: str,
    confirmed_hash: str,
    now: dt.datetime | None = None,
) -> bool:
    """The desk's confirmed Send: keep the very copy the confirmation showed (archived, its hash
    recorded, approved by ``by`` with a deadline of now), so the run that follows sends it as
    kept, as an approval sends the proofed copy, and never composes the week again: an edit after
    the confirmation cannot slip in. False (nothing kept) where the run keeps its own course: a
    send already under way resumes its archived copy; a thin week is the run's to skip and tell.
    ApprovalError when the copy is not the one confirmed, or preflight finds errors in it."""
    issue_id = issue_id_for(issue_date)
    if issue_hash(rendered.issue) != confirmed_hash:
        raise ApprovalError(
            f"{issue_id}: not sent: the issue changed since this confirmation was shown; "
            "look at it again and confirm again"
        )
    with run_context(project, now) as context, issue_lock(context.store, issue_id):
        record = context.history.get(issue_id)
        started = SendLedger(context.store, issue_id).counts().get(SendState.SENT)
        if (record is not None and record.state is not IssueState.BUILT) or started:
            return False
        if len(rendered.issue.stories) < project.schedule.min_stories:
            return False
        verdict = logged_preflight(rendered)
        if not verdict.passed:
            raise ApprovalError(f"{issue_id}: not sent: {verdict.verdict()}")
        archive_issue(rendered, project.archive_dir)
        context.history.record(
            issue_id,
            IssueState.AWAITING_APPROVAL,
            f"confirmed from the desk by {by}",
            decided_by=by,
            decided_at=context.now,
            deadline=context.now,
            proof_hash=confirmed_hash,
        )
    return True


StopHandler = Callable[[str, DigestError], RunResult]
"""What becomes of a deadline send that stopped on an error (the issue id, the error)."""


def send_due_approvals(
    project: ProjectConfig,
    *,
    now: dt.datetime | None = None,
    environ: dict[str, str] | None = None,
    stopped: StopHandler | None = None,
) -> list[RunResult]:
    """Every proofed issue whose approval deadline passed with no objection: send it now (or
    resume its send, when one stopped part-way). With
    ``stopped``, an issue whose send fails is its answer and the others still go (else it raises)."""
    if project.schedule.approval_window() is None:
        return []
    results = []
    with run_context(project, now, environ) as context:
        for due in context.history.past_deadline(context.now):
            try:
                with issue_lock(context.store, due.issue_id) as lock:
                    record = context.history.get(due.issue_id)  # an editor may have decided meanwhile
                    answer = settle(context.holding(lock), due.issue_id, record, send=True)
            except IssueLocked as e:
                log.info("%s", e)
                continue
            except DigestError as e:
                if stopped is None:
                    raise
                answer = stopped(due.issue_id, e)
            if answer is not None:
                results.append(answer)
    return results


DECIDABLE = (IssueState.AWAITING_APPROVAL, IssueState.REJECTED)


class ApprovalError(DigestError):
    """`digest approve` / `reject` of an issue that is not waiting for a decision."""


def _nothing_to_decide(issue_id: str, record: IssueRecord | None) -> str:
    if record is None:
        return f"{issue_id}: no such issue in the history (no run has built it)"
    return f"{issue_id}: not awaiting approval ({_describe(record)})"


def _when(moment: dt.datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else "at an unknown time"


def _describe(record: IssueRecord) -> str:
    return f"{record.state.replace('_', ' ')}: {record.detail}" if record.detail else str(record.state)

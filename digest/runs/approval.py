"""The approval gate: `digest approve` / `digest reject` of a proofed issue, and its deadline.

With [schedule] require_approval, a run sends the editors a [PROOF] and the issue waits in the
history (digest/runlog.py). Approving sends it to the subscribers as proofed, from the run's
archive; rejecting holds it; with approval_deadline, an issue nobody rejected goes out by itself.
"""

from __future__ import annotations

import datetime as dt
import logging

from digest.errors import DigestError
from digest.runs.run import ExitCode, RunResult, run_context, send_archived, settle
from digest.settings import ProjectConfig
from digest.store import IssueLocked, IssueRecord, IssueState, issue_lock

log = logging.getLogger("digest.runs.run")


def approve_issue(
    project: ProjectConfig,
    issue_id: str,
    *,
    by: str,
    now: dt.datetime | None = None,
    environ: dict[str, str] | None = None,
) -> RunResult:
    """An editor approves the proofed issue: it goes out to the subscribers now, as proofed."""
    with run_context(project, now, environ) as unlocked, issue_lock(unlocked.store, issue_id) as lock:
        context = unlocked.holding(lock)
        record = context.history.get(issue_id)
        if record is None or record.state not in (IssueState.AWAITING_APPROVAL, IssueState.REJECTED):
            raise ApprovalError(_nothing_to_decide(issue_id, record))
        context.history.record(issue_id, record.state, record.detail, decided_by=by, decided_at=context.now)
        return send_archived(context, issue_id, f"approved by {by}")


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


def send_due_approvals(
    project: ProjectConfig, *, now: dt.datetime | None = None, environ: dict[str, str] | None = None
) -> list[RunResult]:
    """Every proofed issue whose approval deadline passed with no objection: send it now."""
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
            if answer is not None:
                results.append(answer)
    return results


class ApprovalError(DigestError):
    """`digest approve` / `reject` of an issue that is not waiting for a decision."""


def _nothing_to_decide(issue_id: str, record: IssueRecord | None) -> str:
    if record is None:
        return f"{issue_id}: no such issue in the history (no run has built it)"
    return f"{issue_id}: not awaiting approval ({_describe(record)})"


def _describe(record: IssueRecord) -> str:
    return f"{record.state.replace('_', ' ')}: {record.detail}" if record.detail else str(record.state)

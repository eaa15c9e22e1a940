"""A week approved ahead to go at its scheduled time (the desk's "Schedule for …").

It is the approval gate's own notion, not a parallel one: an issue awaiting approval with a
deadline goes out by itself once the deadline passes (runs/run.py `settle`). A scheduled issue is
such a record whose decision is already made: `decided_by` names who scheduled it (and
`decided_at` when), the deadline is the week's [schedule] slot, and `proof_hash` the content hash
of the archived copy they confirmed. The actions are in runs/approval.py.
"""

from __future__ import annotations

from digest.store.run_history import IssueRecord, IssueState


def is_scheduled(record: IssueRecord | None) -> bool:
    """Whether the record is an issue approved ahead to go out at its deadline."""
    return (
        record is not None
        and record.state is IssueState.AWAITING_APPROVAL
        and bool(record.decided_by)
        and record.deadline is not None
    )


def scheduled_line(record: IssueRecord) -> str:
    """ "scheduled for … by X at T": what the run and the desk say about a scheduled issue."""
    at = f" at {record.decided_at:%Y-%m-%d %H:%M} UTC" if record.decided_at else ""
    return f"{record.detail}{at}; the run at that time sends it (no further approval)"


def deadline_reason(record: IssueRecord) -> str:
    """Why an issue awaiting approval goes out now that its deadline has passed."""
    if is_scheduled(record) and record.decided_at == record.deadline:  # the desk's Send, confirmed
        return f"confirmed by {record.decided_by}"
    if is_scheduled(record):
        return f"scheduled by {record.decided_by}"
    return "nobody objected by the approval deadline"

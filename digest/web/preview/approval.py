"""The preview's approve button: the approval gate (`digest approve`) from the issue's page.

Shown only for an issue a scheduled run proofed (awaiting approval) or an editor rejected; what
the button sends is the issue as proofed, from the run's archive, exactly as `digest approve` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digest.errors import DigestError
from digest.runs.approval import ApprovalError, approve_issue
from digest.runs.run import RunResult
from digest.settings import load_issue_config, load_project_config
from digest.store import open_store
from digest.store.run_history import IssueHistory, IssueState
from digest.weekly import issue_id_for

DECIDABLE = (IssueState.AWAITING_APPROVAL, IssueState.REJECTED)


@dataclass(frozen=True, slots=True)
class Approval:
    issue_id: str
    state: IssueState
    detail: str
    project_file: Path

    @property
    def rejected(self) -> bool:
        return self.state is IssueState.REJECTED


def approval_for(folder: Path) -> Approval | None:
    """Where the folder's issue stands in the approval gate; None when there is nothing to decide
    (no run proofed it, no project history, or the folder does not load: its page says why)."""
    try:
        config = load_issue_config(folder)
    except DigestError:
        return None
    delivery = config.delivery
    if config.project_file is None or delivery is None or not delivery.store_path.is_file():
        return None
    issue_id = issue_id_for(config.issue.date)
    store = open_store(delivery.store_path)
    try:
        record = IssueHistory(store).get(issue_id)
    finally:
        store.close()
    if record is None or record.state not in DECIDABLE:
        return None
    return Approval(issue_id, record.state, record.detail, config.project_file)


def approve_folder(folder: Path, *, by: str) -> RunResult:
    """The button: approve the folder's proofed issue, which goes out to the subscribers now."""
    approval = approval_for(folder)
    if approval is None:
        raise ApprovalError(f"{folder.name}: not awaiting approval")
    return approve_issue(load_project_config(approval.project_file), approval.issue_id, by=by)

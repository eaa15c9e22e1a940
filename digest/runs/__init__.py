"""The unattended week: a run (gather → compose → render → lint → archive → send), the weekly
scheduler, the approval gate, the editors' notices and the archive of what was built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from digest.faces import lazy_face

_EXPORTS: dict[str, tuple[str, ...]] = {
    "digest.runs.approval": (
        "ApprovalError",
        "approve_issue",
        "reject_issue",
        "send_due_approvals",
    ),
    "digest.runs.archive": (
        "ArchiveError",
        "archive_issue",
        "issue_folder",
        "load_archived_issue",
    ),
    "digest.runs.notices": (
        "ThinWeek",
        "send_to_editors",
        "thin_week_message",
    ),
    "digest.runs.result": (
        "ExitCode",
        "RunResult",
    ),
    "digest.runs.run": ("run_issue",),
    "digest.runs.scheduler": (
        "WeeklyScheduler",
        "project_scheduler",
        "stop_on_signals",
    ),
    "digest.runs.stops": ("run_and_tell",),
}

__all__ = [
    "ApprovalError",
    "ArchiveError",
    "ExitCode",
    "RunResult",
    "ThinWeek",
    "WeeklyScheduler",
    "approve_issue",
    "archive_issue",
    "issue_folder",
    "load_archived_issue",
    "project_scheduler",
    "reject_issue",
    "run_and_tell",
    "run_issue",
    "send_due_approvals",
    "send_to_editors",
    "stop_on_signals",
    "thin_week_message",
]

__getattr__, __dir__ = lazy_face(globals(), _EXPORTS)

if TYPE_CHECKING:  # for type checkers and editors: the same names, imported eagerly
    from digest.runs.approval import ApprovalError, approve_issue, reject_issue, send_due_approvals
    from digest.runs.archive import ArchiveError, archive_issue, issue_folder, load_archived_issue
    from digest.runs.notices import ThinWeek, send_to_editors, thin_week_message
    from digest.runs.result import ExitCode, RunResult
    from digest.runs.run import run_issue
    from digest.runs.scheduler import WeeklyScheduler, project_scheduler, stop_on_signals
    from digest.runs.stops import run_and_tell

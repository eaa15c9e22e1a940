"""The unattended week: a run (gather → compose → render → lint → archive → send), the weekly
scheduler, the approval gate, the editors' notices and the archive of what was built."""

from digest.runs.approval import ApprovalError, approve_issue, reject_issue, send_due_approvals
from digest.runs.archive import ArchiveError, archive_issue, issue_folder, load_archived_issue
from digest.runs.notices import ThinWeek, send_to_editors, thin_week_message
from digest.runs.result import ExitCode, RunResult
from digest.runs.run import run_issue
from digest.runs.scheduler import WeeklyScheduler, project_scheduler, stop_on_signals
from digest.runs.stops import run_and_tell

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

"""How a run ends: one line of reason and an exit code (the README lists them)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from digest.errors import (
    HELD_EXIT,
    INCOMPLETE_EXIT,
    LOCKED_EXIT,
    SMTP_UNUSABLE_EXIT,
    Busy,
    Damaged,
    DiskFull,
    ReadOnly,
)


class ExitCode(IntEnum):
    """`digest run`'s exit codes, for cron mail and systemd's SuccessExitStatus (see the README)."""

    DONE = 0
    """Built, sent, proofed, or nothing to do (already sent, not due, awaiting approval)."""
    LINT_FAILED = 1
    """Preflight found errors; nothing was archived or sent."""
    USER_ERROR = 2
    """A configuration or input problem (the same code every digest command uses)."""
    SMTP_UNUSABLE = SMTP_UNUSABLE_EXIT
    """The SMTP server could not be used at all (as for `digest send`)."""
    LOCKED = LOCKED_EXIT
    """Another process is building or sending this issue right now."""
    INCOMPLETE = INCOMPLETE_EXIT
    """Sending stopped part-way (temporary failures, or interrupted); the next run resumes it."""
    THIN_WEEK = 6
    """Fewer stories than [schedule] min_stories: the issue was skipped (editors told with --send)."""
    DISK_FULL = DiskFull.exit_code
    """No space left for the database (or a file being written); the next run resumes."""
    STORE_BUSY = Busy.exit_code
    """Another process held the database's write lock for longer than the store waits."""
    STORE_DAMAGED = Damaged.exit_code
    """The database file is damaged or cannot be read."""
    READ_ONLY = ReadOnly.exit_code
    """The database file, its folder or the file system is read-only."""
    HELD = HELD_EXIT
    """A recent issue's complaint rate is over [feedback] complaint_hold_rate, not acknowledged."""


@dataclass(frozen=True, slots=True)
class RunResult:
    issue_id: str
    exit_code: ExitCode
    reason: str
    """One line saying what happened."""
    archived: Path | None = None

    @property
    def line(self) -> str:
        return f"{self.issue_id}: {self.reason}"

"""Errors a user can cause. Each becomes one line on stderr and an exit code at the CLI edge."""

from __future__ import annotations

import errno
from pathlib import Path


class DigestError(Exception):
    """A problem the user can fix. ``str()`` is the one line we print."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | Path | None = None) -> None:
        self.message = message
        self.where = str(where) if where is not None else None
        super().__init__(f"{self.where}: {message}" if self.where else message)


class ConfigError(DigestError):
    """digest.toml / issue.toml is missing, malformed or holds an invalid value."""


class StoryFileError(DigestError):
    """A story file cannot be read: bad front matter, a missing or mistyped key."""


class ThemeError(DigestError):
    """A theme folder or template is missing or does not compile."""


class RenderError(DigestError):
    """The theme produced MJML or HTML that cannot be compiled."""


class ComposeError(DigestError):
    """The editor's choices or the stories cannot make an issue (an unknown id, no possible lead)."""


class LintInputError(DigestError):
    """`digest lint` was given something it cannot read: not an issue folder, .html or .eml file."""


class SourceError(DigestError):
    """A feed or story folder cannot be gathered: unreachable, timed out, too large, not a feed."""


# --- the machine, not the input: each its own exit code, so a cron mail or a unit's status says
# which one without reading the line. The store's errors (digest/store/errors.py) are these too.


# The exit codes of errors defined on higher floors, here so that `digest run`'s table of exit
# codes (runs/result.py) loads without the SMTP client, the store or feedback: a timer's idle tick.
SMTP_UNUSABLE_EXIT = 3
"""The SMTP server could not be used at all (deliver/smtp.py's SmtpError)."""
LOCKED_EXIT = 4
"""Another process is building or sending this issue (store/run_history.py's IssueLocked)."""
INCOMPLETE_EXIT = 5
"""A send that left messages deferred (`digest send`) or stopped part-way (`digest run`): the
next run resumes it."""
HELD_EXIT = 11
"""`digest run --send`'s exit code when the send is held for complaints (feedback/thresholds.py)."""


class DiskFull(DigestError):
    """No space left where digest writes. Nothing half-written is kept: free space, run again."""

    exit_code = 7


class Busy(DigestError):
    """Another process held what digest needed for longer than digest waits."""

    exit_code = 8


class Damaged(DigestError):
    """A file digest must read is damaged: it reads as garbage or the disk cannot read it."""

    exit_code = 9


class ReadOnly(DigestError):
    """digest may not write where it must: a read-only file, folder or file system."""

    exit_code = 10


_OS_ERRORS: dict[int, type[DigestError]] = {
    errno.ENOSPC: DiskFull,
    errno.EDQUOT: DiskFull,
    errno.EROFS: ReadOnly,
    errno.EACCES: ReadOnly,
    errno.EPERM: ReadOnly,
}


def machine_error(error: OSError, *, where: str | Path | None = None) -> DigestError | None:
    """The one-line error for an OSError the machine caused (a full disk, a read-only folder),
    naming the file (`where`, when the error does not: a failed write names none); None for any
    other OSError (a bug, or for its caller to word)."""
    kind = _OS_ERRORS.get(error.errno or 0)
    if kind is None:
        return None
    reason = error.strerror or str(error)
    return kind(reason[:1].lower() + reason[1:], where=error.filename or where)

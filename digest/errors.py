"""Errors a user can cause. Each becomes one line on stderr and an exit code at the CLI edge."""

from __future__ import annotations

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

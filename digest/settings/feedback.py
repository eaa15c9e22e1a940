"""`[feedback]` (digest.toml only): where what comes back after a send is sent back to."""

from __future__ import annotations

from pydantic import ValidationError, field_validator

from digest.settings.files import SettingsFiles
from digest.settings.table import Table, check_address, invalid_settings


class FeedbackSettings(Table):
    return_path: str = ""
    """The bounce mailbox, e.g. "bounces@news.example.org": every message of a real send goes out
    with the envelope sender `bounces+<token>@news.example.org` (VERP: the token, signed with the
    newsletter's secret, names the issue and the subscriber), so each bounce maps to its subscriber.
    Unset: the from address is the envelope sender, as before."""

    @field_validator("return_path")
    @classmethod
    def _check_return_path(cls, value: str) -> str:
        if not value:
            return value
        address = check_address(value)
        if "<" in address or "+" in address.partition("@")[0]:
            raise ValueError("must be a bare address without a '+' tag (digest adds one per message)")
        return address


def feedback_settings(files: SettingsFiles) -> FeedbackSettings:
    """[feedback] of the digest.toml among `files` (the only file that may set it)."""
    project = files.project
    table = project.tables.get("feedback", {}) if project is not None else {}
    try:
        return FeedbackSettings.model_validate(table)
    except ValidationError as e:
        assert project is not None  # the defaults validate
        raise invalid_settings(e, project.path, FeedbackSettings) from None

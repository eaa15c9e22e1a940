"""`[feedback]` (digest.toml only): where what comes back after a send is sent back to."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from digest.errors import ConfigError
from digest.settings.files import SettingsFiles
from digest.settings.paths import resolved_path
from digest.settings.table import Table, check_address, project_table


class FeedbackSettings(Table):
    return_path: str = ""
    """The bounce mailbox, e.g. "bounces@news.example.org": every message of a real send goes out
    with the envelope sender `bounces+<token>@news.example.org` (VERP: the token, signed with the
    newsletter's secret, names the issue and the subscriber), so each bounce maps to its subscriber.
    Unset: the from address is the envelope sender, as before."""

    imap_host: str = ""
    """The mailbox `digest feedback fetch` reads (the return path's, or the List-Unsubscribe
    mailto's): IMAP host; its password comes from DIGEST_IMAP_PASSWORD, never from this file."""
    imap_port: int | None = Field(default=None, ge=1, le=65535)
    """Default: 993 with security "tls", 143 otherwise."""
    imap_user: str = ""
    imap_security: Literal["tls", "starttls", "none"] = "tls"
    imap_folder: str = "INBOX"
    imap_processed_folder: str = "Processed"
    """Where processed messages are moved (created when missing); "": they stay, flagged seen."""
    maildir: str = ""
    """Or a Maildir folder on this machine (processed messages are marked seen)."""
    mbox: str = ""
    """Or an mbox file (never rewritten: the store remembers what was processed)."""
    soft_bounce_limit: int = Field(default=3, ge=1, le=100)
    """Soft bounces (mailbox full, greylisted…) within soft_bounce_days that suppress an address."""
    soft_bounce_days: int = Field(default=30, ge=1, le=365)
    complaint_warn_rate: float = Field(default=0.001, gt=0, le=1)
    """An issue's complaints over its delivered copies above this (0.001: 0.1%, Gmail's line) tell
    the editors, once per issue."""
    complaint_hold_rate: float = Field(default=0.003, gt=0, le=1)
    """Above this (0.003: 0.3%, never to be reached) the next scheduled send is held until
    `digest feedback acknowledge ISSUE_ID`."""
    forward_to: str = ""
    """Where ordinary replies, auto-replies and challenge-responses that reach the feedback
    mailbox are forwarded (each once, attached whole); "": they are left unread by anyone."""

    @field_validator("complaint_hold_rate")
    @classmethod
    def _check_hold_rate(cls, value: float, info: ValidationInfo) -> float:
        warn = info.data.get("complaint_warn_rate")
        if warn is not None and value < warn:
            raise ValueError(f"must not be below complaint_warn_rate ({warn})")
        return value

    @field_validator("forward_to")
    @classmethod
    def _check_forward_to(cls, value: str) -> str:
        return check_address(value) if value else value

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
    return project_table(files, "feedback", FeedbackSettings)


@dataclass(frozen=True, slots=True)
class FeedbackMailbox:
    """The mailbox `digest feedback fetch` reads, resolved: an IMAP account, a Maildir or an mbox."""

    kind: Literal["imap", "maildir", "mbox"]
    settings: FeedbackSettings
    path: Path | None = None
    """The Maildir or mbox, relative to the digest.toml that named it."""

    @property
    def port(self) -> int:
        return self.settings.imap_port or (993 if self.settings.imap_security == "tls" else 143)

    def describe(self) -> str:
        """Where it is, for a line of output (no password: it is never in the settings)."""
        if self.kind == "imap":
            s = self.settings
            return f"imap://{s.imap_user}@{s.imap_host}:{self.port}/{s.imap_folder}"
        return f"{self.kind} {self.path}"


def feedback_mailbox(files: SettingsFiles, *, default_dir: Path) -> FeedbackMailbox | None:
    """[feedback]'s mailbox, or None when none is configured."""
    settings = feedback_settings(files)
    chosen = [key for key in ("imap_host", "maildir", "mbox") if getattr(settings, key)]
    where = files.project.path if files.project is not None else "digest.toml"
    if len(chosen) > 1:
        raise ConfigError(f"{where}: [feedback] set one mailbox to read, not {' and '.join(chosen)}")
    if settings.imap_host and not settings.imap_user:
        raise ConfigError(
            f"{where}: [feedback] imap_host needs imap_user (its password: DIGEST_IMAP_PASSWORD)"
        )
    if settings.imap_host:
        return FeedbackMailbox("imap", settings)
    for kind in ("maildir", "mbox"):
        value = getattr(settings, kind)
        if value:
            path = resolved_path(files, "feedback", kind, value, default=default_dir)
            return FeedbackMailbox(kind, settings, path)
    return None

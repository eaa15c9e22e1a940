"""issue.toml and digest.toml → validated settings. Every error names the file and the key."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from digest.errors import ConfigError
from digest.model import LinkTagging, Newsletter
from digest.validation import describe

ISSUE_FILE = "issue.toml"
PROJECT_FILE = "digest.toml"
STORIES_DIR = "stories"


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def check_address(value: str) -> str:
    """Accept 'Name <addr@host>' or a bare address; syntax only, never the network."""
    from email.utils import parseaddr

    _, address = parseaddr(value)
    if not address:
        raise ValueError("is not an email address")
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as e:
        raise ValueError(str(e)) from None
    if "\n" in value or "\r" in value:
        raise ValueError("must be on one line")
    return value


class UtmSettings(_Table):
    """``[newsletter.utm]``: UTM parameters on story links.

    utm_campaign is the issue id and utm_content the slot (``lead``, ``more-3``, ``sponsored-1``).
    """

    enabled: bool = True
    """Set to false to leave every link exactly as the story gave it."""
    source: str = Field(default="", pattern=r"^[A-Za-z0-9._~-]*$")
    """utm_source; empty means a slug of the newsletter's name, e.g. "meridian-daily"."""
    medium: str = Field(default="email", min_length=1, pattern=r"^[A-Za-z0-9._~-]+$")
    """utm_medium."""
    sponsored: bool = True
    """Tag sponsor links too: only appended, and a sponsor link already carrying utm_* is left alone."""

    def to_model(self) -> LinkTagging:
        return LinkTagging(
            enabled=self.enabled, source=self.source, medium=self.medium, sponsored=self.sponsored
        )


class NewsletterSettings(_Table):
    name: str = Field(min_length=1)
    """The newsletter's name, shown in the header and as the sender's display name."""
    publication: str = Field(min_length=1)
    """Who publishes it: "More from <publication>"."""
    from_address: str = Field(alias="from")
    """Sender, e.g. "GZERO Daily <daily@example.com>"."""
    base_url: str
    """Where the web archive and the unsubscribe endpoint live (https)."""
    postal_address: str = Field(min_length=1)
    """A physical address: required in commercial email by CAN-SPAM and similar laws."""
    lang: str = Field(default="en", pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")
    timezone: str = "UTC"
    reply_to: str = ""
    theme: str | None = None
    """A folder whose templates override the default theme file by file (relative to the file)."""
    utm: UtmSettings = UtmSettings()
    """UTM tagging of story links, ``[newsletter.utm]``."""

    _check_from = field_validator("from_address")(check_address)

    @field_validator("reply_to")
    @classmethod
    def _check_reply_to(cls, value: str) -> str:
        return check_address(value) if value else value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r}") from None
        return value

    def to_model(self) -> Newsletter:
        return Newsletter(
            name=self.name,
            publication=self.publication,
            from_address=self.from_address,
            base_url=self.base_url,
            postal_address=self.postal_address.strip(),
            lang=self.lang,
            timezone=self.timezone,
            reply_to=self.reply_to,
            utm=self.utm.to_model(),
        )


class IssueSettings(_Table):
    date: dt.date
    """The day the issue goes out."""
    subject: str | None = None
    """Defaults to the lead story's title."""
    preheader: str | None = None
    """The line inboxes show after the subject. Defaults to the lead's teaser."""
    lead: str | None = None
    """Id of the story to pin as lead."""
    intro: str = ""
    """An editor's note above the lead (Markdown)."""


class IssueFile(_Table):
    newsletter: NewsletterSettings
    issue: IssueSettings


@dataclass(frozen=True, slots=True)
class IssueConfig:
    """Everything needed to build one issue folder."""

    folder: Path
    newsletter: Newsletter
    issue: IssueSettings
    theme_dir: Path | None
    project_file: Path | None

    @property
    def stories_dir(self) -> Path:
        return self.folder / STORIES_DIR


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError("file not found", where=path) from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"not valid TOML: {e}", where=path) from None


def find_project_file(start: Path) -> Path | None:
    """The nearest digest.toml in the folder above an issue folder, or further up."""
    for folder in [start, *start.parents]:
        candidate = folder / PROJECT_FILE
        if candidate.is_file():
            return candidate
    return None


def load_issue_config(folder: Path, *, theme: Path | None = None) -> IssueConfig:
    folder = folder.resolve()
    if not folder.is_dir():
        raise ConfigError("is not an issue folder (expected a folder with issue.toml)", where=folder)
    issue_path = folder / ISSUE_FILE
    raw_issue = read_toml(issue_path)

    project_path = find_project_file(folder.parent)
    newsletter_raw: dict[str, Any] = {}
    newsletter_origin: Path = issue_path
    if project_path is not None:
        raw_project = read_toml(project_path)
        newsletter_raw.update(raw_project.get("newsletter", {}))
        newsletter_origin = project_path
    issue_newsletter = raw_issue.get("newsletter", {})
    if not isinstance(issue_newsletter, dict):
        raise ConfigError("[newsletter] must be a table", where=issue_path)
    newsletter_raw.update(issue_newsletter)
    merged = {**raw_issue, "newsletter": newsletter_raw}

    try:
        parsed = IssueFile.model_validate(merged)
    except ValidationError as e:
        where = issue_path if project_path is None else f"{issue_path} (with {project_path})"
        raise ConfigError("\n  ".join(["invalid settings:", *describe(e)]), where=where) from None

    theme_dir = theme
    if theme_dir is None and parsed.newsletter.theme:
        base = newsletter_origin.parent if "theme" not in issue_newsletter else folder
        theme_dir = (base / parsed.newsletter.theme).resolve()
    return IssueConfig(
        folder=folder,
        newsletter=parsed.newsletter.to_model(),
        issue=parsed.issue,
        theme_dir=theme_dir,
        project_file=project_path,
    )

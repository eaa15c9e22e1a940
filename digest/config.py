"""issue.toml and digest.toml → validated settings. Every error names the file and the key."""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field
from itertools import pairwise
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
    order: list[str] = []
    """Story ids placed first in More from, in this order; the rest follow by priority, then newest."""
    exclude: list[str] = []
    """Story ids left out of this issue."""

    @field_validator("order", "exclude")
    @classmethod
    def _check_unique_ids(cls, value: list[str]) -> list[str]:
        return unique_items(value)


def unique_items(values: list[str]) -> list[str]:
    repeated = sorted({v for v in values if values.count(v) > 1})
    if repeated:
        raise ValueError(f"lists {', '.join(map(repr, repeated))} more than once")
    return values


class StoryOverride(_Table):
    """`[stories.<id>]` in issue.toml: the editor's wording or picture for one story in this issue."""

    title: str | None = Field(default=None, min_length=1)
    """Replaces the story's title (plain text)."""
    teaser: str | None = None
    """Replaces the story's summary (Markdown)."""
    image: str | None = None
    """Replaces the story's photo (absolute http(s) URL); "" removes it."""
    image_alt: str = ""
    image_credit: str = ""
    image_caption: str = ""

    @field_validator("title")
    @classmethod
    def _check_title(cls, value: str | None) -> str | None:
        if value is not None and not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("image")
    @classmethod
    def _check_image(cls, value: str | None) -> str | None:
        if not value:
            return value
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError('must be an absolute http(s) URL, or "" to drop the photo')
        return value.strip()


class ComposeSettings(_Table):
    """`[compose]` in digest.toml or issue.toml (issue.toml wins key by key): how an issue is laid out."""

    limit: int = Field(default=8, ge=0)
    """At most this many items in More from; the rest are listed by `digest compose --explain`."""
    sponsored_slots: list[int] = [3, 6]
    """Places in More from (1 = first item after the lead) that sponsored blocks go to."""
    max_sponsored: int = Field(default=2, ge=0)
    """At most this many sponsored blocks per issue."""
    group_by_section: bool = False
    """Show More from under section headings (from each story's `section`)."""
    section_order: list[str] = []
    """With grouping: these sections first, in this order; others follow their best-ranked story."""

    @field_validator("sponsored_slots")
    @classmethod
    def _check_slots(cls, value: list[int]) -> list[int]:
        if any(slot < 1 for slot in value):
            raise ValueError("places count from 1 (the first item after the lead)")
        slots = sorted(set(value))
        if len(slots) != len(value):
            raise ValueError("lists a place more than once")
        for before, after in pairwise(slots):
            if after - before < 2:
                raise ValueError(f"places {before} and {after} would put two sponsored blocks in a row")
        return slots

    _check_sections = field_validator("section_order")(unique_items)


class IssueFile(_Table):
    newsletter: NewsletterSettings
    issue: IssueSettings
    compose: ComposeSettings = ComposeSettings()
    stories: dict[str, StoryOverride] = {}


@dataclass(frozen=True, slots=True)
class IssueConfig:
    """Everything needed to build one issue folder."""

    folder: Path
    newsletter: Newsletter
    issue: IssueSettings
    theme_dir: Path | None
    project_file: Path | None
    compose: ComposeSettings = field(default_factory=ComposeSettings)
    story_overrides: dict[str, StoryOverride] = field(default_factory=dict)
    """`[stories.<id>]` tables of issue.toml, by story id."""

    @property
    def stories_dir(self) -> Path:
        return self.folder / STORIES_DIR

    @property
    def issue_file(self) -> Path:
        return self.folder / ISSUE_FILE


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
    raw_project: dict[str, Any] = {}
    if project_path is not None:
        raw_project = read_toml(project_path)
        newsletter_raw.update(raw_project.get("newsletter", {}))
        newsletter_origin = project_path
    issue_newsletter = raw_issue.get("newsletter", {})
    if not isinstance(issue_newsletter, dict):
        raise ConfigError("[newsletter] must be a table", where=issue_path)
    newsletter_raw.update(issue_newsletter)
    merged = {**raw_issue, "newsletter": newsletter_raw}
    project_compose = raw_project.get("compose")
    if project_compose is not None:
        # [compose] may be set once for the whole project; an issue's own keys win one by one.
        if not isinstance(project_compose, dict):
            raise ConfigError("[compose] must be a table", where=project_path)
        issue_compose = raw_issue.get("compose", {})
        merged["compose"] = (
            {**project_compose, **issue_compose} if isinstance(issue_compose, dict) else issue_compose
        )

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
        compose=parsed.compose,
        story_overrides=dict(parsed.stories),
    )

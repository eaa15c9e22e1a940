"""`[[sources]]` and `[gather]` (digest.toml or issue.toml): where the week's stories come from."""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, ValidationInfo, field_validator

from digest.model import DEFAULT_MAX_BYTES, DEFAULT_TEASER_LENGTH, HttpPolicy, Source, SourceKind, SourceRules
from digest.settings.files import SettingsFiles
from digest.settings.paths import declared_in
from digest.settings.render import RenderSettings
from digest.settings.table import Table, check_http_url

STATE_DIR = ".digest"
STATE_DIR_ENV = "DIGEST_STATE_DIR"


class SourceSettings(Table):
    """One [[sources]] table: a feed or a folder of story files, and how to read it."""

    feed: str | None = None
    """An RSS, Atom or JSON Feed: an http(s) URL or a file path (relative to this file)."""
    folder: str | None = Field(default=None, validate_default=True)
    """A folder of story files (relative to this file)."""
    name: str = ""
    """How reports and stories name the source; defaults to the URL or path."""
    sponsored_if_category: list[str] = Field(default_factory=list)
    """Entries in any of these categories are sponsored (a string or a list; case-insensitive)."""
    sponsored_if_match: str | None = None
    """A regular expression: entries whose title or link matches it are sponsored."""
    sponsor: str = ""
    """The sponsor's name for this source's sponsored entries (default: the entry's author)."""
    section: str = ""
    """A section for every story from this source (default: the entry's first category)."""
    teaser_length: int = Field(default=DEFAULT_TEASER_LENGTH, ge=20, le=2000)
    """Characters of plain text in a story's teaser, cut at a word boundary (default: [gather]
    teaser_length)."""

    @field_validator("sponsored_if_category", mode="before")
    @classmethod
    def _one_or_many(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("sponsored_if_match")
    @classmethod
    def _check_pattern(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as e:
                raise ValueError(f"not a regular expression: {e}") from None
        return value

    @field_validator("feed")
    @classmethod
    def _check_feed(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        scheme = urlsplit(value).scheme.lower()
        if not value:
            raise ValueError("must not be empty")
        if len(scheme) > 1 and scheme not in ("http", "https"):  # one letter: a Windows drive
            raise ValueError("must be an http(s) URL or a file path")
        return check_http_url(value) if scheme in ("http", "https") else value

    @field_validator("folder")
    @classmethod
    def _feed_or_folder(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "feed" not in info.data:
            return value  # feed itself is invalid, and says so
        if value is None and info.data["feed"] is None:
            raise ValueError('a source needs feed = "PATH or URL" or folder = "PATH"')
        if value is not None and info.data["feed"] is not None:
            raise ValueError("give feed or folder, not both")
        return value

    def to_source(
        self,
        base_dir: Path,
        *,
        teaser_length: int = DEFAULT_TEASER_LENGTH,
        redirectors: tuple[str, ...] = (),
        image_base: str = "",
    ) -> Source:
        """The source, its paths resolved; `teaser_length` is the project's, unless this one sets its own."""
        if "teaser_length" in self.model_fields_set:
            teaser_length = self.teaser_length
        rules = SourceRules(
            sponsored_if_category=tuple(self.sponsored_if_category),
            sponsored_if_match=(
                re.compile(self.sponsored_if_match, re.IGNORECASE) if self.sponsored_if_match else None
            ),
            sponsor=self.sponsor.strip(),
            section=self.section.strip(),
            teaser_length=teaser_length,
            redirectors=redirectors,
            image_base=image_base,
        )
        if self.folder is not None:
            location = str((base_dir / Path(self.folder).expanduser()).resolve())
            return Source(kind=SourceKind.FOLDER, location=location, name=self.name.strip(), rules=rules)
        assert self.feed is not None
        location = self.feed
        if not location.lower().startswith(("http://", "https://")):
            location = str((base_dir / Path(location).expanduser()).resolve())
        return Source(kind=SourceKind.FEED, location=location, name=self.name.strip(), rules=rules)


class GatherSettings(Table):
    """[gather]: the week's window and how politely feeds are fetched."""

    days: int = Field(default=7, ge=1, le=366)
    """How many days before the send time an issue covers."""
    send_time: dt.time = dt.time(0, 0)
    """The issue's send time on its date, in the newsletter's timezone ("08:00"); the window ends here."""
    state_dir: str | None = None
    """Folder for the HTTP cache and the first-seen log (default: .digest next to digest.toml)."""
    timeout: float = Field(default=10.0, gt=0, le=300)
    """Seconds to connect, and of silence while reading, before a feed counts as timed out."""
    retries: int = Field(default=2, ge=0, le=10)
    """Extra attempts after a timeout, a dropped connection or a 5xx/429 answer."""
    max_bytes: int = Field(default=DEFAULT_MAX_BYTES, ge=1024)
    """The largest feed accepted (default 10 MB); anything longer is abandoned while downloading."""
    teaser_length: int = Field(default=DEFAULT_TEASER_LENGTH, ge=20, le=2000)
    """Characters of a More-from item's teaser for every source without its own (the lead gets twice
    as many); cut at a word boundary with "…"."""
    redirectors: list[str] = Field(default_factory=list)
    """More link wrappers to undo, as "host/path" (the target is the url, q or u parameter);
    Google's and Facebook's are known already."""
    deadline: float = Field(default=120.0, gt=0, le=3600)
    """Seconds for gathering as a whole: sources still being read then are reported as timed out,
    and the others' stories are used."""

    def http_policy(self) -> HttpPolicy:
        return HttpPolicy(timeout=self.timeout, retries=self.retries, max_bytes=self.max_bytes)


@dataclass(frozen=True, slots=True)
class GatherConfig:
    """What gather needs, from whichever files declared it."""

    sources: tuple[Source, ...] = ()
    settings: GatherSettings = field(default_factory=GatherSettings)
    timezone: str = "UTC"
    state_dir: Path = Path(STATE_DIR)
    issue_date: dt.date | None = None
    """Set when the config is an issue: the window then ends at its send time."""


def state_dir_for(settings: GatherSettings, declared_in: Path, default_base: Path) -> Path:
    """$DIGEST_STATE_DIR, else [gather] state_dir (relative to its file), else .digest/ by the config."""
    override = os.environ.get(STATE_DIR_ENV, "").strip()
    if override:
        return Path(override).expanduser().resolve()
    if settings.state_dir:
        return (declared_in / Path(settings.state_dir).expanduser()).resolve()
    return (default_base / STATE_DIR).resolve()


def gathering(
    files: SettingsFiles,
    sources: Sequence[SourceSettings],
    settings: GatherSettings,
    render: RenderSettings,
    *,
    timezone: str,
    issue_date: dt.date | None = None,
) -> GatherConfig:
    """The validated tables with their paths resolved: [[sources]] against the file that listed
    them, state_dir against the file that set it, and the state folder by digest.toml by default
    (so every week of a project shares it), else by the one file there is. From ``render``, gather
    takes image_base, the proxy a feed's http:// pictures are shown through."""
    base_file = files.project or files.issue
    assert base_file is not None, "gathering needs the file it was declared in"
    default_base = base_file.folder
    sources_base = declared_in(files, "sources") or default_base
    state_base = declared_in(files, "gather", "state_dir") or default_base
    return GatherConfig(
        sources=tuple(
            source.to_source(
                sources_base,
                teaser_length=settings.teaser_length,
                redirectors=tuple(settings.redirectors),
                image_base=render.image_base,
            )
            for source in sources
        ),
        settings=settings,
        timezone=timezone,
        state_dir=state_dir_for(settings, state_base, default_base),
        issue_date=issue_date,
    )

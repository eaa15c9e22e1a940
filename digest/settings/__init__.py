"""issue.toml and digest.toml → validated settings. Every error names the file and the key."""

from __future__ import annotations

import datetime as dt
import os
import re
import tomllib
from dataclasses import dataclass, field
from difflib import get_close_matches
from itertools import pairwise
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from email_validator import EmailNotValidError, validate_email
from pydantic import BaseModel, ConfigDict, Field, ValidationError, ValidationInfo, field_validator

from digest.errors import ConfigError
from digest.model import (
    DEFAULT_MAX_BYTES,
    DEFAULT_TEASER_LENGTH,
    HttpPolicy,
    LinkTagging,
    Newsletter,
    Source,
    SourceKind,
    SourceRules,
)
from digest.validation import describe
from digest.weekly import WEEKDAYS, WeeklySlot, parse_duration

ISSUE_FILE = "issue.toml"
PROJECT_FILE = "digest.toml"
STORIES_DIR = "stories"


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


_SPECIALS = re.compile(r'[][\\()<>@,:;".]')
_NAME_AND_ADDRESS = re.compile(r"^(?P<name>.*)<(?P<address>[^<>]*)>\s*$", re.DOTALL)


def check_address(value: str) -> str:
    """Accept 'Name <addr@host>' or a bare address; syntax only, never the network.

    Returns the RFC 5322 form, with the display name quoted where needed: people write
    "Leser:innen <a@b>" in TOML, which a mail parser would read as a group named "Leser".
    """
    from email.utils import quote, unquote

    if "\n" in value or "\r" in value:
        raise ValueError("must be on one line")
    match = _NAME_AND_ADDRESS.match(value.strip())
    name, address = (match["name"], match["address"]) if match else ("", value)
    name = unquote(name.strip()).strip()
    address = address.strip()
    if not address:
        raise ValueError("is not an email address")
    try:
        validate_email(address, check_deliverability=False)
    except EmailNotValidError as e:
        raise ValueError(str(e)) from None
    if not name:
        return address
    # Quote (but never encode) the name: headers are encoded later, when a message is built.
    return f'"{quote(name)}" <{address}>' if _SPECIALS.search(name) else f"{name} <{address}>"


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
    secret_file: str | None = None
    """File holding the unsubscribe-link signing secret (relative to the file); DIGEST_SECRET wins."""
    unsubscribe_mailto: str = ""
    """Mailbox named in List-Unsubscribe's mailto: link; defaults to the from address."""
    utm: UtmSettings = UtmSettings()
    """UTM tagging of story links, ``[newsletter.utm]``."""

    _check_from = field_validator("from_address")(check_address)

    @field_validator("reply_to")
    @classmethod
    def _check_reply_to(cls, value: str) -> str:
        return check_address(value) if value else value

    @field_validator("unsubscribe_mailto")
    @classmethod
    def _check_unsubscribe_mailto(cls, value: str) -> str:
        if not value:
            return value
        check_address(value)
        from email.utils import parseaddr

        return parseaddr(value)[1]

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


class StoreSettings(_Table):
    path: str = "digest.db"
    """The SQLite file of subscribers and the send log (relative to the file that sets it;
    when no file does: next to digest.toml, or in the current folder without one)."""


class SmtpSettings(_Table):
    host: str = ""
    """The relay to send through; DIGEST_SMTP_HOST overrides it. Needed for real sends only."""
    port: int | None = Field(default=None, ge=1, le=65535)
    """Default by security: 587 (starttls), 465 (tls), 25 (none). DIGEST_SMTP_PORT overrides it."""
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    """Log in (AUTH) as this user; the password comes only from DIGEST_SMTP_PASSWORD."""
    concurrency: int = Field(default=4, ge=1, le=64)
    """SMTP connections used in parallel."""
    rate: float = Field(default=0, ge=0)
    """At most this many messages per second over all connections; 0 means no limit."""
    timeout: float = Field(default=60, gt=0)
    """Seconds to wait for the server at any step before treating the attempt as failed."""
    retries: int = Field(default=5, ge=0, le=20)
    """Further attempts after a temporary failure (4xx, dropped connection, timeout)."""
    retry_delay: float = Field(default=2.0, ge=0)
    """Seconds before the first retry; each further retry waits twice as long (with jitter)."""

    @property
    def effective_port(self) -> int:
        return self.port or {"starttls": 587, "tls": 465, "none": 25}[self.security]


class DkimSettings(_Table):
    selector: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    """The DNS selector: the public key is published at <selector>._domainkey.<domain>."""
    key_file: str = Field(min_length=1)
    """PEM RSA private key, relative to the file that sets it."""
    domain: str = ""
    """Signing domain (d=); defaults to the from address's domain."""


@dataclass(frozen=True, slots=True)
class DeliverySettings:
    """[store], [smtp], [dkim] and the secret file, with their paths resolved."""

    store_path: Path
    smtp: SmtpSettings = field(default_factory=SmtpSettings)
    dkim: DkimSettings | None = None
    dkim_key_file: Path | None = None
    secret_file: Path | None = None
    unsubscribe_mailto: str = ""


DELIVERY_TABLES = ("store", "smtp", "dkim")


class DeliveryTables(_Table):
    store: StoreSettings = StoreSettings()
    smtp: SmtpSettings = SmtpSettings()
    dkim: DkimSettings | None = None


# --- gather: [[sources]] and [gather] (digest.toml or issue.toml) --------------------------------

STATE_DIR = ".digest"
STATE_DIR_ENV = "DIGEST_STATE_DIR"


class SourceSettings(_Table):
    """One [[sources]] table: a feed or a folder of story files, and how to read it."""

    feed: str | None = None
    """An RSS, Atom or JSON Feed: an http(s) URL or a file path (relative to this file)."""
    folder: str | None = Field(default=None, validate_default=True)
    """A folder of story files (relative to this file)."""
    name: str = ""
    """How reports and stories name the source; defaults to the URL or path."""
    sponsored_if_category: list[str] = []
    """Entries in any of these categories are sponsored (a string or a list; case-insensitive)."""
    sponsored_if_match: str | None = None
    """A regular expression: entries whose title or link matches it are sponsored."""
    sponsor: str = ""
    """The sponsor's name for this source's sponsored entries (default: the entry's author)."""
    section: str = ""
    """A section for every story from this source (default: the entry's first category)."""
    teaser_length: int = Field(default=DEFAULT_TEASER_LENGTH, ge=20, le=2000)
    """Characters of plain text in a story's teaser, cut at a word boundary."""

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
        if scheme in ("http", "https") and not urlsplit(value).netloc:
            raise ValueError("must be an absolute http(s) URL")
        return value

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

    def to_source(self, base_dir: Path) -> Source:
        rules = SourceRules(
            sponsored_if_category=tuple(self.sponsored_if_category),
            sponsored_if_match=(
                re.compile(self.sponsored_if_match, re.IGNORECASE) if self.sponsored_if_match else None
            ),
            sponsor=self.sponsor.strip(),
            section=self.section.strip(),
            teaser_length=self.teaser_length,
        )
        if self.folder is not None:
            location = str((base_dir / Path(self.folder).expanduser()).resolve())
            return Source(kind=SourceKind.FOLDER, location=location, name=self.name.strip(), rules=rules)
        assert self.feed is not None
        location = self.feed
        if not location.lower().startswith(("http://", "https://")):
            location = str((base_dir / Path(location).expanduser()).resolve())
        return Source(kind=SourceKind.FEED, location=location, name=self.name.strip(), rules=rules)


class GatherSettings(_Table):
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


class IssueFile(_Table):
    newsletter: NewsletterSettings
    issue: IssueSettings
    store: StoreSettings = StoreSettings()
    smtp: SmtpSettings = SmtpSettings()
    dkim: DkimSettings | None = None
    compose: ComposeSettings = ComposeSettings()
    stories: dict[str, StoryOverride] = {}
    sources: list[SourceSettings] = []
    """Where the week's stories come from, besides the folder's own stories/."""
    gather: GatherSettings = GatherSettings()


@dataclass(frozen=True, slots=True)
class IssueConfig:
    """Everything needed to build one issue folder."""

    folder: Path
    newsletter: Newsletter
    issue: IssueSettings
    theme_dir: Path | None
    project_file: Path | None
    delivery: DeliverySettings | None = None
    """Where subscribers live and how mail goes out; None only for configs built by hand."""
    compose: ComposeSettings = field(default_factory=ComposeSettings)
    story_overrides: dict[str, StoryOverride] = field(default_factory=dict)
    """`[stories.<id>]` tables of issue.toml, by story id."""
    gathering: GatherConfig = GatherConfig()
    """[[sources]] and [gather]; with no sources, the stories/ folder is the whole week."""

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
    merged = {**raw_issue, "newsletter": newsletter_raw, **_gather_tables(raw_project, raw_issue)}
    project_compose = raw_project.get("compose")
    if project_compose is not None:
        # [compose] may be set once for the whole project; an issue's own keys win one by one.
        if not isinstance(project_compose, dict):
            raise ConfigError("[compose] must be a table", where=project_path)
        issue_compose = raw_issue.get("compose", {})
        merged["compose"] = (
            {**project_compose, **issue_compose} if isinstance(issue_compose, dict) else issue_compose
        )
    merged.update(_merge_delivery_tables(raw_project, raw_issue, issue_path))

    try:
        parsed = IssueFile.model_validate(merged)
    except ValidationError as e:
        where = issue_path if project_path is None else f"{issue_path} (with {project_path})"
        raise ConfigError("\n  ".join(["invalid settings:", *describe(e)]), where=where) from None

    theme_dir = theme
    if theme_dir is None and parsed.newsletter.theme:
        base = newsletter_origin.parent if "theme" not in issue_newsletter else folder
        theme_dir = (base / parsed.newsletter.theme).resolve()
    layers = [(raw_project, project_path.parent)] if project_path is not None else []
    layers.append((raw_issue, folder))
    delivery = _resolve_delivery(
        DeliveryTables(store=parsed.store, smtp=parsed.smtp, dkim=parsed.dkim),
        parsed.newsletter,
        layers,
        default_dir=project_path.parent if project_path is not None else Path.cwd(),
    )
    return IssueConfig(
        folder=folder,
        newsletter=parsed.newsletter.to_model(),
        issue=parsed.issue,
        theme_dir=theme_dir,
        project_file=project_path,
        compose=parsed.compose,
        story_overrides=dict(parsed.stories),
        delivery=delivery,
        gathering=_issue_gathering(parsed, raw_issue, issue_path, project_path),
    )


# --- [store], [smtp], [dkim]: digest.toml, overridden table by table by an issue.toml -------------


def _merge_delivery_tables(
    project: dict[str, Any], issue: dict[str, Any], issue_path: Path
) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for table in DELIVERY_TABLES:
        values = {}
        for raw in (project, issue):
            section = raw.get(table)
            if section is None:
                continue
            if not isinstance(section, dict):
                raise ConfigError(f"[{table}] must be a table", where=issue_path)
            values.update(section)
        if values:
            merged[table] = values
    return merged


def _declared_in(layers: list[tuple[dict[str, Any], Path]], table: str, key: str) -> Path | None:
    """The folder of the last file that sets [table] key: relative paths are relative to it."""
    found = None
    for raw, folder in layers:
        section = raw.get(table)
        if isinstance(section, dict) and key in section:
            found = folder
    return found


def _resolve_delivery(
    tables: DeliveryTables,
    newsletter: NewsletterSettings | None,
    layers: list[tuple[dict[str, Any], Path]],
    *,
    default_dir: Path,
) -> DeliverySettings:
    store_dir = _declared_in(layers, "store", "path") or default_dir
    key_file = None
    if tables.dkim is not None:
        key_file = (_declared_in(layers, "dkim", "key_file") or default_dir) / tables.dkim.key_file
    secret_file = None
    if newsletter is not None and newsletter.secret_file:
        secret_file = (
            _declared_in(layers, "newsletter", "secret_file") or default_dir
        ) / newsletter.secret_file
    mailto = ""
    if newsletter is not None:
        from email.utils import parseaddr

        mailto = newsletter.unsubscribe_mailto or parseaddr(newsletter.from_address)[1]
    return DeliverySettings(
        store_path=(store_dir / tables.store.path).resolve(),
        smtp=tables.smtp,
        dkim=tables.dkim,
        dkim_key_file=key_file.resolve() if key_file else None,
        secret_file=secret_file.resolve() if secret_file else None,
        unsubscribe_mailto=mailto,
    )


@dataclass(frozen=True, slots=True)
class ProjectDelivery:
    """What `digest subscribers` and `digest serve` need, read without an issue folder."""

    delivery: DeliverySettings
    newsletter: Newsletter | None
    files: tuple[Path, ...]


def load_delivery_settings(config_file: Path | None = None, *, cwd: Path | None = None) -> ProjectDelivery:
    """From `config_file` (a digest.toml, or an issue.toml with any digest.toml above it), else
    the nearest digest.toml from `cwd` upwards, else the defaults."""
    cwd = (cwd or Path.cwd()).resolve()
    files: list[Path] = []
    if config_file is None:
        found = find_project_file(cwd)
        if found is not None:
            files.append(found)
    else:
        config_file = config_file.resolve()
        if not config_file.is_file():
            raise ConfigError("file not found", where=config_file)
        if config_file.name == ISSUE_FILE:
            above = find_project_file(config_file.parent.parent)
            if above is not None:
                files.append(above)
        files.append(config_file)
    layers = [(read_toml(path), path.parent) for path in files]
    where = files[-1] if files else cwd
    if len(files) > 1:
        where = f"{files[-1]} (with {files[0]})"

    newsletter_raw: dict[str, Any] = {}
    merged: dict[str, Any] = {}
    for raw, _ in layers:
        section = raw.get("newsletter", {})
        if not isinstance(section, dict):
            raise ConfigError("[newsletter] must be a table", where=where)
        newsletter_raw.update(section)
        for table, values in _merge_delivery_tables(merged, raw, files[-1]).items():
            merged[table] = values
    problems: list[str] = []
    try:
        tables = DeliveryTables.model_validate(merged)
    except ValidationError as e:
        problems += describe(e)
    newsletter = None
    try:
        newsletter = NewsletterSettings.model_validate(newsletter_raw) if newsletter_raw else None
    except ValidationError as e:
        problems += [f"[newsletter] {line}" if not line.startswith("[") else line for line in describe(e)]
    if problems:
        raise ConfigError("\n  ".join(["invalid settings:", *problems]), where=where)
    projects = [path for path in files if path.name == PROJECT_FILE]
    delivery = _resolve_delivery(
        tables, newsletter, layers, default_dir=projects[0].parent if projects else cwd
    )
    return ProjectDelivery(
        delivery=delivery, newsletter=newsletter.to_model() if newsletter else None, files=tuple(files)
    )


def _gather_tables(raw_project: dict[str, Any], raw_issue: dict[str, Any]) -> dict[str, Any]:
    """digest.toml's [[sources]] unless issue.toml lists its own; [gather] merged key by key."""
    tables: dict[str, Any] = {}
    if "sources" not in raw_issue and "sources" in raw_project:
        tables["sources"] = raw_project["sources"]
    project_gather, issue_gather = raw_project.get("gather", {}), raw_issue.get("gather", {})
    if isinstance(project_gather, dict) and isinstance(issue_gather, dict):
        if project_gather or issue_gather:
            tables["gather"] = {**project_gather, **issue_gather}
    elif "gather" not in raw_issue:
        tables["gather"] = project_gather  # not a table: validation says so, naming the key
    return tables


def _issue_gathering(
    parsed: IssueFile, raw_issue: dict[str, Any], issue_path: Path, project_path: Path | None
) -> GatherConfig:
    folder = issue_path.parent
    project_dir = project_path.parent if project_path is not None else folder
    sources_base = folder if "sources" in raw_issue else project_dir
    issue_gather = raw_issue.get("gather", {})
    state_declared_in = folder if "state_dir" in issue_gather else project_dir
    return GatherConfig(
        sources=tuple(s.to_source(sources_base) for s in parsed.sources),
        settings=parsed.gather,
        timezone=parsed.newsletter.timezone,
        state_dir=state_dir_for(parsed.gather, state_declared_in, project_dir),
        issue_date=parsed.issue.date,
    )


class ProjectGatherFile(_Table):
    """The parts of a digest.toml gather reads; its other tables belong to other commands."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    newsletter: NewsletterSettings | None = None
    sources: list[SourceSettings] = []
    gather: GatherSettings = GatherSettings()


def load_gather_config(path: Path | None = None, *, cwd: Path | None = None) -> GatherConfig:
    """Sources and settings for `digest gather`, from an issue.toml, a digest.toml or neither.

    ``path`` may be either file or an issue folder. Without one: ./issue.toml if present, else
    the nearest digest.toml at or above ``cwd``, else no sources (they come from the command line).
    """
    cwd = (cwd or Path.cwd()).resolve()
    if path is None:
        if (cwd / ISSUE_FILE).is_file():
            return load_issue_config(cwd).gathering
        path = find_project_file(cwd)
        if path is None:
            return GatherConfig(state_dir=state_dir_for(GatherSettings(), cwd, cwd))
    path = path.resolve()
    if path.is_dir():
        if (path / ISSUE_FILE).is_file():
            return load_issue_config(path).gathering
        path = path / PROJECT_FILE
    raw = read_toml(path)
    if path.name == ISSUE_FILE or "issue" in raw:
        return load_issue_config(path.parent).gathering
    try:
        parsed = ProjectGatherFile.model_validate(raw)
    except ValidationError as e:
        raise ConfigError("\n  ".join(["invalid settings:", *describe(e)]), where=path) from None
    return GatherConfig(
        sources=tuple(s.to_source(path.parent) for s in parsed.sources),
        settings=parsed.gather,
        timezone=parsed.newsletter.timezone if parsed.newsletter else "UTC",
        state_dir=state_dir_for(parsed.gather, path.parent, path.parent),
    )


# --- digest.toml for unattended runs: [schedule] and [archive] (`digest run`, `digest schedule`) ---


def check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown IANA timezone {value!r}") from None
    return value


class ScheduleSettings(_Table):
    """When the weekly issue goes out unattended, and who hears about it."""

    weekday: str = "monday"
    """Day of the week the issue goes out: monday … sunday."""
    time: dt.time = dt.time(8, 0)
    """Wall-clock time on that day, "HH:MM", in `timezone`."""
    timezone: str | None = None
    """IANA timezone of `weekday` and `time`; defaults to [newsletter] timezone."""
    grace: str = "6h"
    """How late a missed run may still go out (machine down at send time), e.g. "6h", "90m"."""
    min_stories: int = Field(default=3, ge=1)
    """Fewer stories than this in the week: the issue is skipped and the editors are told."""
    require_approval: bool = False
    """Send a [PROOF] to the editors; subscribers get the issue after `digest approve ISSUE_ID`."""
    approval_deadline: str | None = None
    """With require_approval: send anyway this long after the proof unless an editor rejected it."""
    editors: list[str] = Field(min_length=1)
    """Addresses told about thin weeks and sent proofs."""

    @field_validator("weekday", mode="before")
    @classmethod
    def _check_weekday(cls, value: object) -> object:
        if not isinstance(value, str) or value.strip().lower() not in WEEKDAYS:
            close = sorted(get_close_matches(str(value).strip().lower(), WEEKDAYS, n=2), key=WEEKDAYS.index)
            hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
            raise ValueError(f"unknown weekday, {hint}expected one of {', '.join(WEEKDAYS)}")
        return value.strip().lower()

    @field_validator("time")
    @classmethod
    def _check_time(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:
            raise ValueError("give a wall-clock time without an offset; the zone is [schedule] timezone")
        return value

    @field_validator("grace", "approval_deadline")
    @classmethod
    def _check_duration(cls, value: str | None) -> str | None:
        if value is not None and parse_duration(value) >= dt.timedelta(days=7):
            raise ValueError("must be less than a week (the next issue is due by then)")
        return value

    @field_validator("approval_deadline")
    @classmethod
    def _deadline_needs_approval(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not info.data.get("require_approval"):
            raise ValueError("only meaningful with require_approval = true")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, value: str | None) -> str | None:
        return check_timezone(value) if value is not None else None

    @field_validator("editors")
    @classmethod
    def _check_editors(cls, value: list[str]) -> list[str]:
        for address in value:
            try:
                check_address(address)
            except ValueError as e:
                raise ValueError(f"{address!r}: {e}") from None
        return value

    def grace_period(self) -> dt.timedelta:
        return parse_duration(self.grace)

    def approval_window(self) -> dt.timedelta | None:
        return parse_duration(self.approval_deadline) if self.approval_deadline else None


class ArchiveSettings(_Table):
    path: str = "built"
    """Folder (relative to digest.toml) where `digest run` keeps every built issue, e.g. built/2025-W02/."""


class ProjectFile(_Table):
    """A digest.toml for unattended runs: every table is declared, so a typo is caught up front."""

    newsletter: NewsletterSettings
    schedule: ScheduleSettings
    archive: ArchiveSettings = ArchiveSettings()
    compose: ComposeSettings = ComposeSettings()
    sources: list[SourceSettings] = []
    gather: GatherSettings = GatherSettings()
    store: StoreSettings = StoreSettings()
    smtp: SmtpSettings = SmtpSettings()
    dkim: DkimSettings | None = None


@dataclass(frozen=True, slots=True)
class ProjectConfig:
    """Everything `digest run` and `digest schedule` need, read from one digest.toml."""

    path: Path
    newsletter: Newsletter
    schedule: ScheduleSettings
    archive_dir: Path
    theme_dir: Path | None
    compose: ComposeSettings = field(default_factory=ComposeSettings)
    gathering: GatherConfig = GatherConfig()
    """[[sources]] and [gather]: a week without its own issue folder is gathered from these."""
    delivery: DeliverySettings | None = None
    """[store], [smtp], [dkim]: the history, the lock, the send log, and how mail goes out."""

    @property
    def timezone(self) -> str:
        """The zone the schedule runs in: [schedule] timezone, else [newsletter] timezone."""
        return self.schedule.timezone or self.newsletter.timezone

    @property
    def slot(self) -> WeeklySlot:
        return WeeklySlot(WEEKDAYS.index(self.schedule.weekday), self.schedule.time, self.timezone)


def load_project_config(path: Path) -> ProjectConfig:
    """digest.toml → validated settings, every problem reported at once, each naming file and key."""
    path = path.resolve()
    raw = read_toml(path)
    try:
        parsed = ProjectFile.model_validate(raw)
    except ValidationError as e:
        problems = describe(e)
        if len(problems) == 1:
            raise ConfigError(problems[0], where=path) from None
        raise ConfigError("\n  ".join(["invalid settings:", *problems]), where=path) from None
    base = path.parent
    return ProjectConfig(
        path=path,
        newsletter=parsed.newsletter.to_model(),
        schedule=parsed.schedule,
        archive_dir=(base / parsed.archive.path).resolve(),
        theme_dir=(base / parsed.newsletter.theme).resolve() if parsed.newsletter.theme else None,
        compose=parsed.compose,
        gathering=load_gather_config(path),
        delivery=load_delivery_settings(path).delivery,
    )

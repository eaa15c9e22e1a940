"""The plain data every stage passes along. No I/O here."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from digest.version import __version__
from digest.weekly import issue_id_for


class StoryKind(StrEnum):
    ARTICLE = "article"
    SPONSORED = "sponsored"
    VIDEO = "video"


@dataclass(frozen=True, slots=True)
class Image:
    url: str
    alt: str = ""
    credit: str = ""
    caption: str = ""
    width: int = 0
    """The picture's width in px as its feed or story file declares it; 0 when unknown. The email
    never shows it wider, and a lead's picture narrower than the email sits beside the text."""


@dataclass(frozen=True, slots=True)
class Story:
    id: str
    title: str
    url: str
    summary: str = ""
    """Sanitised HTML (a small allow-list of tags); safe to place in the email as is."""
    image: Image | None = None
    kind: StoryKind = StoryKind.ARTICLE
    sponsor: str = ""
    published: datetime | None = None
    section: str = ""
    author: str = ""
    priority: int = 0
    cta: str = ""
    """Call-to-action link text, used by sponsored blocks ("Learn more")."""
    duration: str = ""
    """Running time of a video, e.g. "4:32", where known."""
    source: str = ""
    """Where the story came from: a file path or a feed name."""
    added: datetime | None = None
    """When an editor added it by URL (`digest add`, the preview); None for any other story."""
    added_by: str = ""
    """Who added it by URL, where known."""
    note: str = ""
    """The editor's note on it, for the desk (plain text; never in the email)."""
    teaser: str = ""
    """The summary as one line of plain text, cut at a word boundary (feeds set it; may be empty)."""
    teaser_length: int = 0
    """Characters of the summary's text the email shows in More from (the lead shows twice as many),
    cut at a word with "…": its source's teaser_length. 0 shows it whole (the editors' own words)."""

    @property
    def is_sponsored(self) -> bool:
        return self.kind is StoryKind.SPONSORED

    @property
    def is_video(self) -> bool:
        return self.kind is StoryKind.VIDEO


LEAD_SLOT = "lead"


def slot_names(lead: Story, more_from: Iterable[Story]) -> dict[str, str]:
    """Story id → the slot it fills, as link tags and `compose --explain` name it: ``lead``;
    ``more-N`` for the N-th item of More from; ``sponsored-N`` for the N-th sponsored block."""
    slots = {lead.id: LEAD_SLOT}
    sponsored = 0
    for position, story in enumerate(more_from, start=1):
        if story.is_sponsored:
            sponsored += 1
            slots[story.id] = f"sponsored-{sponsored}"
        else:
            slots[story.id] = f"more-{position}"
    return slots


@dataclass(frozen=True, slots=True)
class LinkTagging:
    """UTM parameters added to story links (``[newsletter.utm]``); see digest/render/links.py."""

    enabled: bool = True
    source: str = ""
    """utm_source; empty means a slug of the newsletter's name."""
    medium: str = "email"
    sponsored: bool = True
    """Tag sponsor links too (only ever by appending; a sponsor's own utm_* wins)."""


@dataclass(frozen=True, slots=True)
class Newsletter:
    name: str
    publication: str
    from_address: str
    base_url: str
    postal_address: str
    lang: str = "en"
    timezone: str = "UTC"
    reply_to: str = ""
    utm: LinkTagging = field(default_factory=LinkTagging)


@dataclass(frozen=True, slots=True)
class Issue:
    newsletter: Newsletter
    date: date
    subject: str
    preheader: str
    lead: Story
    more_from: tuple[Story, ...] = ()
    intro: str = ""
    """Sanitised HTML of the editor's note, or empty."""
    more_from_headings: tuple[str, ...] = ()
    """With section grouping: the heading to show above each More-from item ("" for none), else ()."""

    @property
    def stories(self) -> tuple[Story, ...]:
        """Every story in the order subscribers see them."""
        return (self.lead, *self.more_from)

    @property
    def issue_id(self) -> str:
        return issue_id_for(self.date)


@dataclass(frozen=True, slots=True)
class RenderedIssue:
    issue: Issue
    html: str
    text: str
    timings: dict[str, float] = field(default_factory=dict, compare=False)
    """Seconds spent per render stage, for benchmarks and the build summary."""


# Where stories come from: the sources gather reads (declared as [[sources]] in the config).

DEFAULT_TEASER_LENGTH = 160


class SourceKind(StrEnum):
    FEED = "feed"
    """RSS, Atom or JSON Feed, from a local file or an http(s) URL."""
    FOLDER = "folder"
    """A folder of story files (Markdown with YAML front matter)."""


@dataclass(frozen=True, slots=True)
class SourceRules:
    """How one source's entries become stories, beyond what the entries say themselves."""

    sponsored_if_category: tuple[str, ...] = ()
    """Entries in any of these categories (case-insensitive) are sponsored."""
    sponsored_if_match: re.Pattern[str] | None = None
    """Entries whose title or link matches this pattern are sponsored."""
    sponsor: str = ""
    """The sponsor's name for sponsored entries; otherwise the entry's author names the sponsor."""
    section: str = ""
    """A section for every story from this source; otherwise the entry's first category."""
    teaser_length: int = DEFAULT_TEASER_LENGTH
    redirectors: tuple[str, ...] = ()
    """"host/path" of redirectors whose target link is the story's (besides urls.REDIRECTORS)."""
    image_base: str = ""
    """``[render] image_base``: the https proxy an http:// picture is shown through; without one,
    such pictures are left out (an email's http images are blocked or flagged by mail clients)."""


@dataclass(frozen=True, slots=True)
class Source:
    kind: SourceKind
    location: str
    """An http(s) URL or an absolute path."""
    name: str = ""
    rules: SourceRules = SourceRules()

    @property
    def label(self) -> str:
        """How reports and stories name the source: its configured name, else where it lives."""
        return self.name or self.location

    @property
    def is_remote(self) -> bool:
        return self.location.lower().startswith(("http://", "https://"))


class SubscriberStatus(StrEnum):
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"
    BOUNCED = "bounced"


@dataclass(frozen=True, slots=True)
class Subscriber:
    """One address on the list, as the store holds it."""

    id: int
    email: str
    """ASCII form (IDNA domain), the way it is written on the SMTP envelope."""
    name: str = ""
    status: SubscriberStatus = SubscriberStatus.ACTIVE
    status_changed_at: datetime | None = None
    attributes: dict[str, str] = field(default_factory=dict, compare=False)
    first_name: str = ""
    """How the greeting addresses them (the CSV's first_name); empty: the first word of name."""

    @property
    def key(self) -> str:
        """What duplicates share: the address with case folded away."""
        return self.email.lower()


USER_AGENT = f"digest/{__version__} (newsletter digest; feed reader)"
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class HttpPolicy:
    timeout: float = 10.0
    """Seconds to connect, and seconds of silence while reading, before giving up."""
    total_timeout: float = 60.0
    """Seconds for a whole response: a server dripping one byte at a time cannot hold us forever."""
    retries: int = 2
    """Extra attempts after a timeout, a dropped connection or a 5xx/429 answer."""
    backoff: float = 0.5
    """Seconds before the first retry; each later retry waits twice as long (at most 8 s)."""
    max_bytes: int = DEFAULT_MAX_BYTES
    user_agent: str = USER_AGENT

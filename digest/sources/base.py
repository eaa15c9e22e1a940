"""What every reader shares: the source it reads, the document it gets, and what it gives back."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import ClassVar, Protocol
from zoneinfo import ZoneInfo

from digest.model import Source, Story


@dataclass(frozen=True, slots=True)
class Document:
    """The bytes of one feed, and what the transport said about them."""

    body: bytes
    location: str
    """Where the bytes came from: the final URL after redirects, or the file path."""
    content_type: str = ""
    """The HTTP Content-Type header (may carry a charset); empty for local files."""
    fetched: str = "file"
    """How we got it: "file", "200" or "304 (cached copy)"."""

    @property
    def base_url(self) -> str:
        """What relative links resolve against when the feed names no site link of its own."""
        return self.location if self.location.lower().startswith(("http://", "https://")) else ""


@dataclass(frozen=True, slots=True)
class ReadContext:
    """Everything a reader needs besides the document: the source's rules and the newsletter's zone."""

    source: Source
    timezone: ZoneInfo


@dataclass(slots=True)
class ReadResult:
    """What a reader made of one source. Entries it could not use are counted by reason."""

    stories: list[Story] = field(default_factory=list)
    entries: int = 0
    """How many entries (or story files) the source held."""
    dropped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)


class FeedReader(Protocol):
    """One feed format. The registry asks each reader in turn whether a document is its kind."""

    format: ClassVar[str]

    def accepts(self, document: Document) -> bool: ...

    def read(self, document: Document, context: ReadContext) -> ReadResult: ...

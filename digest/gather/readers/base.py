"""What every reader shares: the source it reads, the document it gets, and what it gives back; and
opening a local file without being held by one that is no file (a FIFO, a device)."""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import BinaryIO, ClassVar, Protocol
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
    def charset(self) -> str:
        """The charset the Content-Type header declares, if any."""
        if not self.content_type:
            return ""
        message = Message()
        message["content-type"] = self.content_type
        return str(message.get_param("charset") or "")

    @property
    def base_url(self) -> str:
        """What relative links resolve against when the feed names no site link of its own."""
        return self.location if self.location.lower().startswith(("http://", "https://")) else ""


@dataclass(frozen=True, slots=True)
class ReadContext:
    """Everything a reader needs besides the document: the source's rules and the newsletter's zone."""

    source: Source
    timezone: ZoneInfo
    outside: Callable[[dt.datetime], str] = lambda when: ""
    """Why a dated entry falls outside the wanted window ("" when it is inside). Readers use it to
    count such entries as dropped without turning them into stories (most of a feed, most weeks)."""

    def skip_reason(self, published: dt.datetime | None) -> str:
        if published is None:
            return ""  # undated: gather dates it by when it was first seen
        return self.outside(published if published.tzinfo else published.replace(tzinfo=self.timezone))


@dataclass(slots=True)
class ReadResult:
    """What a reader made of one source. Entries it could not use are counted by reason."""

    stories: list[Story] = field(default_factory=list)
    entries: int = 0
    """How many entries (or story files) the source held."""
    dropped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    insecure_images: list[str] = field(default_factory=list)
    """http:// pictures left out of the stories (no [render] image_base to show them through);
    the source's report warns about them once, however many there were."""

    def all_warnings(self) -> tuple[str, ...]:
        """The reader's warnings, and one line for the pictures left out, if any were."""
        if not self.insecure_images:
            return tuple(self.warnings)
        count = len(self.insecure_images)
        pictures = "an image" if count == 1 else f"{count} images"
        left_out = (
            f"dropped {pictures} served over http:// (mail clients block or flag them), such as "
            f"{self.insecure_images[0][:80]}; set [render] image_base to show them through an https proxy"
        )
        return (*self.warnings, left_out)


class FeedReader(Protocol):
    """One feed format. The registry asks each reader in turn whether a document is its kind."""

    format: ClassVar[str]

    def accepts(self, document: Document) -> bool: ...

    def read(self, document: Document, context: ReadContext) -> ReadResult: ...


_NOT_REGULAR = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFile(Exception):
    """A path that is something other than a regular file; ``kind`` says what ("a FIFO")."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        super().__init__(f"not a regular file ({kind})")


def _check_regular(mode: int) -> None:
    for is_kind, kind in _NOT_REGULAR:
        if is_kind(mode):
            raise NotRegularFile(kind)


def open_regular_file(path: Path) -> BinaryIO:
    """``path`` open for reading, when it is a regular file; :class:`NotRegularFile` when it is not.

    A FIFO would block the read until a writer came, /dev/zero would never end, and opening some
    devices does things (a tape rewinds): they are refused before opening (symlinks followed), and
    again on what was opened, in case the path changed in between. Callers read at most what they
    can hold; OSError (FileNotFoundError, PermissionError, ...) is theirs to describe.
    """
    _check_regular(os.stat(path).st_mode)
    # O_NONBLOCK: opening a FIFO put there since the check must not wait for a writer.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    file = os.fdopen(descriptor, "rb")
    try:
        _check_regular(os.fstat(descriptor).st_mode)
    except NotRegularFile:
        file.close()
        raise
    return file

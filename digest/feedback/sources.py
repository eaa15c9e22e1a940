"""Where `digest feedback check` reads messages: a file (one message, or an mbox), every file in a
folder, sorted. Streams one message at a time, so a large mbox is read with flat memory."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from digest.errors import DigestError
from digest.feedback.mailbox import MboxSource

_MBOX_START = b"From "


class UnreadablePath(DigestError):
    """A path given to read does not exist or cannot be read."""


@dataclass(frozen=True, slots=True)
class MessageSource:
    name: str
    """The file, or `file#n` for the n-th message (from 1) of an mbox."""
    data: bytes


def read_sources(paths: list[Path]) -> Iterator[MessageSource]:
    """Every message under `paths` in order; UnreadablePath (one line) for a path that is not there."""
    for path in paths:
        if path.is_dir():
            try:
                files = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
            except OSError as e:
                raise UnreadablePath(f"{path}: cannot list it: {e.strerror}") from None
            for file in files:
                yield from _read_file(file)
        else:
            yield from _read_file(path)


def _read_file(path: Path) -> Iterator[MessageSource]:
    try:
        with path.open("rb") as handle:
            start = handle.read(len(_MBOX_START))
    except OSError as e:
        raise UnreadablePath(f"{path}: cannot read it: {e.strerror or e}") from None
    if start == _MBOX_START:
        yield from _read_mbox(path)
        return
    try:
        yield MessageSource(str(path), path.read_bytes())
    except OSError as e:
        raise UnreadablePath(f"{path}: cannot read it: {e.strerror or e}") from None


def _read_mbox(path: Path) -> Iterator[MessageSource]:
    source = MboxSource(path)
    try:
        for number, message in enumerate(source.messages(), start=1):
            yield MessageSource(f"{path}#{number}", message.raw)
    finally:
        source.close()

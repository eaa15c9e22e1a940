"""Readers that turn one kind of source into stories, picked by a small registry.

Folder sources go to :class:`StoryFolderReader`. A feed's document goes to the first registered
reader that accepts it (JSON Feed by its content type or opening brace; RSS/Atom, through
feedparser, takes whatever is left). A new format is one module with a reader class, added to
:data:`FEED_READERS` before the readers that would also accept its documents.
"""

from __future__ import annotations

from digest.gather.readers.base import Document, FeedReader, ReadContext, ReadResult
from digest.gather.readers.feed import RssAtomReader
from digest.gather.readers.folder import StoryFolderReader, read_story_file, read_story_folder, story_files
from digest.gather.readers.jsonfeed import JsonFeedReader

FEED_READERS: list[FeedReader] = [JsonFeedReader(), RssAtomReader()]


def reader_for(document: Document) -> FeedReader:
    return next(reader for reader in FEED_READERS if reader.accepts(document))


__all__ = [
    "FEED_READERS",
    "Document",
    "FeedReader",
    "JsonFeedReader",
    "ReadContext",
    "ReadResult",
    "RssAtomReader",
    "StoryFolderReader",
    "read_story_file",
    "read_story_folder",
    "reader_for",
    "story_files",
]

"""A story added by URL: the page fetched once (gather's fetch, its limits, public addresses only
unless allowed), its metadata read, and a story file written into the week's stories/ folder.

The story file is the folder's usual Markdown with YAML front matter, so everything after this
(the week, the composer, the render) reads it like any editor's story: nothing is fetched again.
A page that cannot be read still becomes a story when the editor gives a title.
"""

from __future__ import annotations

import datetime as dt
import re
import threading
from dataclasses import dataclass
from pathlib import Path

import yaml

from digest.atomic import write_atomically
from digest.errors import DigestError, SourceError, StoryFileError
from digest.gather.http import fetch, new_client
from digest.gather.page import PageMetadata, read_page_metadata
from digest.gather.readers.entries import story_id
from digest.gather.readers.folder import read_story_file, story_files
from digest.markup import fold_whitespace, summary_text
from digest.model import HttpPolicy
from digest.urls import absolute_http_url, canonical_url

HTML_TYPES = ("text/html", "application/xhtml+xml")
ADDED_BY_URL = "added by URL"
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_\[\]<>#!|~&])")
_LINE_START_MARK = re.compile(r"^([-+=>]|\d+[.)])")
_WRITING = threading.Lock()


class AddError(DigestError):
    """A story that cannot be added: not an http(s) URL, already in the week, or no title to use."""


@dataclass(frozen=True, slots=True)
class AddedStory:
    """What `digest add` wrote, and why the page could not be read ("" when it could)."""

    path: Path
    title: str
    url: str
    unread: str = ""


def _markdown_text(text: str) -> str:
    """Plain text as a Markdown body that renders as that text (no emphasis, links or lists)."""
    escaped = _MARKDOWN_PUNCTUATION.sub(r"\\\1", text)
    return _LINE_START_MARK.sub(r"\\\1", escaped)


def read_page(url: str, policy: HttpPolicy, *, allow_private: bool) -> tuple[PageMetadata, str]:
    """The page's metadata (its final URL as the canonical one when it names none)."""
    with new_client(policy, public_only=not allow_private) as client:
        document = fetch(url, client, policy)
    kind = document.content_type.split(";", 1)[0].strip().lower()
    if kind not in HTML_TYPES:
        raise SourceError(f"not a web page (content type {kind or 'unknown'})")
    page = read_page_metadata(document.body, document.location)
    return page, document.location


def _existing(folder: Path, url: str, timezone: str) -> Path | None:
    """The story file in ``folder`` that links the same page, if any (unreadable files skipped)."""
    key = canonical_url(url)
    for path in story_files(folder):
        try:
            if canonical_url(read_story_file(path, timezone=timezone).url) == key:
                return path
        except StoryFileError:
            continue
    return None


def _free_path(folder: Path, stem: str) -> Path:
    path, number = folder / f"{stem}.md", 2
    while path.exists():
        path, number = folder / f"{stem}-{number}.md", number + 1
    return path


def _front_matter(page: PageMetadata, title: str, url: str, added: dt.datetime, by: str, note: str) -> dict:
    fields: dict[str, object] = {"title": title, "url": url}
    if page.published is not None:
        fields["published"] = page.published
    if page.image:
        fields["image"] = page.image
        if page.image_alt:
            fields["image_alt"] = page.image_alt
    optional = {"author": page.author, "section": page.section, "added_by": by, "note": note}
    fields.update({key: value for key, value in optional.items() if value})
    fields["added"] = added
    return fields


def add_story_by_url(
    stories_dir: Path,
    url: str,
    *,
    policy: HttpPolicy,
    allow_private: bool,
    now: dt.datetime,
    timezone: str = "UTC",
    title: str = "",
    note: str = "",
    added_by: str = "",
) -> AddedStory:
    """Fetch ``url`` once and write its story file into ``stories_dir``; :class:`AddError` when it
    cannot be added (one line saying why, and what to do)."""
    given = absolute_http_url(url)
    if not given:
        raise AddError(f"{url!r} is not an http(s) URL")
    unread = ""
    try:
        page, final = read_page(given, policy, allow_private=allow_private)
    except SourceError as e:
        page, final, unread = PageMetadata(), given, str(e)
    story_url = page.url or final
    headline = fold_whitespace(title) or page.title
    if not headline:
        reason = unread or "the page has no title"
        raise AddError(f"cannot read {given}: {reason}; give the story a title with --title")
    fields = _front_matter(page, headline, story_url, now, fold_whitespace(added_by), fold_whitespace(note))
    body = _markdown_text(summary_text(page.summary)) if page.summary else ""
    text = "---\n" + yaml.safe_dump(fields, sort_keys=False, allow_unicode=True) + "---\n" + body + "\n"
    with _WRITING:  # two editors adding the same page at once: the second finds the first's file
        for candidate in dict.fromkeys((story_url, given)):
            if (existing := _existing(stories_dir, candidate, timezone)) is not None:
                raise AddError(f"{story_url} is already in this week: {existing}")
        stories_dir.mkdir(parents=True, exist_ok=True)
        path = _free_path(stories_dir, story_id(story_url, headline))
        write_atomically(path, text.encode("utf-8"))
    return AddedStory(path=path, title=headline, url=story_url, unread=unread)

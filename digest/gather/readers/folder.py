"""Story files: Markdown with YAML front matter, one story per file, id = file stem.

A story's body is the newsletter's summary of it: a body longer than :data:`STORY_BODY_CHARACTERS`
(a whole article pasted in, a 10 MB file) is cut at read time to the paragraphs that fit, with a
warning naming the file, as feed summaries are cut to a blurb; so no message grows with it.
"""

from __future__ import annotations

import codecs
import datetime as dt
import logging
import re
from dataclasses import replace
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import frontmatter
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from digest.errors import SourceError, StoryFileError
from digest.gather.readers.base import NotRegularFile, ReadContext, ReadResult, open_regular_file
from digest.markup import fold_whitespace, markdown_to_html, summary_text, teaser
from digest.model import Image, Story, StoryKind
from digest.urls import absolute_http_url
from digest.validation import describe

STORY_SUFFIXES = (".md", ".markdown")
_STORY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

STORY_BODY_CHARACTERS = 10_000
"""The longest story body kept, in characters of Markdown: a summary is a few hundred (a feed's is
cut at about 700), and Gmail clips a whole message from about 102 KB, so one story at this length
still leaves room for the rest. Longer bodies are cut."""
STORY_FILE_BYTES = 1024 * 1024
"""The most of a story file that is read: its front matter and the longest body, many times over."""

_PARTIAL_WORD = re.compile(r"\S+$")

log = logging.getLogger(__name__)


def _must_be_http_url(value: str) -> str:
    url = absolute_http_url(value)
    if not url:
        raise ValueError("must be an absolute http(s) URL")
    return url


class StoryFrontMatter(BaseModel):
    """The keys a story file may have. Anything else is a typo we report."""

    model_config = ConfigDict(extra="forbid", strict=True)

    title: str = Field(min_length=1)
    url: str
    published: dt.datetime | dt.date | None = None
    kind: Literal["article", "sponsored", "video"] = "article"
    sponsor: str = ""
    image: str | None = None
    image_alt: str = ""
    image_credit: str = ""
    image_caption: str = ""
    image_width: int | None = Field(default=None, ge=1, le=10_000)
    """The picture's width in px, if known: the email never stretches it past that."""
    section: str = ""
    author: str = ""
    priority: int = 0
    cta: str = ""
    duration: str = ""
    added: dt.datetime | None = None
    """When an editor added the story by URL (`digest add`, the preview's field)."""
    added_by: str = ""
    note: str = ""

    _check_url = field_validator("url")(_must_be_http_url)

    @field_validator("published", "added", mode="before")
    @classmethod
    def _parse_published(cls, value: object) -> object:
        # YAML turns most ISO 8601 values into dates already; quoted ones arrive as text.
        if isinstance(value, str):
            try:
                return dt.datetime.fromisoformat(value.strip())
            except ValueError:
                raise ValueError("must be an ISO 8601 date or date-time") from None
        return value

    @field_validator("image")
    @classmethod
    def _check_image(cls, value: str | None) -> str | None:
        return _must_be_http_url(value) if value is not None else None

    @field_validator("title")
    @classmethod
    def _check_title(cls, value: str) -> str:
        if not fold_whitespace(value):
            raise ValueError("must not be empty")
        return value


def _aware(value: dt.datetime | dt.date | None, zone: ZoneInfo) -> dt.datetime | None:
    if value is None:
        return None
    if not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time(0, 0))
    return value if value.tzinfo else value.replace(tzinfo=zone)


def _read_text(path: Path) -> tuple[str, bool]:
    """The file's text (at most STORY_FILE_BYTES of it, newlines as "\n"), and whether there was more."""
    try:
        with open_regular_file(path) as file:
            data = file.read(STORY_FILE_BYTES + 1)
    except NotRegularFile as e:
        raise StoryFileError(str(e), where=path) from None
    except OSError as e:
        raise StoryFileError(f"cannot read: {e.strerror}", where=path) from None
    more = len(data) > STORY_FILE_BYTES
    try:
        # Not final when there is more: a character the cut split in two is left out, not an error.
        text = codecs.getincrementaldecoder("utf-8")().decode(data[:STORY_FILE_BYTES], final=not more)
    except UnicodeDecodeError as e:
        raise StoryFileError(f"not UTF-8 text ({e.reason} at byte {e.start})", where=path) from None
    return text.replace("\r\n", "\n").replace("\r", "\n"), more


def _capped_body(body: str, more: bool) -> tuple[str, str]:
    """The body cut to the paragraphs that fit in STORY_BODY_CHARACTERS (to the words that fit, if
    the first paragraph does not), and a warning saying so; the body itself and "" when it fits."""
    if len(body) <= STORY_BODY_CHARACTERS and not more:
        return body, ""
    head = body[:STORY_BODY_CHARACTERS]
    kept = head.rsplit("\n\n", 1)[0].rstrip()
    if not kept or kept == head.rstrip():  # no paragraph ends within the cap: cut at a word
        at_a_word = len(body) <= len(head) or body[len(head)].isspace()
        kept = (head if at_a_word else _PARTIAL_WORD.sub("", head)).rstrip() or head
    return kept, f"the body is over {STORY_BODY_CHARACTERS:,} characters; cut to the first {len(kept):,}"


def _parse_post(path: Path) -> tuple[frontmatter.Post, bool]:
    """The file's front matter and body, and whether the file went on past STORY_FILE_BYTES."""
    text, more = _read_text(path)
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise StoryFileError(f"front matter is not valid YAML{line}: {problem}", where=path) from None
    if not post.metadata:
        raise StoryFileError("has no front matter (expected a '---' block with title and url)", where=path)
    return post, more


def read_story_file(path: Path, *, timezone: str = "UTC") -> Story:
    """The story in a story file; a body that had to be cut is logged as a warning naming the file."""
    story, cut = _story_and_cut(path, timezone)
    if cut:
        log.warning("warning: %s: %s", path, cut)
    return story


def _story_and_cut(path: Path, timezone: str) -> tuple[Story, str]:
    """The story in a story file, and what was cut from its body ("" when nothing was)."""
    if not _STORY_ID.match(path.stem):
        raise StoryFileError(
            "file name must start with a letter or digit and use only letters, digits, '.', '_', '-'",
            where=path,
        )
    post, more = _parse_post(path)
    body, cut = _capped_body(post.content, more)
    try:
        meta = StoryFrontMatter.model_validate(post.metadata)
    except ValidationError as e:
        problems = describe(e, tables=False, model=StoryFrontMatter)
        raise StoryFileError("; ".join(problems), where=path) from None
    kind = StoryKind(meta.kind)
    if kind is StoryKind.SPONSORED and not meta.sponsor.strip():
        raise StoryFileError("sponsor: a sponsored story needs the sponsor's name", where=path)
    image = None
    if meta.image:
        image = Image(
            url=meta.image,
            alt=fold_whitespace(meta.image_alt),
            credit=fold_whitespace(meta.image_credit),
            caption=fold_whitespace(meta.image_caption),
            width=meta.image_width or 0,
        )
    story = Story(
        id=path.stem,
        title=fold_whitespace(meta.title),
        url=meta.url,
        summary=markdown_to_html(body, base_url=meta.url),
        image=image,
        kind=kind,
        sponsor=fold_whitespace(meta.sponsor),
        published=_aware(meta.published, ZoneInfo(timezone)),
        section=fold_whitespace(meta.section),
        author=fold_whitespace(meta.author),
        priority=meta.priority,
        cta=fold_whitespace(meta.cta),
        duration=fold_whitespace(meta.duration),
        source=str(path),
        added=_aware(meta.added, ZoneInfo(timezone)),
        added_by=fold_whitespace(meta.added_by),
        note=fold_whitespace(meta.note),
    )
    return story, cut


def story_files(folder: Path) -> list[Path]:
    """The story files in ``folder``, sorted by name so nothing depends on the disk's order.

    None when there is no such folder.
    """
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in STORY_SUFFIXES and p.is_file())


def read_story_folder(folder: Path, *, timezone: str = "UTC") -> list[Story]:
    """Every story file in a folder, in the order of their names."""
    if not folder.is_dir():
        raise StoryFileError("story folder not found", where=folder)
    return [read_story_file(p, timezone=timezone) for p in story_files(folder)]


class StoryFolderReader:
    """A folder of story files as a gather source: a bad file is reported and skipped, not fatal."""

    format = "folder"

    def read(self, folder: Path, context: ReadContext) -> ReadResult:
        if not folder.is_dir():
            raise SourceError("story folder not found")
        paths = story_files(folder)
        result = ReadResult(entries=len(paths))
        for path in paths:
            try:
                story, cut = _story_and_cut(path, context.timezone.key)
            except StoryFileError as e:
                result.warnings.append(f"skipped {path.name}: {e.message}")
                result.dropped["invalid story file"] += 1
                continue
            if cut:
                result.warnings.append(f"{path.name}: {cut}")
            plain = summary_text(story.summary)
            length = context.source.rules.teaser_length
            short = teaser(plain, length)
            result.stories.append(
                replace(story, source=context.source.label, teaser=short, teaser_length=length)
            )
        return result

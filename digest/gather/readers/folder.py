"""Story files: Markdown with YAML front matter, one story per file, id = file stem."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import frontmatter
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from digest.errors import SourceError, StoryFileError
from digest.gather.readers.base import ReadContext, ReadResult
from digest.markup import fold_whitespace, markdown_to_html, summary_text, teaser
from digest.model import Image, Story, StoryKind
from digest.urls import absolute_http_url
from digest.validation import describe

STORY_SUFFIXES = (".md", ".markdown")
_STORY_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


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
    section: str = ""
    author: str = ""
    priority: int = 0
    cta: str = ""
    duration: str = ""

    _check_url = field_validator("url")(_must_be_http_url)

    @field_validator("published", mode="before")
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


def _parse_post(path: Path) -> frontmatter.Post:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as e:
        raise StoryFileError(f"not UTF-8 text ({e.reason} at byte {e.start})", where=path) from None
    except OSError as e:
        raise StoryFileError(f"cannot read: {e.strerror}", where=path) from None
    try:
        post = frontmatter.loads(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f" (line {mark.line + 1})" if mark is not None else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise StoryFileError(f"front matter is not valid YAML{line}: {problem}", where=path) from None
    if not post.metadata:
        raise StoryFileError("has no front matter (expected a '---' block with title and url)", where=path)
    return post


def read_story_file(path: Path, *, timezone: str = "UTC") -> Story:
    if not _STORY_ID.match(path.stem):
        raise StoryFileError(
            "file name must start with a letter or digit and use only letters, digits, '.', '_', '-'",
            where=path,
        )
    post = _parse_post(path)
    try:
        meta = StoryFrontMatter.model_validate(post.metadata)
    except ValidationError as e:
        raise StoryFileError("; ".join(describe(e, tables=False)), where=path) from None
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
        )
    return Story(
        id=path.stem,
        title=fold_whitespace(meta.title),
        url=meta.url,
        summary=markdown_to_html(post.content, base_url=meta.url),
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
    )


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
                story = read_story_file(path, timezone=context.timezone.key)
            except StoryFileError as e:
                result.warnings.append(f"skipped {path.name}: {e.message}")
                result.dropped["invalid story file"] += 1
                continue
            plain = summary_text(story.summary)
            length = context.source.rules.teaser_length
            short = teaser(plain, length)
            result.stories.append(
                replace(story, source=context.source.label, teaser=short, teaser_length=length)
            )
        return result

"""Write an editor's wording back into issue.toml: the subject, preheader and intro in `[issue]`,
and a story's headline, teaser, photo and section as its `[stories.<id>]` override.

Every story is edited through its override, whatever its source: a story file stays as its
writer left it, a story from a feed has no file to edit, and compose already applies
`[stories.<id>]` to both (digest/compose/choices.py). Values come from a browser form, so they
are checked here (lengths, http(s) photos) before anything is written; templates escape them.
"""

from __future__ import annotations

import hashlib
import tomllib
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from tomlkit.items import Table

from digest.errors import ConfigError
from digest.settings.editor_choices import _issue_table, _parse, _set_key, table_at
from digest.settings.files import ISSUE_FILE
from digest.urls import absolute_http_url

STORIES_TABLE = "stories"


@dataclass(frozen=True, slots=True)
class EditableField:
    """One field the preview edits: its key in issue.toml, its label, and its longest value."""

    key: str
    label: str
    longest: int
    guidance: int = 0
    """The length inboxes show (subject 60, preheader 100): longer is allowed, with a warning."""


ISSUE_FIELDS = {
    f.key: f
    for f in (
        EditableField("subject", "Subject", 200, guidance=60),
        EditableField("preheader", "Preheader", 300, guidance=100),
        EditableField("intro", "Intro", 4000),
    )
}
STORY_FIELDS = {
    f.key: f
    for f in (
        EditableField("title", "Headline", 300),
        EditableField("teaser", "Teaser", 4000),
        EditableField("image", "Image URL", 2000),
        EditableField("image_alt", "Image alt text", 300),
        EditableField("image_credit", "Image credit", 200),
        EditableField("section", "Section", 100),
    )
}


def issue_version(folder: Path) -> str:
    """The version of FOLDER/issue.toml a form was rendered from: a hash of its bytes ("" if none)."""
    try:
        data = (folder / ISSUE_FILE).read_bytes()
    except FileNotFoundError:
        return ""
    return hashlib.sha256(data).hexdigest()[:16]


def checked_value(field: EditableField, value: str) -> str:
    """The value as it will be written, or a one-line ConfigError naming the field."""
    value = value.replace("\r\n", "\n").strip()
    if len(value) > field.longest:
        raise ConfigError(f"{field.label}: {len(value)} characters; at most {field.longest}")
    if "\x00" in value or (field.key != "teaser" and field.key != "intro" and "\n" in value):
        raise ConfigError(f"{field.label}: one line of text, please")
    if field.key == "image" and value and not absolute_http_url(value):
        raise ConfigError(f"{field.label}: must be an absolute http(s) URL, or empty to drop the photo")
    return value


def _story_table(document: tomlkit.TOMLDocument, story_id: str) -> Table:
    stories = table_at(document, STORIES_TABLE, label=STORIES_TABLE, super_table=True)
    return table_at(stories, story_id, label=f"{STORIES_TABLE}.{story_id}")


def _write(table: Table, key: str, value: str) -> None:
    if value:
        current = table.get(key)
        if current is None or current.unwrap() != value:
            item = tomlkit.string(value, multiline="\n" in value)
            _set_key(table, key, item)
    elif key in table:
        del table[key]


def write_issue_field(source: str, key: str, value: str) -> str:
    """issue.toml text with `[issue] key = value` ("" removes the key: its default again)."""
    document = _parse(source)
    _write(_issue_table(document), key, checked_value(ISSUE_FIELDS[key], value))
    return tomlkit.dumps(document)


def write_story_field(source: str, story_id: str, key: str, value: str) -> str:
    """issue.toml text with `[stories.<story_id>] key = value` ("" removes it: the story's own
    wording again; for `image`, "" keeps the story's own photo). An emptied override goes too."""
    document = _parse(source)
    checked = checked_value(STORY_FIELDS[key], value)
    table = _story_table(document, story_id)
    _write(table, key, checked)
    stories = document[STORIES_TABLE]
    if not table and isinstance(stories, Table):
        del stories[story_id]
    return tomlkit.dumps(document)


def story_overrides(folder: Path) -> dict[str, dict[str, object]]:
    """The `[stories.<id>]` tables of FOLDER/issue.toml as written (for the edit forms); {} if none
    or unreadable (the page then shows why the issue does not load)."""
    try:
        stories = tomllib.loads((folder / ISSUE_FILE).read_text(encoding="utf-8")).get(STORIES_TABLE, {})
    except (OSError, tomllib.TOMLDecodeError):
        return {}
    return {k: v for k, v in stories.items() if isinstance(v, dict)} if isinstance(stories, dict) else {}

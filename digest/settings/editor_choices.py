"""Write an editor's choices (`[issue]` lead, order, exclude) back into issue.toml.

The composer decides what a choice means (digest/compose/edits.py turns "pin", "move up",
"exclude" into new settings); this module only writes the result. The file is the editor's: it
is edited with tomlkit, so comments, key order and layout survive, keys whose value did not
change are not touched, and `git diff issue.toml` shows just the lines that changed.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from collections.abc import Callable
from pathlib import Path

import tomlkit
import tomlkit.exceptions
from tomlkit.items import Item, Table

from digest.atomic import write_atomically
from digest.errors import ConfigError
from digest.settings.files import ISSUE_FILE
from digest.settings.issue import IssueSettings

ISSUE_TABLE = "issue"
CHOICE_KEYS = ("lead", "order", "exclude")
# Lists longer than this are written one id per line, so moving a story is a one-line diff.
INLINE_LIST_LENGTH = 2


def table_at(
    container: tomlkit.TOMLDocument | Table, key: str, *, label: str, super_table: bool = False
) -> Table:
    """The table at `key`, added when missing; a ConfigError naming `[label]` when it is a value."""
    if key not in container:
        container.add(key, tomlkit.table(is_super_table=super_table))
    table = container[key]
    if not isinstance(table, Table):
        raise ConfigError(f"[{label}] must be a table")
    return table


def _issue_table(document: tomlkit.TOMLDocument) -> Table:
    return table_at(document, ISSUE_TABLE, label=ISSUE_TABLE)


def _set_key(table: Table, key: str, value: Item) -> None:
    """Set a key, keeping the comment at the end of its line if it had one."""
    old = table.item(key) if key in table else None
    if isinstance(old, Item):  # not a table split over the file: choices are plain values
        value.trivia.comment_ws = old.trivia.comment_ws
        value.trivia.comment = old.trivia.comment
    table[key] = value


def _parse(source: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(source)
    except tomlkit.exceptions.ParseError as e:
        raise ConfigError(f"not valid TOML: {e}") from None


def _value(key: str, settings: IssueSettings) -> Item | None:
    """The TOML item for one choice, or None when the key should be absent (its default)."""
    value = getattr(settings, key)
    if value is None or value == []:
        return None
    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(value)
        array.multiline(len(value) > INLINE_LIST_LENGTH)
        return array
    return tomlkit.item(value)


def write_choices(source: str, settings: IssueSettings) -> str:
    """issue.toml text with `[issue]` lead, order and exclude as in `settings`; nothing else changes."""
    document = _parse(source)
    table = _issue_table(document)
    for key in CHOICE_KEYS:
        wanted = _value(key, settings)
        current = table.get(key)
        if wanted is None:
            if key in table:
                del table[key]
        elif current is None or current.unwrap() != wanted.unwrap():
            _set_key(table, key, wanted)
    return tomlkit.dumps(document)


def edit_issue_file(folder: Path, edit: Callable[[str], str]) -> bool:
    """Apply `edit` to FOLDER/issue.toml, replacing the file atomically (never half-written).

    Returns whether the file changed: an edit that changes nothing leaves the file untouched.
    """
    path = folder / ISSUE_FILE
    try:
        source = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", where=path) from None
    try:
        updated = edit(source)
    except ConfigError as e:
        raise ConfigError(e.message, where=path) from None
    tomllib.loads(updated)  # tomlkit's output must stay readable by the loader the build uses
    if updated == source:
        return False
    # The editor's file keeps its permissions (the writer makes new files private to their owner).
    write_atomically(path, updated.encode("utf-8"), mode=path.stat().st_mode & 0o7777)
    return True


NEW_ISSUE_FILE = """\
# The editors' choices for the issue of {date}. This week has no stories folder of its own: its
# stories are gathered from the [[sources]] of {project}, as `digest run` gathers them, and this
# file (created by the preview at the editor's first choice) says what to do with them.
[issue]
date = {date}
"""


def start_issue_file(folder: Path, date: dt.date, project_file: Path) -> bool:
    """Create FOLDER/issue.toml for a week built from feeds, so an editor's choice has a place to
    live: the folder `digest run` looks in for that date. True when it was created now."""
    path = folder / ISSUE_FILE
    if path.is_file():
        return False
    text = NEW_ISSUE_FILE.format(date=date.isoformat(), project=project_file.name)
    # Readable like the rest of the project: the editors' files, not secrets.
    write_atomically(path, text.encode("utf-8"), mode=0o644)
    return True

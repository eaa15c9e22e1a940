"""Write an editor's choices (the `[issue]` keys the preview's buttons set) back into issue.toml.

The file is the editor's: it is edited with tomlkit, so comments, key order and layout survive
and `git diff issue.toml` shows exactly the one line that changed.
"""

from __future__ import annotations

import os
import tempfile
import tomllib
from collections.abc import Callable
from pathlib import Path

import tomlkit
import tomlkit.exceptions
from tomlkit.items import Item, Table

from digest.config import ISSUE_FILE
from digest.errors import ConfigError

ISSUE_TABLE = "issue"


def _issue_table(document: tomlkit.TOMLDocument) -> Table:
    if ISSUE_TABLE not in document:
        document.add(ISSUE_TABLE, tomlkit.table())
    table = document[ISSUE_TABLE]
    if not isinstance(table, Table):
        raise ConfigError(f"[{ISSUE_TABLE}] must be a table")
    return table


def _set_key(table: Table, key: str, value: Item) -> None:
    """Set a key, keeping the comment at the end of its line if it had one."""
    if key in table:
        old = table.item(key)
        value.trivia.comment_ws = old.trivia.comment_ws
        value.trivia.comment = old.trivia.comment
    table[key] = value


def _parse(source: str) -> tomlkit.TOMLDocument:
    try:
        return tomlkit.parse(source)
    except tomlkit.exceptions.ParseError as e:
        raise ConfigError(f"not valid TOML: {e}") from None


def set_lead(source: str, story_id: str | None) -> str:
    """issue.toml text with `[issue] lead` pinned to `story_id`, or the pin removed for None."""
    document = _parse(source)
    table = _issue_table(document)
    if story_id is None:
        if "lead" in table:
            del table["lead"]
    else:
        _set_key(table, "lead", tomlkit.item(story_id))
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
    handle, temporary = tempfile.mkstemp(prefix=".issue.", suffix=".toml", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(updated)
        os.chmod(temporary, path.stat().st_mode & 0o7777)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return True

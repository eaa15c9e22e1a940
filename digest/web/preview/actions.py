"""The preview's story buttons, as the composer's own edits of `[issue]` settings.

Nothing here decides what a choice means for the issue: pin, exclude, include and move are the
composer's (digest/compose/edits.py). This module names the buttons and applies the right one.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from digest.compose import exclude_story, include_story, move_story, pin_lead
from digest.errors import DigestError
from digest.pipeline import compose_folder
from digest.settings import IssueSettings, load_issue_config
from digest.settings.editor_choices import edit_issue_file, write_choices


class Action(StrEnum):
    PIN = "pin"
    UNPIN = "unpin"
    UP = "up"
    DOWN = "down"
    EXCLUDE = "exclude"
    INCLUDE = "include"


class ActionError(DigestError):
    """A button that cannot apply: an unknown action, or a move in an issue that does not compose."""


def choose(folder: Path, action: Action, story_id: str) -> IssueSettings:
    """The issue's settings after the editor's `action` on `story_id` (nothing is written)."""
    settings = load_issue_config(folder).issue
    match action:
        case Action.PIN:
            return pin_lead(settings, story_id)
        case Action.UNPIN:
            return settings.model_copy(update={"lead": None}) if settings.lead == story_id else settings
        case Action.EXCLUDE:
            return exclude_story(settings, story_id)
        case Action.INCLUDE:
            return include_story(settings, story_id)
        case Action.UP | Action.DOWN:
            # A move is relative to the order the issue has now, so the issue must compose.
            composition = compose_folder(folder)
            return move_story(composition, settings, story_id, -1 if action is Action.UP else 1)
    raise ActionError(f"unknown action {action!r}")


def apply_action(folder: Path, action: Action, story_id: str) -> bool:
    """Write the result of the editor's action into issue.toml; True when the file changed."""
    settings = choose(folder, action, story_id)
    return edit_issue_file(folder, lambda source: write_choices(source, settings))

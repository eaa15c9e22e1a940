"""The preview's story buttons, as the composer's own edits of `[issue]` settings.

Nothing here decides what a choice means for the issue: pin, exclude, include and move are the
composer's (digest/compose/edits.py). This module names the buttons and applies the right one to
the week as the preview last composed it, whatever its stories' source (story files or feeds).
"""

from __future__ import annotations

from enum import StrEnum

from digest.compose import Composition, exclude_story, include_story, move_story, pin_lead
from digest.errors import DigestError
from digest.settings import IssueSettings


class Action(StrEnum):
    PIN = "pin"
    UNPIN = "unpin"
    UP = "up"
    DOWN = "down"
    EXCLUDE = "exclude"
    INCLUDE = "include"


PAST_TENSE = {
    Action.PIN: "Pinned as lead",
    Action.UNPIN: "Unpinned",
    Action.UP: "Moved up",
    Action.DOWN: "Moved down",
    Action.EXCLUDE: "Excluded",
    Action.INCLUDE: "Included",
}


class ActionError(DigestError):
    """A button that cannot apply: an unknown action, or a move in an issue that does not compose."""


MOST_STEPS = 50
"""The furthest one move goes (a drag across More from is one move of several places)."""


def form_steps(value: str) -> int:
    """The places a move goes, as a form sends it ("" is one: the Up and Down buttons)."""
    try:
        return int(value or 1)
    except ValueError:
        raise ActionError(f"steps: a whole number of places, not {value!r}") from None


def choose(
    settings: IssueSettings, composition: Composition | None, action: Action, story_id: str, steps: str = ""
) -> IssueSettings:
    """The issue's settings after the editor's `action` on `story_id` (nothing is written); a move
    goes `steps` places as the form sent them (Up/Down: "", one; a drag: as far as it was dropped)."""
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
            if composition is None:
                raise ActionError("the issue does not compose, so a story cannot be moved")
            by = min(max(form_steps(steps), 1), MOST_STEPS)
            return move_story(composition, settings, story_id, -by if action is Action.UP else by)
    raise ActionError(f"unknown action {action!r}")

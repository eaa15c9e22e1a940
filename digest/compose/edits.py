"""The editor's actions (pin, exclude, include, move) as changes to `[issue]` settings.

Each returns new settings and touches only `lead`, `order` and `exclude`, so a caller (the
preview) can write exactly those keys back to issue.toml and compose again.
"""

from __future__ import annotations

from digest.compose.records import Composition
from digest.errors import ComposeError
from digest.settings import IssueSettings


def _without(ids: list[str], story_id: str) -> list[str]:
    return [i for i in ids if i != story_id]


def pin_lead(settings: IssueSettings, story_id: str) -> IssueSettings:
    """Pin a story as lead; it stops being excluded or ordered within More from."""
    return settings.model_copy(
        update={
            "lead": story_id,
            "order": _without(settings.order, story_id),
            "exclude": _without(settings.exclude, story_id),
        }
    )


def exclude_story(settings: IssueSettings, story_id: str) -> IssueSettings:
    """Leave a story out; it is unpinned and taken out of the order if it was in them."""
    return settings.model_copy(
        update={
            "lead": None if settings.lead == story_id else settings.lead,
            "order": _without(settings.order, story_id),
            "exclude": [*_without(settings.exclude, story_id), story_id],
        }
    )


def include_story(settings: IssueSettings, story_id: str) -> IssueSettings:
    """Undo an exclusion."""
    return settings.model_copy(update={"exclude": _without(settings.exclude, story_id)})


def move_story(composition: Composition, settings: IssueSettings, story_id: str, by: int) -> IssueSettings:
    """Move a More-from story `by` places (negative = up) and write the resulting order out in full.

    Sponsored blocks keep their slots, so a story moves among its own kind: an article past
    the articles (and videos) around it, a sponsored block past the other sponsored blocks.
    """
    placed = [p.story for p in composition.more_from]
    story = next((s for s in placed if s.id == story_id), None)
    if story is None:
        raise ComposeError(f"{story_id!r} is not in More from, so it cannot be moved")
    editorial = [s.id for s in placed if not s.is_sponsored]
    sponsored = [s.id for s in placed if s.is_sponsored]
    group = sponsored if story.is_sponsored else editorial
    current = group.index(story_id)
    target = min(max(current + by, 0), len(group) - 1)
    group.insert(target, group.pop(current))
    return settings.model_copy(update={"order": [*editorial, *sponsored]})

"""Decide what subscribers see first: the lead story, then "More from <publication>".

`compose` is the whole stage (lead, More from, sponsored slots, the editor's overrides) and
returns a `Composition`: the `Issue` the renderer needs plus why each story is where it is.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence

from digest.compose.choices import SPONSORED_HAS_NO_SECTION
from digest.compose.composer import compose, compose_issue
from digest.compose.edits import exclude_story, include_story, move_story, pin_lead
from digest.compose.explain import composition_to_dict
from digest.compose.records import Composition, LeadScore, LeftOut, Placement, Reason
from digest.compose.score import lead_score
from digest.model import Story
from digest.settings import IssueConfig

__all__ = [
    "SPONSORED_HAS_NO_SECTION",
    "Composition",
    "LeadScore",
    "LeftOut",
    "Placement",
    "Reason",
    "compose",
    "compose_config",
    "compose_issue",
    "composition_to_dict",
    "exclude_story",
    "include_story",
    "lead_score",
    "move_story",
    "pin_lead",
]


def compose_config(
    config: IssueConfig,
    stories: Sequence[Story],
    *,
    recently_sent: Collection[str] = (),
    canonical_url: Callable[[str], str] | None = None,
) -> Composition:
    """Compose with everything an issue folder's settings say ([issue], [compose], [stories.<id>])."""
    extra = {"canonical_url": canonical_url} if canonical_url is not None else {}
    return compose(
        config.newsletter,
        config.issue,
        stories,
        options=config.compose,
        overrides=config.story_overrides,
        recently_sent=recently_sent,
        choices_file=config.issue_file,
        **extra,
    )

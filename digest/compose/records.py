"""What composing decided, story by story: plain records that `--explain`, `--json` and the preview read."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from digest.model import Issue, Story


class Reason(StrEnum):
    """Why a story is where it is (or is not in the issue at all)."""

    # the lead
    PINNED = "pinned"
    SCORE = "score"
    # More from
    EDITOR_ORDER = "editor-order"
    RANKED = "ranked"
    SPONSORED_SLOT = "sponsored-slot"
    SPONSORED_MOVED_UP = "sponsored-moved-up"
    # left out
    EXCLUDED = "excluded"
    RECENTLY_SENT = "recently-sent"
    SPONSORED_CAP = "sponsored-cap"
    SPONSORED_NO_ROOM = "sponsored-no-room"
    OVER_LIMIT = "over-limit"


@dataclass(frozen=True, slots=True)
class LeadScore:
    """A story's lead score, part by part (see digest/compose/score.py for the formula)."""

    priority: float
    freshness: float
    image: float
    summary: float

    @property
    def total(self) -> float:
        return self.priority + self.freshness + self.image + self.summary

    def describe(self) -> str:
        return (
            f"{self.total:.1f} = priority {self.priority:g} + freshness {self.freshness:.1f}"
            f" + image {self.image:g} + summary {self.summary:.1f}"
        )


@dataclass(frozen=True, slots=True)
class Placement:
    """A story in the issue: where it sits and why."""

    story: Story
    """The story with the editor's overrides applied (its section kept, even when grouped)."""
    position: int
    """0 for the lead; 1, 2, … for the places in More from."""
    slot: str
    """"lead", "more-<position>", or "sponsored-<n>" for the n-th sponsored block."""
    reason: Reason
    detail: str
    """The reason in words, e.g. "editor's order (2nd)" or "sponsored slot 3 (1st of 2)"."""
    score: LeadScore | None = None
    """The lead score of every story that is not sponsored (only articles compete unless pinned)."""
    heading: str = ""
    """The section heading shown just above this item, when the issue is grouped by section."""


@dataclass(frozen=True, slots=True)
class LeftOut:
    """A story the issue does not carry, and why."""

    story: Story
    reason: Reason
    detail: str


@dataclass(frozen=True, slots=True)
class Composition:
    """The composed issue plus everything `digest compose --explain` reports about it."""

    issue: Issue
    placements: tuple[Placement, ...]
    """The lead first, then More from in order: one per story in ``issue.stories``."""
    left_out: tuple[LeftOut, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def lead(self) -> Placement:
        return self.placements[0]

    @property
    def more_from(self) -> tuple[Placement, ...]:
        return self.placements[1:]

    def find(self, story_id: str) -> Placement | LeftOut | None:
        """Where a story went: its placement, why it was left out, or None for an unknown id."""
        records: tuple[Placement | LeftOut, ...] = (*self.placements, *self.left_out)
        for record in records:
            if record.story.id == story_id:
                return record
        return None

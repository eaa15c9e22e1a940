"""More from: ranking, sponsored slots, the limit and section grouping. Pure functions over stories."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from digest.model import Story

_OLDEST = datetime.min.replace(tzinfo=UTC)


def rank_key(story: Story, order: Mapping[str, int]) -> tuple[int, int, float, str]:
    """The editor's order first, then higher priority, then newest, then id (so ties never wobble)."""
    published = story.published or _OLDEST
    return (order.get(story.id, len(order)), -story.priority, -published.timestamp(), story.id)


def ranked(stories: Sequence[Story], order: Sequence[str]) -> list[Story]:
    index = {story_id: n for n, story_id in enumerate(order)}
    return sorted(stories, key=lambda s: rank_key(s, index))


@dataclass(frozen=True, slots=True)
class Entry:
    """One More-from item while composing; `wanted_slot` is set for sponsored blocks."""

    story: Story
    wanted_slot: int | None = None


def interleave(
    editorial: Sequence[Story], sponsored: Sequence[Story], slots: Sequence[int]
) -> tuple[list[Entry], list[Story]]:
    """Put the n-th sponsored story at the n-th slot, editorial stories everywhere else.

    When there are too few editorial stories to reach a slot, the sponsored block moves up to
    just after the last of them, unless that would put it next to another sponsored block: then
    it is returned as having no room. Slots are at least two apart (the config checks), so
    sponsored blocks are never adjacent. Returns (entries, sponsored stories with no room).
    """
    entries: list[Entry] = []
    no_room: list[Story] = []
    queue = deque(editorial)
    for story, slot in zip(sponsored, slots, strict=False):
        while len(entries) < slot - 1 and queue:
            entries.append(Entry(queue.popleft()))
        if entries and entries[-1].wanted_slot is not None:
            no_room.append(story)
            continue
        entries.append(Entry(story, wanted_slot=slot))
    entries.extend(Entry(s) for s in queue)
    return entries, no_room


def section_rank(entries: Sequence[Entry], section_order: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Sort keys for sections: stories without one first, then the configured order, then by rank."""
    ranks: dict[str, tuple[int, int]] = {"": (0, 0)}
    for n, name in enumerate(section_order):
        ranks.setdefault(name, (1, n))
    for n, entry in enumerate(entries):
        ranks.setdefault(entry.story.section, (2, n))
    return ranks


def group_by_section(entries: Sequence[Entry], section_order: Sequence[str]) -> list[Entry]:
    """Regroup editorial stories by section, keeping sponsored blocks at their places.

    Within a section, stories keep their ranked order. Sponsored blocks do not move, so their
    slots and spacing hold after grouping.
    """
    ranks = section_rank([e for e in entries if e.wanted_slot is None], section_order)
    editorial = sorted(
        (e for e in entries if e.wanted_slot is None), key=lambda e: ranks[e.story.section]
    )  # sorted() is stable: rank order survives within a section
    refill = iter(editorial)
    return [e if e.wanted_slot is not None else next(refill) for e in entries]


def headings(entries: Sequence[Entry]) -> list[str]:
    """The section heading above each item: at the first editorial story of each section."""
    shown: list[str] = []
    current = ""
    for entry in entries:
        section = entry.story.section if entry.wanted_slot is None else current
        shown.append(section if section != current else "")
        current = section
    return shown

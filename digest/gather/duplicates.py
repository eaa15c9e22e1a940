"""The same story from two sources: found by canonical link or normalised title; the richest copy stays."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

from digest.markup import fold_whitespace, summary_text
from digest.model import Story
from digest.urls import canonical_url

MIN_TITLE_KEY = 12
"""Normalised titles shorter than this ("Video", "Weekly roundup") are too generic to match on."""

_PUNCTUATION = re.compile(r"[\W_]+")


def title_key(title: str) -> str:
    """The title with case, accents' forms, punctuation and spacing folded away."""
    folded = unicodedata.normalize("NFKC", title).casefold()
    return fold_whitespace(_PUNCTUATION.sub(" ", folded))


def _keys(story: Story) -> list[str]:
    keys = [f"url:{canonical_url(story.url)}"]
    title = title_key(story.title)
    if len(title.replace(" ", "")) >= MIN_TITLE_KEY:
        keys.append(f"title:{title}")
    return keys


def _richness(story: Story) -> tuple[bool, int]:
    return (story.image is not None, len(summary_text(story.summary)))


def collapse_duplicates(stories: Sequence[Story]) -> tuple[list[int], dict[int, int]]:
    """Group stories with the same canonical URL or the same normalised title; keep the richest.

    Returns the kept stories' indexes (in order) and, for every dropped one, the index of the
    story kept in its place. Richer means an image, then a longer summary; on a tie the earlier
    story (the earlier source) wins.
    """
    winners: list[int] = []
    members: list[list[int]] = []
    group_of: dict[str, int] = {}
    for index, story in enumerate(stories):
        keys = _keys(story)
        group = next((group_of[k] for k in keys if k in group_of), None)
        if group is None:
            group = len(winners)
            winners.append(index)
            members.append([index])
        else:
            members[group].append(index)
            if _richness(story) > _richness(stories[winners[group]]):
                winners[group] = index
        for key in keys:
            group_of.setdefault(key, group)
    replaced_by = {m: winners[g] for g, group in enumerate(members) for m in group if m != winners[g]}
    return sorted(winners), replaced_by


def unique_ids(stories: Sequence[Story], taken: set[str] | None = None) -> list[Story]:
    """Stories with ids made unique by a -2, -3 … suffix, in order; ``taken`` ids are avoided."""
    used = set(taken or ())
    result = []
    for story in stories:
        candidate, number = story.id, 1
        while candidate in used:
            number += 1
            candidate = f"{story.id}-{number}"
        used.add(candidate)
        result.append(story if candidate == story.id else replace(story, id=candidate))
    return result


def without_duplicates_of(stories: Sequence[Story], preferred: Sequence[Story]) -> list[Story]:
    """``stories`` less any that duplicate one of ``preferred`` (an editor's own story files)."""
    known = {key for story in preferred for key in _keys(story)}
    return [s for s in stories if not any(k in known for k in _keys(s))]

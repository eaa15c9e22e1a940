"""Decide what subscribers see first: the lead story, then "More from <publication>"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from digest.config import IssueSettings
from digest.errors import ConfigError
from digest.markup import fold_whitespace, markdown_to_html, summary_text, teaser
from digest.model import Issue, Newsletter, Story

PREHEADER_LENGTH = 140
_OLDEST = datetime.min.replace(tzinfo=UTC)


def _rank(story: Story) -> tuple:
    # Higher priority first, then newest, then id so equal stories always land the same way.
    published = story.published or _OLDEST
    return (-story.priority, -published.timestamp(), story.id)


def pick_lead(stories: Sequence[Story], pinned: str | None) -> Story:
    if pinned is not None:
        by_id = {s.id: s for s in stories}
        if pinned not in by_id:
            raise ConfigError(f"[issue] lead: no story with id {pinned!r}")
        if by_id[pinned].is_sponsored:
            raise ConfigError(f"[issue] lead: {pinned!r} is sponsored and cannot lead an issue")
        return by_id[pinned]
    candidates = [s for s in stories if not s.is_sponsored and not s.is_video]
    if not candidates:
        raise ConfigError("no story can lead this issue (every story is sponsored or a video)")
    return min(candidates, key=_rank)


def compose_issue(newsletter: Newsletter, settings: IssueSettings, stories: Sequence[Story]) -> Issue:
    if not stories:
        raise ConfigError("the issue has no stories")
    lead = pick_lead(stories, settings.lead)
    more_from = tuple(sorted((s for s in stories if s is not lead), key=_rank))
    subject = fold_whitespace(settings.subject) if settings.subject else lead.title
    preheader = (
        fold_whitespace(settings.preheader)
        if settings.preheader
        else teaser(summary_text(lead.summary), PREHEADER_LENGTH)
    )
    return Issue(
        newsletter=newsletter,
        date=settings.date,
        subject=subject,
        preheader=preheader,
        lead=lead,
        more_from=more_from,
        intro=markdown_to_html(settings.intro) if settings.intro else "",
    )

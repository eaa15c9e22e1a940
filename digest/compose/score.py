"""The lead score: how the composer picks a lead when the editor has not pinned one.

    score = priority + freshness + image + summary

    priority   10 points per step of the story's `priority` (negative priorities subtract)
    freshness  20 points for a story published on or after the issue date (midnight, newsletter's
               timezone), falling in a straight line to 0 for one a week older; 0 when undated
    image      15 points when the story has a photo (a lead without one looks thin)
    summary    up to 10 points, in proportion to the summary's words, full at 60 words

Priority dominates on purpose: one step of priority outweighs two days of age, so an editor's
priority stays the main lever, while photo, freshness and length decide between equals.
The README's "Composing an issue" section repeats this table; keep the two in step.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from digest.compose.records import LeadScore
from digest.markup import summary_text
from digest.model import Story

PRIORITY_POINTS = 10.0
FRESHNESS_POINTS = 20.0
FRESHNESS_WINDOW = dt.timedelta(days=7)
IMAGE_POINTS = 15.0
SUMMARY_POINTS = 10.0
SUMMARY_FULL_WORDS = 60


def issue_start(date: dt.date, timezone: str) -> dt.datetime:
    """Midnight at the start of the issue date, where the newsletter is."""
    return dt.datetime.combine(date, dt.time(0, 0), tzinfo=ZoneInfo(timezone))


def lead_score(story: Story, start: dt.datetime) -> LeadScore:
    return LeadScore(
        priority=PRIORITY_POINTS * story.priority,
        freshness=_freshness(story.published, start),
        image=IMAGE_POINTS if story.image is not None else 0.0,
        summary=SUMMARY_POINTS
        * min(len(summary_text(story.summary).split()), SUMMARY_FULL_WORDS)
        / SUMMARY_FULL_WORDS,
    )


def _freshness(published: dt.datetime | None, start: dt.datetime) -> float:
    if published is None:
        return 0.0
    age = max(start - published, dt.timedelta(0))
    return FRESHNESS_POINTS * max(0.0, 1.0 - age / FRESHNESS_WINDOW)

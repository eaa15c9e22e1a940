"""A week of realistic stories for composer tests, built as plain `Story` values (no files)."""

from __future__ import annotations

import datetime as dt

from digest.model import Image, Newsletter, Story, StoryKind
from digest.settings import IssueSettings

NEWSLETTER = Newsletter(
    name="Harbour Weekly",
    publication="Harbour Press",
    from_address="Harbour Weekly <weekly@harbour-press.example>",
    base_url="https://harbour-press.example/weekly",
    postal_address="2 Quay Street, Portsmouth PO1 2AB, United Kingdom",
    timezone="Europe/London",
)
ISSUE_DATE = dt.date(2025, 3, 14)
LONDON = dt.UTC  # March in London is GMT, so the issue's midnight is UTC midnight


def settings(**choices) -> IssueSettings:
    return IssueSettings(date=ISSUE_DATE, **choices)


def story(
    story_id: str,
    *,
    kind: str = "article",
    priority: int = 0,
    days_old: float | None = 2,
    image: bool = True,
    words: int = 60,
    section: str = "",
    sponsor: str = "",
) -> Story:
    published = None
    if days_old is not None:
        published = dt.datetime.combine(ISSUE_DATE, dt.time(0), tzinfo=LONDON) - dt.timedelta(days=days_old)
    if kind == "sponsored" and not sponsor:
        sponsor = f"{story_id.title()} Ltd"
    title = story_id.replace("-", " ").capitalize()
    return Story(
        id=story_id,
        title=title,
        url=f"https://harbour-press.example/{story_id}",
        summary="<p>" + " ".join(["harbour"] * words) + "</p>" if words else "",
        image=Image(url=f"https://img.harbour-press.example/{story_id}.jpg", alt=title) if image else None,
        kind=StoryKind(kind),
        sponsor=sponsor,
        published=published,
        section=section,
        priority=priority,
        source=f"stories/{story_id}.md",
    )


def week() -> list[Story]:
    """A lead-worthy story, six articles, a video and three sponsored stories."""
    return [
        story("council-budget", priority=9, days_old=1, section="Town"),
        story("ferry-strike", priority=7, days_old=0.5, section="Town"),
        story("lifeboat-rescue", priority=6, days_old=3, section="Sea"),
        story("school-play", priority=4, days_old=2, section="Town", image=False),
        story("fish-prices", priority=4, days_old=1, section="Sea"),
        story("crab-lunches", priority=3, days_old=4, section="Food"),
        story("new-bakery", priority=1, days_old=6, section="Food"),
        story("tide-explainer", kind="video", priority=8, days_old=1),
        story("bank-savings", kind="sponsored", priority=5, sponsor="Quay Bank"),
        story("ferry-offer", kind="sponsored", priority=2, sponsor="Fal River Ferries"),
        story("boatyard-sale", kind="sponsored", priority=1, sponsor="Penryn Boatyard"),
    ]

"""The editor's choices in issue.toml, checked against the week's stories and applied to them."""

from __future__ import annotations

import difflib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from digest.errors import ComposeError, StoryFileError
from digest.markup import fold_whitespace, markdown_to_html
from digest.model import Image, Story
from digest.settings import IssueSettings, StoryOverride

CLOSEST_IDS = 3
SPONSORED_HAS_NO_SECTION = "a sponsored block keeps its slot and shows no section"


def closest_ids(unknown: str, known: Collection[str]) -> list[str]:
    """The ids most like `unknown`, best first (difflib's similarity ratio), for "did you mean"."""
    return difflib.get_close_matches(unknown, sorted(known), n=CLOSEST_IDS, cutoff=0.0)


def _unknown(key: str, story_id: str, known: Collection[str]) -> str:
    suggestions = closest_ids(story_id, known)
    hint = f"; closest: {', '.join(suggestions)}" if suggestions else "; the issue has no stories"
    return f"{key}: no story with id {story_id!r}{hint}"


def check_stories(stories: Sequence[Story]) -> None:
    """Problems in the stories themselves, whoever read them (story folder or feed)."""
    seen: dict[str, Story] = {}
    for story in stories:
        if story.id in seen:
            raise ComposeError(
                f"two stories have the id {story.id!r} ({seen[story.id].source or '?'} and "
                f"{story.source or '?'}); ids must be unique within an issue"
            )
        seen[story.id] = story
        if story.is_sponsored and not story.sponsor.strip():
            raise StoryFileError(
                "sponsor: a sponsored story needs the sponsor's name", where=story.source or story.id
            )


def check_choices(
    settings: IssueSettings,
    overrides: Mapping[str, StoryOverride],
    stories: Sequence[Story],
    *,
    where: str | Path | None = None,
) -> None:
    """Every id the editor named must exist, and choices must not contradict each other.

    All problems are reported at once, one line each, naming the key.
    """
    by_id = {s.id: s for s in stories}
    problems: list[str] = []

    def known(key: str, ids: Iterable[str]) -> None:
        problems.extend(_unknown(key, i, by_id) for i in ids if i not in by_id)

    if settings.lead is not None:
        known("[issue] lead", [settings.lead])
    known("[issue] order", settings.order)
    known("[issue] exclude", settings.exclude)
    known("[stories]", sorted(overrides))

    lead = by_id.get(settings.lead or "")
    if lead is not None and lead.is_sponsored:
        problems.append(f"[issue] lead: {lead.id!r} is sponsored, and a sponsored story never leads")
    if settings.lead in settings.exclude:
        problems.append(f"[issue] exclude: {settings.lead!r} is also pinned as [issue] lead")
    for story_id in sorted(set(settings.order) & set(settings.exclude)):
        problems.append(f"[issue] exclude: {story_id!r} is also listed in [issue] order")
    for story_id, override in sorted(overrides.items()):
        story = by_id.get(story_id)
        has_photo_details = override.image_alt or override.image_credit or override.image_caption
        if story is not None and has_photo_details and override.image is None and story.image is None:
            problems.append(f"[stories.{story_id}]: the story has no photo to describe; set image as well")
        if story is not None and story.is_sponsored and override.section is not None:
            problems.append(f"[stories.{story_id}] section: {SPONSORED_HAS_NO_SECTION}")
    if problems:
        raise ComposeError(
            "\n  ".join(["the editor's choices do not fit the stories:", *problems]), where=where
        )


def apply_override(story: Story, override: StoryOverride) -> Story:
    """The story with the editor's title, teaser (Markdown), photo and section for this issue."""
    title = story.title if override.title is None else fold_whitespace(override.title)
    summary, teaser_length = story.summary, story.teaser_length
    if override.teaser is not None:  # the editor's own words: shown as written, never cut
        summary, teaser_length = markdown_to_html(override.teaser, base_url=story.url), 0
    image = _image(story.image, override)
    section = story.section if override.section is None else fold_whitespace(override.section)
    return replace(
        story, title=title, summary=summary, teaser_length=teaser_length, image=image, section=section
    )


def _image(image: Image | None, override: StoryOverride) -> Image | None:
    alt, credit, caption = map(
        fold_whitespace, (override.image_alt, override.image_credit, override.image_caption)
    )
    if override.image is not None:
        # A new photo brings its own description (and size, unknown); the old one's would be wrong.
        return Image(url=override.image, alt=alt, credit=credit, caption=caption) if override.image else None
    if image is not None and (alt or credit or caption):
        return replace(
            image, alt=alt or image.alt, credit=credit or image.credit, caption=caption or image.caption
        )
    return image


def apply_overrides(stories: Sequence[Story], overrides: Mapping[str, StoryOverride]) -> list[Story]:
    return [apply_override(s, overrides[s.id]) if s.id in overrides else s for s in stories]

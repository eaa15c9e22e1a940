"""Stories + the editor's choices → the issue, with a record of why each story is where it is."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from digest.compose.choices import apply_overrides, check_choices, check_stories
from digest.compose.placement import Entry, group_by_section, headings, interleave, rank_key, ranked
from digest.compose.records import Composition, LeadScore, LeftOut, Placement, Reason
from digest.compose.score import issue_start, lead_score
from digest.compose.teasers import shown_summary
from digest.errors import ComposeError
from digest.markup import fold_whitespace, markdown_to_html, summary_text, teaser
from digest.model import LEAD_SLOT, Issue, Newsletter, Story, slot_names
from digest.settings import ComposeSettings, IssueSettings, StoryOverride

PREHEADER_LENGTH = 140
SUBJECT_WARN_LENGTH = 60
"""Phones show about this many characters of a subject line."""


def _same_url(url: str) -> str:
    return url


def compose(
    newsletter: Newsletter,
    settings: IssueSettings,
    stories: Sequence[Story],
    *,
    options: ComposeSettings | None = None,
    overrides: Mapping[str, StoryOverride] | None = None,
    recently_sent: Collection[str] = (),
    canonical_url: Callable[[str], str] = _same_url,
    choices_file: str | Path | None = None,
) -> Composition:
    """Compose an issue. The same inputs give the same result, whatever order `stories` come in.

    `recently_sent` holds the canonical URLs of stories in recent issues (compared with
    ``canonical_url(story.url)``): such a story is left out unless the editor pinned it as lead
    or listed it in `order`; given as a mapping from URL to issue id, the reason names the issue.
    `choices_file` is named in errors about the editor's choices.
    """
    options = options or ComposeSettings()
    overrides = overrides or {}
    if not stories:
        raise ComposeError("the issue has no stories", where=choices_file)
    check_stories(stories)
    check_choices(settings, overrides, stories, where=choices_file)
    stories = sorted(apply_overrides(stories, overrides), key=lambda s: s.id)

    # A mapping (canonical URL → issue id) lets explain name the issue that carried the story.
    recent = dict(recently_sent) if isinstance(recently_sent, Mapping) else dict.fromkeys(recently_sent, "")
    candidates, left_out = _set_aside(stories, settings, recent, canonical_url)
    start = issue_start(settings.date, newsletter.timezone)
    scores = {s.id: lead_score(s, start) for s in candidates if not s.is_sponsored}
    lead = _lead(candidates, settings.lead, scores, where=choices_file)
    entries, more_left_out = _arrange([s for s in candidates if s.id != lead.story.id], settings, options)
    left_out.extend(more_left_out)

    more_from = _more_from(lead.story, entries, settings.order, scores, grouped=options.group_by_section)
    issue = Issue(
        newsletter=newsletter,
        date=settings.date,
        subject=fold_whitespace(settings.subject or "") or lead.story.title,
        preheader=fold_whitespace(settings.preheader or "")
        or teaser(summary_text(lead.story.summary), PREHEADER_LENGTH),
        lead=shown_summary(lead.story, lead=True),
        more_from=tuple(_as_shown(p, grouped=options.group_by_section) for p in more_from),
        intro=markdown_to_html(settings.intro) if settings.intro else "",
        more_from_headings=tuple(p.heading for p in more_from) if options.group_by_section else (),
    )
    return Composition(
        issue=issue,
        placements=(lead, *more_from),
        left_out=tuple(left_out),
        warnings=tuple(_warnings(issue, left_out)),
    )


def _set_aside(
    stories: Sequence[Story],
    settings: IssueSettings,
    recent: Mapping[str, str],
    canonical_url: Callable[[str], str],
) -> tuple[list[Story], list[LeftOut]]:
    """The stories that may appear, and those the editor excluded or recent issues already carried."""
    chosen = {*settings.order, *([settings.lead] if settings.lead else [])}
    excluded = set(settings.exclude)
    candidates: list[Story] = []
    left_out: list[LeftOut] = []
    for story in stories:
        if story.id in excluded:
            left_out.append(LeftOut(story, Reason.EXCLUDED, "excluded by the editor ([issue] exclude)"))
        elif story.id not in chosen and recent and canonical_url(story.url) in recent:
            sent_in = recent[canonical_url(story.url)] or "a recent issue"
            detail = f"sent in {sent_in}; pin it or list it in [issue] order to send it again"
            left_out.append(LeftOut(story, Reason.RECENTLY_SENT, detail))
        else:
            candidates.append(story)
    return candidates, left_out


def _arrange(
    rest: Sequence[Story], settings: IssueSettings, options: ComposeSettings
) -> tuple[list[Entry], list[LeftOut]]:
    """More from: ranked stories, sponsored blocks at their slots, cut at the limit, maybe grouped."""
    editorial = ranked([s for s in rest if not s.is_sponsored], settings.order)
    sponsored = ranked([s for s in rest if s.is_sponsored], settings.order)
    room = min(options.max_sponsored, len(options.sponsored_slots))
    left_out = [LeftOut(s, Reason.SPONSORED_CAP, _cap_detail(options)) for s in sponsored[room:]]
    entries, no_room = interleave(editorial, sponsored[:room], options.sponsored_slots)
    detail = "too few stories to keep it apart from the other sponsored blocks"
    left_out.extend(LeftOut(s, Reason.SPONSORED_NO_ROOM, detail) for s in no_room)
    detail = f"over the limit of {options.limit} More-from items ([compose] limit)"
    left_out.extend(LeftOut(e.story, Reason.OVER_LIMIT, detail) for e in entries[options.limit :])
    entries = entries[: options.limit]
    if options.group_by_section:
        entries = group_by_section(entries, options.section_order)
    return entries, left_out


def _lead(
    candidates: Sequence[Story],
    pinned: str | None,
    scores: Mapping[str, LeadScore],
    *,
    where: str | Path | None,
) -> Placement:
    if pinned is not None:
        story = next(s for s in candidates if s.id == pinned)
        detail = "pinned by the editor ([issue] lead)"
        return Placement(story, 0, LEAD_SLOT, Reason.PINNED, detail, scores[pinned])
    eligible = [s for s in candidates if not s.is_sponsored and not s.is_video]
    if not eligible:
        raise ComposeError(
            "no story can lead this issue: every story left is sponsored or a video "
            "(a video leads only when pinned with [issue] lead)",
            where=where,
        )
    # Equal scores fall back to the More-from ranking (priority, newest, id).
    ordered = sorted(eligible, key=lambda s: (-scores[s.id].total, rank_key(s, {})))
    best = ordered[0]
    detail = f"highest lead score {scores[best.id].describe()}"
    if len(ordered) > 1:
        runner_up = ordered[1]
        detail += f"; next best {runner_up.id} at {scores[runner_up.id].total:.1f}"
    return Placement(best, 0, LEAD_SLOT, Reason.SCORE, detail, scores[best.id])


def _more_from(
    lead: Story,
    entries: Sequence[Entry],
    order: Sequence[str],
    scores: Mapping[str, LeadScore],
    *,
    grouped: bool,
) -> list[Placement]:
    order_index = {story_id: n for n, story_id in enumerate(order)}
    shown_headings = headings(entries) if grouped else [""] * len(entries)
    slots = slot_names(lead, [entry.story for entry in entries])
    placements: list[Placement] = []
    for position, (entry, heading) in enumerate(zip(entries, shown_headings, strict=True), start=1):
        story = entry.story
        if entry.wanted_slot is not None:
            if entry.wanted_slot == position:
                reason, detail = Reason.SPONSORED_SLOT, f"sponsored slot {position}"
            else:
                reason = Reason.SPONSORED_MOVED_UP
                detail = (
                    f"sponsored slot {entry.wanted_slot}, moved up to {position}: too few stories before it"
                )
        elif story.id in order_index:
            reason = Reason.EDITOR_ORDER
            detail = f"editor's order ({_ordinal(order_index[story.id] + 1)})"
        else:
            reason, detail = Reason.RANKED, _rank_detail(story)
        placements.append(
            Placement(story, position, slots[story.id], reason, detail, scores.get(story.id), heading)
        )
    return placements


def _as_shown(placement: Placement, *, grouped: bool) -> Story:
    story = shown_summary(placement.story)
    # Grouped, a section shows once as the heading above its stories, not again on each of them.
    if grouped and story.section and not story.is_sponsored:
        return replace(story, section="")
    return story


def _rank_detail(story: Story) -> str:
    published = f"published {story.published:%Y-%m-%d %H:%M}" if story.published else "undated"
    return f"priority {story.priority}, {published}"


def _cap_detail(options: ComposeSettings) -> str:
    if options.max_sponsored <= len(options.sponsored_slots):
        return f"at most {options.max_sponsored} sponsored per issue ([compose] max_sponsored)"
    return f"only {len(options.sponsored_slots)} sponsored slots ([compose] sponsored_slots)"


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _warnings(issue: Issue, left_out: Sequence[LeftOut]) -> list[str]:
    warnings = []
    if len(issue.subject) > SUBJECT_WARN_LENGTH:
        warnings.append(
            f"the subject is {len(issue.subject)} characters; phones cut it at about "
            f"{SUBJECT_WARN_LENGTH} (set a shorter [issue] subject)"
        )
    for item in left_out:
        if item.story.is_sponsored and item.reason is not Reason.EXCLUDED:
            story = item.story
            warnings.append(f"sponsored story {story.id!r} ({story.sponsor}) is left out: {item.detail}")
    return warnings


def compose_issue(newsletter: Newsletter, settings: IssueSettings, stories: Sequence[Story]) -> Issue:
    """The issue alone, with default composition settings (kept for callers that need no explain)."""
    return compose(newsletter, settings, stories).issue

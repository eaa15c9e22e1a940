"""The week's stories from every source: read, date, keep the week, collapse duplicates, report.

:func:`gather_week` is the library entry point (``digest gather``, ``digest build`` and the
scheduler call it). A source that fails is reported and the others still gather; nothing a
feed contains can stop the run.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import replace

import httpx

from digest.clock import utc_now
from digest.gather.duplicates import collapse_duplicates, unique_ids
from digest.gather.first_seen import STATE_FILE, FirstSeenLog
from digest.gather.report import GatherResult, SourceOutcome
from digest.gather.sources import DEFAULT_OPTIONS, GatherOptions, read_sources
from digest.gather.window import Window
from digest.model import Source, Story
from digest.urls import canonical_url


def gather_week(
    sources: Sequence[Source],
    window: Window,
    *,
    options: GatherOptions = DEFAULT_OPTIONS,
    now: dt.datetime | None = None,
    client: httpx.Client | None = None,
) -> GatherResult:
    """Read every source, keep the stories published in ``window``, collapse duplicates."""
    now = now or utc_now()
    state_dir = options.state_dir
    first_seen = FirstSeenLog(state_dir / STATE_FILE if state_dir is not None else None)

    outcomes = read_sources(sources, window, options, client)
    candidates, owners = _stories_in_window(outcomes, window, first_seen, now)
    kept = _keep_the_richest(candidates, owners)
    warnings = _save(first_seen, now)

    stories = unique_ids(sorted((candidates[i] for i in kept), key=_newest_first))
    return GatherResult(
        stories=tuple(stories),
        report=tuple(o.report() for o in outcomes),
        window=window,
        warnings=tuple(warnings),
    )


def _stories_in_window(
    outcomes: Sequence[SourceOutcome], window: Window, first_seen: FirstSeenLog, now: dt.datetime
) -> tuple[list[Story], list[SourceOutcome]]:
    """The stories published in ``window``, each beside the outcome of the source it came from.

    An undated story is dated by when gather first saw it; a story outside the window is counted
    as dropped in its source's report.
    """
    candidates: list[Story] = []
    owners: list[SourceOutcome] = []
    for outcome in outcomes:
        undated = 0
        for story in outcome.result.stories:
            published = story.published
            if published is None:
                undated += 1
                published = first_seen.first_seen(canonical_url(story.url), now)
                story = replace(story, published=published)
            reason = window.drop_reason(published)
            if reason:
                outcome.result.dropped[reason] += 1
                continue
            outcome.in_window += 1
            candidates.append(story)
            owners.append(outcome)
        if undated:
            outcome.result.warnings.append(
                f"{undated} entries have no date; each is dated by when gather first saw it"
            )
    return candidates, owners


def _keep_the_richest(candidates: Sequence[Story], owners: Sequence[SourceOutcome]) -> list[int]:
    """The indexes of the candidates that are no duplicate; each source's report counts both."""
    kept, replaced_by = collapse_duplicates(candidates)
    for dropped, winner in replaced_by.items():
        owners[dropped].result.dropped[f"duplicate of a story from {owners[winner].source.label}"] += 1
    for index in kept:
        owners[index].kept += 1
    return kept


def _save(first_seen: FirstSeenLog, now: dt.datetime) -> list[str]:
    """Save the first-seen log; the problems it had, loading or saving."""
    warnings = [first_seen.problem] if first_seen.problem else []
    try:
        first_seen.save(now)
    except OSError as e:
        warnings.append(f"cannot save the first-seen state: {e}")
    return warnings


def _newest_first(story: Story) -> tuple[float, str]:
    published = story.published.timestamp() if story.published else 0.0
    return (-published, story.id)

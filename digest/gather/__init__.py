"""The week's stories from every source: read, date, keep the week, collapse duplicates, report.

:func:`gather_week` is the library entry point (``digest gather``, ``digest build`` and the
scheduler call it). A source that fails is reported and the others still gather; nothing a
feed contains can stop the run.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import unicodedata
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import httpx

from digest.errors import SourceError
from digest.gather.fetch import load_document
from digest.gather.first_seen import STATE_FILE, FirstSeenLog
from digest.gather.http import HttpCache, HttpPolicy, new_client
from digest.gather.process_pool import map_in_processes, usable_cores
from digest.gather.readers import ReadContext, ReadResult, StoryFolderReader, read_story_folder, reader_for
from digest.markup import fold_whitespace, summary_text
from digest.model import Source, SourceKind, Story
from digest.urls import canonical_url

if TYPE_CHECKING:
    from digest.settings import GatherConfig, IssueConfig

log = logging.getLogger(__name__)
HTTP_CACHE_DIR = "http-cache"
DAYS_IN_A_WEEK = 7
MIN_TITLE_KEY = 12
"""Normalised titles shorter than this ("Video", "Weekly roundup") are too generic to match on."""

BEFORE_WEEK = "published before the week"
AFTER_WEEK = "published after the week"


@dataclass(frozen=True, slots=True)
class Window:
    """The stretch of time an issue covers: ``start`` included, ``end`` not."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a window needs timezone-aware times")
        if self.start >= self.end:
            raise ValueError("a window must start before it ends")

    def drop_reason(self, when: dt.datetime) -> str:
        """Why a story published at ``when`` is not in the window; empty when it is."""
        if when < self.start:
            return BEFORE_WEEK
        if when >= self.end:
            return AFTER_WEEK
        return ""


def week_window(
    issue_date: dt.date,
    timezone: str,
    *,
    send_time: dt.time = dt.time(0, 0),
    days: int = DAYS_IN_A_WEEK,
) -> Window:
    """The ``days`` before the issue's send time, counted on the newsletter's wall clock.

    With the default send time (midnight) that is the seven whole days before the issue date.
    Across a daylight-saving change the week is still seven calendar days, one hour shorter or
    longer in absolute time.
    """
    end = dt.datetime.combine(issue_date, send_time, tzinfo=ZoneInfo(timezone))
    return Window(start=end - dt.timedelta(days=days), end=end)


@dataclass(frozen=True, slots=True)
class GatherOptions:
    timezone: str = "UTC"
    """Dates without an offset are in this zone (the newsletter's)."""
    http: HttpPolicy = field(default_factory=HttpPolicy)
    state_dir: Path | None = None
    """Where the HTTP cache and the first-seen log live; None keeps nothing between runs."""
    workers: int = 8
    """Sources read at once: HTTP waits overlap; a publisher's server still sees one request."""


@dataclass(frozen=True, slots=True)
class SourceReport:
    """What happened to one source, for people (a table) and programs (JSON)."""

    source: str
    location: str
    fetched: str = ""
    """"file", "folder", "200", "304 (cached)"; empty when nothing could be fetched."""
    format: str = ""
    parsed: int = 0
    """Entries (or story files) the source held."""
    in_window: int = 0
    kept: int = 0
    dropped: tuple[tuple[str, int], ...] = ()
    """(reason, how many), most frequent first."""
    warnings: tuple[str, ...] = ()
    error: str = ""
    """Why the source gave nothing; empty when it was read."""

    @property
    def failed(self) -> bool:
        return bool(self.error)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "location": self.location,
            "fetched": self.fetched,
            "format": self.format,
            "parsed": self.parsed,
            "in_window": self.in_window,
            "kept": self.kept,
            "dropped": dict(self.dropped),
            "warnings": list(self.warnings),
            "error": self.error or None,
        }


@dataclass(frozen=True, slots=True)
class GatherResult:
    stories: tuple[Story, ...]
    """The week's stories, newest first, each id unique."""
    report: tuple[SourceReport, ...]
    """One report per source, in the order the sources were given."""
    window: Window
    warnings: tuple[str, ...] = ()
    """Problems that belong to no one source (the state file)."""

    @property
    def failed(self) -> tuple[SourceReport, ...]:
        return tuple(r for r in self.report if r.failed)

    def problems(self, *, failures_are_errors: bool = True) -> list[str]:
        """One line per failed source and per warning, for stderr or a log.

        `digest build` goes on without a failed source, so there its line is a warning.
        """
        if failures_are_errors:
            lines = [f"error: {r.source}: {r.error}" for r in self.report if r.failed]
        else:
            lines = [f"warning: {r.source}: not gathered ({r.error})" for r in self.report if r.failed]
        lines += [f"warning: {r.source}: {w}" for r in self.report for w in r.warnings]
        return lines + [f"warning: {w}" for w in self.warnings]


@dataclass(slots=True)
class _Outcome:
    """One source's progress through gather_week (mutable while it is being worked on)."""

    source: Source
    fetched: str = ""
    format: str = ""
    result: ReadResult = field(default_factory=ReadResult)
    error: str = ""
    in_window: int = 0
    kept: int = 0

    def report(self) -> SourceReport:
        return SourceReport(
            source=self.source.label,
            location=self.source.location,
            fetched=self.fetched,
            format=self.format,
            parsed=self.result.entries,
            in_window=self.in_window,
            kept=self.kept,
            dropped=tuple(self.result.dropped.most_common()),
            warnings=tuple(self.result.warnings),
            error=self.error,
        )


# Parsing is pure Python under the GIL: threads overlap the downloads, but parsing one document
# at a time is faster than several threads fighting over the interpreter (measured: 2.0 s against
# 2.4-3.2 s for 5,000 entries with 8 workers). Many local feeds are
# parsed in worker processes instead (_read_local_feeds_in_processes), where the cores do overlap.
_PARSING = threading.Lock()


def _read_source(
    source: Source,
    window: Window,
    zone: ZoneInfo,
    client: httpx.Client | None,
    policy: HttpPolicy,
    cache: HttpCache | None,
) -> _Outcome:
    outcome = _Outcome(source)
    context = ReadContext(source=source, timezone=zone, outside=window.drop_reason)
    try:
        if source.kind is SourceKind.FOLDER:
            outcome.fetched = outcome.format = "folder"
            with _PARSING:
                outcome.result = StoryFolderReader().read(Path(source.location), context)
        else:
            document = load_document(source, client=client, policy=policy, cache=cache)
            outcome.fetched = document.fetched
            reader = reader_for(document)
            outcome.format = reader.format
            with _PARSING:
                outcome.result = reader.read(document, context)
    except SourceError as e:
        outcome.error = e.message
    except Exception as e:  # the last line of defence: one broken source never stops the others
        outcome.error = f"unexpected error while reading ({type(e).__name__}: {e})"
    return outcome


# Below this many local feeds, worker processes are not worth their start-up and pickling
# (measured on 2 cores, feeds of 100 entries: even at 4 feeds, 10-25% faster from 8 on, and
# 5,000 entries in 1.15 s against 2.1 s in one process).
MIN_FEEDS_FOR_PROCESSES = 8


def _read_local_feed(job: tuple[Source, Window, str, HttpPolicy]) -> _Outcome:
    """_read_source in a worker process: a local feed needs no HTTP client and no cache."""
    source, window, timezone, policy = job
    return _read_source(source, window, ZoneInfo(timezone), None, policy, None)


def _read_local_feeds_in_processes(
    sources: Sequence[Source], window: Window, options: GatherOptions
) -> dict[int, _Outcome]:
    """Local feed files read in parallel processes, by their index in ``sources``.

    Empty when there are too few to be worth it (or one core, or the pool failed): the caller
    then reads them in threads as it does remote ones. Each outcome is what _read_source makes
    of the source in this process, errors included.
    """
    indexes = [i for i, s in enumerate(sources) if s.kind is SourceKind.FEED and not s.is_remote]
    workers = min(usable_cores(), options.workers, len(indexes) // (MIN_FEEDS_FOR_PROCESSES // 2))
    if len(indexes) < MIN_FEEDS_FOR_PROCESSES or workers < 2:
        return {}
    jobs = [(sources[i], window, options.timezone, options.http) for i in indexes]
    outcomes = map_in_processes(_read_local_feed, jobs, workers=workers)
    return dict(zip(indexes, outcomes, strict=True)) if outcomes is not None else {}


# --- duplicates -------------------------------------------------------------------------------

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


def _newest_first(story: Story) -> tuple[float, str]:
    published = story.published.timestamp() if story.published else 0.0
    return (-published, story.id)


# --- the whole stage --------------------------------------------------------------------------


def gather_week(
    sources: Sequence[Source],
    window: Window,
    *,
    options: GatherOptions = GatherOptions(),
    now: dt.datetime | None = None,
    client: httpx.Client | None = None,
) -> GatherResult:
    """Read every source, keep the stories published in ``window``, collapse duplicates."""
    now = now or dt.datetime.now(dt.UTC)
    zone = ZoneInfo(options.timezone)
    state_dir = options.state_dir
    cache = HttpCache(state_dir / HTTP_CACHE_DIR) if state_dir is not None else None
    first_seen = FirstSeenLog(state_dir / STATE_FILE if state_dir is not None else None)

    done = _read_local_feeds_in_processes(sources, window, options)
    rest = [i for i in range(len(sources)) if i not in done]
    http = client or (new_client(options.http) if rest else None)
    try:
        workers = max(1, min(options.workers, len(rest)))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            read = pool.map(lambda i: _read_source(sources[i], window, zone, http, options.http, cache), rest)
            done.update(zip(rest, read, strict=True))
    finally:
        if client is None and http is not None:
            http.close()
    outcomes = [done[i] for i in range(len(sources))]

    candidates: list[Story] = []
    owners: list[_Outcome] = []
    for outcome in outcomes:
        undated = 0
        for story in outcome.result.stories:
            if story.published is None:
                undated += 1
                story = replace(story, published=first_seen.first_seen(canonical_url(story.url), now))
            reason = window.drop_reason(story.published)
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

    kept, replaced_by = collapse_duplicates(candidates)
    for dropped, winner in replaced_by.items():
        owners[dropped].result.dropped[f"duplicate of a story from {owners[winner].source.label}"] += 1
    for index in kept:
        owners[index].kept += 1

    warnings = [first_seen.problem] if first_seen.problem else []
    try:
        first_seen.save(now)
    except OSError as e:
        warnings.append(f"cannot save the first-seen state: {e}")

    stories = unique_ids(sorted((candidates[i] for i in kept), key=_newest_first))
    return GatherResult(
        stories=tuple(stories),
        report=tuple(o.report() for o in outcomes),
        window=window,
        warnings=tuple(warnings),
    )


def story_record(story: Story) -> dict[str, Any]:
    """A story as ``digest gather --json`` prints it."""
    image = story.image
    return {
        "id": story.id,
        "title": story.title,
        "url": story.url,
        "summary": story.summary,
        "teaser": story.teaser or summary_text(story.summary),
        "image": {"url": image.url, "alt": image.alt, "credit": image.credit} if image else None,
        "kind": str(story.kind),
        "sponsor": story.sponsor,
        "published": story.published.isoformat() if story.published else None,
        "source": story.source,
        "section": story.section,
        "author": story.author,
    }


# --- from configuration -----------------------------------------------------------------------


def options_for(config: GatherConfig) -> GatherOptions:
    return GatherOptions(
        timezone=config.timezone, http=config.settings.http_policy(), state_dir=config.state_dir
    )


def window_for(
    config: GatherConfig,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Window:
    """The issue's week; --since/--until move either end (the other follows, ``days`` apart).

    Without an issue date, the week ends now.
    """
    days = dt.timedelta(days=config.settings.days)
    if since is not None and until is not None:
        return Window(since, until)
    if since is not None:
        return Window(since, since + days)
    if until is not None:
        return Window(until - days, until)
    if config.issue_date is not None:
        return week_window(
            config.issue_date,
            config.timezone,
            send_time=config.settings.send_time,
            days=config.settings.days,
        )
    end = (now or dt.datetime.now(dt.UTC)).astimezone(ZoneInfo(config.timezone))
    return Window(end - days, end)


def gather_issue_stories(config: IssueConfig) -> list[Story]:
    """An issue folder's week: its [[sources]] gathered, plus its own stories/ (which win duplicates).

    Sources that fail or warn are logged (one line each) and the rest are used; the editor's own
    story files are read strictly, as `digest build` always has.
    """
    return gather_issue(config)[0]


def gather_issue(config: IssueConfig) -> tuple[list[Story], GatherResult]:
    """`gather_issue_stories`, also returning the gather result (its per-source report), for the
    scheduler to tell the editors what each source gave in a thin week."""
    own = []
    if config.stories_dir.is_dir():
        own = read_story_folder(config.stories_dir, timezone=config.newsletter.timezone)
    result = gather_week(
        config.gathering.sources, window_for(config.gathering), options=options_for(config.gathering)
    )
    for line in result.problems(failures_are_errors=False):
        log.warning(line)
    gathered = without_duplicates_of(result.stories, own)
    return [*own, *unique_ids(gathered, taken={s.id for s in own})], result

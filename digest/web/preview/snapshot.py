"""One issue folder as the preview shows it: rendered, or the errors that stop it rendering.

A snapshot never raises for a problem in the editor's files: a broken story is something to
show on the page, not a reason for the server to fall over.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

from digest.compose import Composition, Reason
from digest.deliver.send import DeliveryRenders, PreparedSend, Purpose
from digest.deliver.splice import Recipient
from digest.errors import DigestError, StoryFileError
from digest.gather import read_story_file, story_files
from digest.lint import LintReport, lint_rendered
from digest.model import Issue, RenderedIssue
from digest.pipeline import (
    ComposedIssue,
    Week,
    compose_loaded,
    compose_week,
    gather_stories,
    prepare,
    render_message,
)
from digest.render.theme import default_theme_dir
from digest.runs.week import week_config
from digest.settings import (
    ISSUE_FILE,
    IssueConfig,
    IssueSettings,
    find_project_file,
    load_issue_config,
    load_project_config,
)
from digest.settings.project import IssueFolder
from digest.web.preview.feedback import stale_subject
from digest.web.preview.findings import LocatedFinding, locate_findings
from digest.web.preview.weeks import PlannedWeek

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something in the editor's files that stops the issue from rendering."""

    message: str
    where: str | None = None


@dataclass(frozen=True, slots=True)
class StoryRow:
    """A story as the preview lists it: where it sits, why (from the composer), what can be done."""

    id: str
    title: str
    kind: str
    place: str
    reason: str
    detail: str
    in_issue: bool = True
    pinned: bool = False
    excluded: bool = False
    can_move_up: bool = False
    can_move_down: bool = False
    score: str = ""
    section: str = ""
    """The story's section as composed (with the editor's override), kept even when grouped."""


@dataclass(frozen=True)
class IssueSnapshot:
    folder: IssueFolder
    rendered: RenderedIssue | None = None
    composition: Composition | None = None
    lint: LintReport | None = None
    """The preflight checks `digest lint` runs, over this render."""
    findings: tuple[LocatedFinding, ...] = ()
    """The lint findings, each with the story and field (or setting) behind it."""
    prepared: PreparedSend | None = None
    """The issue encoded as `digest send` does, for each persona's own copy (name, links)."""
    settings: IssueSettings | None = None
    problems: tuple[Problem, ...] = ()
    watched: tuple[Path, ...] = ()
    """Folders and files whose changes make this snapshot stale (for the file watcher)."""
    story_ids: frozenset[str] = frozenset()
    """Every story the gathered week holds, whatever its source: the ids the editor may choose."""
    source_problems: tuple[str, ...] = ()
    """What gathering said about the week's sources (a feed that failed, a warning)."""
    fingerprint: Fingerprint = field(default=(), compare=False)

    @property
    def ok(self) -> bool:
        return self.rendered is not None

    @property
    def issue(self) -> Issue | None:
        return self.rendered.issue if self.rendered else None

    def for_recipient(self, name: str, address: str) -> RenderedIssue | None:
        """The issue as this recipient receives it: their name, their unsubscribe link."""
        if self.prepared is None:
            return self.rendered
        return self.prepared.template.rendered_for(Recipient(email=address, name=name))

    @property
    def warnings(self) -> tuple[str, ...]:
        subject = stale_subject(self.settings, self.composition)
        composer = self.composition.warnings if self.composition else ()
        return (*self.source_problems, *composer, *([subject] if subject else []))

    @property
    def stories(self) -> list[StoryRow]:
        """Every story: the lead, More from in order, then the ones left out."""
        return story_rows(self.composition) if self.composition else []


def story_rows(composition: Composition) -> list[StoryRow]:
    placements = composition.placements
    # Moves happen among a story's own kind: sponsored blocks keep their slots (compose.edits).
    groups = {
        kind: [p.story.id for p in placements[1:] if p.story.is_sponsored == kind] for kind in (True, False)
    }
    rows = []
    for placement in placements:
        story = placement.story
        group = groups[story.is_sponsored]
        where = group.index(story.id) if placement.position else -1
        rows.append(
            StoryRow(
                id=story.id,
                title=story.title,
                kind=str(story.kind),
                place="Lead" if placement.position == 0 else f"More from · {placement.position}",
                reason=str(placement.reason),
                detail=placement.detail,
                pinned=placement.reason is Reason.PINNED,
                can_move_up=where > 0,
                can_move_down=0 <= where < len(group) - 1,
                score=placement.score.describe() if placement.score else "",
                section=story.section,
            )
        )
    for record in composition.left_out:
        rows.append(
            StoryRow(
                id=record.story.id,
                title=record.story.title,
                kind=str(record.story.kind),
                place="Left out",
                reason=str(record.reason),
                detail=record.detail,
                in_issue=False,
                excluded=record.reason is Reason.EXCLUDED,
                section=record.story.section,
            )
        )
    return rows


def fingerprint(paths: tuple[Path, ...]) -> Fingerprint:
    """Name, mtime and size of every file under `paths`: equal fingerprints, equal inputs."""
    entries: list[tuple[str, int, int]] = []
    for root in paths:
        if root.is_file():
            stat = root.stat()
            entries.append((str(root), stat.st_mtime_ns, stat.st_size))
            continue
        for folder, subfolders, files in os.walk(root):
            subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
            for name in sorted(files):
                if name.startswith("."):
                    continue
                path = os.path.join(folder, name)
                try:
                    stat = os.stat(path)
                except FileNotFoundError:  # deleted while we walked: the next look sees it gone
                    continue
                entries.append((path, stat.st_mtime_ns, stat.st_size))
    return tuple(entries)


def watched_paths(folder: IssueFolder) -> tuple[Path, ...]:
    """What to watch for an issue folder, even one whose settings are broken right now."""
    try:
        theme_dir = load_issue_config(folder.path).theme_dir
    except DigestError:
        theme_dir = None
    return _inputs(folder.path, theme_dir)


def _inputs(folder: Path, theme_dir: Path | None) -> tuple[Path, ...]:
    """Everything a render of `folder` reads: the issue, the project's settings, both themes."""
    paths = [folder, default_theme_dir()]
    project_file = find_project_file(folder.parent)
    if project_file is not None:
        paths.append(project_file)
    if theme_dir is not None and theme_dir.is_dir():
        paths.append(theme_dir)
    return tuple(paths)


def _story_problems(folder: Path, timezone: str) -> tuple[Problem, ...]:
    """Every broken story file, not only the first one the build stopped at."""
    problems = []
    for path in story_files(folder / "stories"):
        try:
            read_story_file(path, timezone=timezone)
        except StoryFileError as e:
            problems.append(Problem(e.message, e.where))
    return tuple(problems)


def load_week_config(folder: IssueFolder, planned: PlannedWeek | None = None) -> IssueConfig:
    """The settings of a week: its issue folder's, or (no folder yet) its project's, as `digest run`
    builds that week from [[sources]]."""
    if planned is not None and not (folder.path / ISSUE_FILE).is_file():
        return week_config(load_project_config(planned.project_file), planned.date)
    return load_issue_config(folder.path)


GATHER_TTL = 300.0
"""Seconds a week gathered from [[sources]] is reused: feeds change slowly, and re-fetching them
at every button would make each click take as long as a gather."""


@dataclass(frozen=True)
class _Gathered:
    week: Week
    inputs: tuple[object, ...]
    at: float


class GatherCache:
    """Each week's gathered stories, reused while what gathering reads is unchanged: an editor's
    choice in issue.toml re-composes and re-renders the week, it does not gather it again."""

    def __init__(self) -> None:
        self._weeks: dict[Path, _Gathered] = {}

    def gather(self, config: IssueConfig) -> Week:
        inputs = (config.gathering, config.newsletter.timezone, fingerprint((config.stories_dir,)))
        cached = self._weeks.get(config.folder)
        expired = (
            cached is not None
            and bool(config.gathering.sources)
            and time.monotonic() - cached.at > GATHER_TTL
        )
        if cached is not None and cached.inputs == inputs and not expired:
            return replace(cached.week, config=config)  # the stories as gathered, today's choices
        week = gather_stories(config)
        self._weeks[config.folder] = _Gathered(week, inputs, time.monotonic())
        return week


def take_snapshot(
    folder: IssueFolder, planned: PlannedWeek | None = None, gathered: GatherCache | None = None
) -> IssueSnapshot:
    """Render an issue folder (or a week from feeds) for the preview; whatever goes wrong is kept
    as problems."""
    try:
        config = load_week_config(folder, planned)
    except DigestError as e:
        return _snapshot(folder, problems=(Problem(e.message, e.where),))
    # Fingerprint before rendering: a file saved mid-render then makes the snapshot stale, not lost.
    watched = _inputs(folder.path, config.theme_dir)
    before = fingerprint(watched)
    week: Week | None = None
    try:
        week = gathered.gather(config) if gathered is not None else gather_stories(config)
        composed = compose_loaded(config, week=week)
        renders = render_message(composed)
    except StoryFileError as e:
        problems = _story_problems(folder.path, config.newsletter.timezone) or (Problem(e.message, e.where),)
        return _snapshot(folder, config.issue, problems=problems, watched=watched, before=before, week=week)
    except DigestError as e:
        problem = Problem(e.message, e.where)
        return _snapshot(folder, config.issue, problems=(problem,), watched=watched, before=before, week=week)
    except Exception as e:  # a bug of ours, or a library's: keep serving, say what happened
        log.exception("preview of %s failed", folder.path)
        problem = Problem(f"unexpected error while rendering: {type(e).__name__}: {e}", str(folder.path))
        return _snapshot(folder, config.issue, problems=(problem,), watched=watched, before=before, week=week)
    rendered = renders.plain()
    report = lint_rendered(rendered, source=str(folder.path))
    return _snapshot(
        folder,
        config.issue,
        rendered=rendered,
        composition=composed.composition,
        lint=report,
        findings=locate_findings(report, rendered),
        prepared=_prepared(composed, renders),
        watched=watched,
        before=before,
        week=week,
    )


def take_composition(
    folder: IssueFolder, planned: PlannedWeek | None, gathered: GatherCache
) -> IssueSnapshot | None:
    """The week composed but not rendered: what a story button answers first (the story list, in
    a few milliseconds), while the full render follows. None when the week does not compose."""
    try:
        config = load_week_config(folder, planned)
        week = gathered.gather(config)
        composition = compose_week(week)
    except DigestError:
        return None
    return IssueSnapshot(
        folder=folder,
        composition=composition,
        settings=config.issue,
        story_ids=frozenset(story.id for story in week.stories),
        source_problems=week.problems,
    )


def _prepared(composed: ComposedIssue, renders: DeliveryRenders) -> PreparedSend | None:
    """Personal copies as `digest send --dry-run` makes them, from the render already made (links
    signed with the development secret unless one is configured: they unsubscribe nobody real)."""
    try:
        return prepare(composed, Purpose.DRY_RUN, renders=renders)
    except DigestError as e:  # e.g. delivery settings that do not load: show the plain render
        log.info("persona copies unavailable for %s: %s", composed.config.folder, e)
        return None


def _snapshot(
    folder: IssueFolder,
    settings: IssueSettings | None = None,
    *,
    rendered: RenderedIssue | None = None,
    composition: Composition | None = None,
    lint: LintReport | None = None,
    findings: tuple[LocatedFinding, ...] = (),
    prepared: PreparedSend | None = None,
    problems: tuple[Problem, ...] = (),
    watched: tuple[Path, ...] | None = None,
    before: Fingerprint | None = None,
    week: Week | None = None,
) -> IssueSnapshot:
    watched = watched if watched is not None else _inputs(folder.path, None)
    return IssueSnapshot(
        folder=folder,
        rendered=rendered,
        composition=composition,
        lint=lint,
        findings=findings,
        prepared=prepared,
        settings=settings,
        problems=problems,
        watched=watched,
        fingerprint=before if before is not None else fingerprint(watched),
        story_ids=frozenset(story.id for story in week.stories) if week else frozenset(),
        source_problems=week.problems if week else (),
    )


class SnapshotCache:
    """Snapshots reused until a file they were made from changes (checked by fingerprint).

    Renders are serialised: premailer's CSS parser keeps global state and is not thread-safe.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._snapshots: dict[Path, IssueSnapshot] = {}
        self._gathered = GatherCache()

    def get(self, folder: IssueFolder, planned: PlannedWeek | None = None) -> IssueSnapshot:
        with self._lock:
            cached = self._snapshots.get(folder.path)
            fresh = cached is not None and cached.folder == folder
            if cached is not None and fresh and fingerprint(cached.watched) == cached.fingerprint:
                return cached
            snapshot = take_snapshot(folder, planned, self._gathered)
            self._snapshots[folder.path] = snapshot
            return snapshot

    def composed(self, folder: IssueFolder, planned: PlannedWeek | None = None) -> IssueSnapshot | None:
        """The week's story list as it stands now, without rendering (see `take_composition`)."""
        with self._lock:
            return take_composition(folder, planned, self._gathered)

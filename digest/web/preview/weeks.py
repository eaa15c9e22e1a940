"""Every week the preview lists: the editors' issue folders, and the weeks a project's runs built,
proofed or sent from its [[sources]] (the run history in the store, the run archive), each with
where it stands.

Reading never writes: a project without a store shows its weeks without state, and no database
is created to find that out.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass, field
from pathlib import Path

from digest.clock import utc_now
from digest.errors import DigestError
from digest.feedback.figures import IssueFigures
from digest.model import Issue
from digest.runs.archive import ISSUE_DATA, load_archived_issue
from digest.runs.report import IssueReport, report_of
from digest.runs.scheduled import is_scheduled
from digest.runs.week import week_folder
from digest.settings import ISSUE_FILE, ProjectConfig, find_project_file, load_project_config
from digest.settings.project import IssueFolder, find_issue_folders
from digest.store import open_store
from digest.store.run_history import IssueHistory, IssueRecord, IssueState
from digest.weekly import issue_id_for

log = logging.getLogger(__name__)

STATE_LABELS = {
    IssueState.BUILT: "built",
    IssueState.THIN: "skipped: thin week",
    IssueState.AWAITING_APPROVAL: "proofed · awaiting approval",
    IssueState.REJECTED: "rejected",
    IssueState.SENDING: "sending (not finished)",
    IssueState.SENT: "sent",
}
"""How each run-history state reads in the list; a week no run has touched is a draft."""
DRAFT = "draft"
SCHEDULED = "approved · scheduled"
"""An issue awaiting approval whose decision is made: it goes at its slot (runs/scheduled.py)."""


@dataclass(frozen=True, slots=True)
class PlannedWeek:
    """A week with no issue folder: its project gathers it from [[sources]] for `date`."""

    project_file: Path
    date: dt.date


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: dt.datetime
    what: str


@dataclass(frozen=True)
class KnownWeek:
    """One row of the list: an issue folder, or a week from feeds whose folder does not exist
    (`planned`: an editor's first choice creates it, where `digest run` looks for it)."""

    folder: IssueFolder
    planned: PlannedWeek | None = None
    record: IssueRecord | None = None
    archived: Issue | None = field(default=None, compare=False)
    """The issue as the run built it (subject, stories), from the run archive."""
    figures: IssueFigures | None = field(default=None, compare=False)
    """What became of it, once it went out (the run history's list shows the line)."""
    report: IssueReport | None = field(default=None, compare=False)
    """Its figures story by story, once it went out (its page shows them beside each story)."""

    @property
    def needs_folder(self) -> bool:
        """A week from feeds whose issue folder the editor's first choice will create."""
        return self.planned is not None and not (self.folder.path / ISSUE_FILE).is_file()

    @property
    def state(self) -> str:
        return _label(self.record) if self.record else DRAFT

    @property
    def state_class(self) -> str:
        return str(self.record.state) if self.record else DRAFT

    @property
    def history(self) -> list[HistoryEntry]:
        """The run history's record of this week, oldest first."""
        return history_of(self.record) if self.record else []


def history_of(record: IssueRecord) -> list[HistoryEntry]:
    scheduled = is_scheduled(record)
    moments = [
        (record.editors_told_at, "the editors were told"),
        (record.proof_sent_at, "proof sent to the editors"),
        (
            record.deadline,
            "scheduled: it goes out"
            if scheduled
            else "approval deadline: it goes out unless someone objects",
        ),
        (record.decided_at, f"decided by {record.decided_by or 'an editor'}"),
        (record.sent_at, "sent to the subscribers"),
    ]
    entries = [HistoryEntry(at, what) for at, what in moments if at is not None]
    now = _label(record)
    entries.append(HistoryEntry(record.updated_at, f"{now}: {record.detail}" if record.detail else now))
    return sorted(entries, key=lambda entry: entry.at)


def _label(record: IssueRecord) -> str:
    return SCHEDULED if is_scheduled(record) else STATE_LABELS.get(record.state, str(record.state))


@dataclass(frozen=True)
class ProjectRuns:
    """What one project's runs left behind: the run history (by issue id) and the archive."""

    project: ProjectConfig
    records: dict[str, IssueRecord]
    archived: dict[str, Issue]
    reports: dict[str, IssueReport] = field(default_factory=dict)
    """The weeks that went out: sent, delivered, bounces, complaints, unsubscribes, with rates,
    and each story's clicks (runs/report.py)."""

    def figures(self, issue_id: str) -> IssueFigures | None:
        report = self.reports.get(issue_id)
        return report.figures if report else None

    def issue_ids(self) -> list[str]:
        return sorted({*self.records, *self.archived}, reverse=True)

    def date_of(self, issue_id: str) -> dt.date | None:
        if issue_id in self.archived:
            return self.archived[issue_id].date
        try:  # "2025-W02" → that ISO week's day of the schedule
            year, week = issue_id.split("-W")
            return dt.date.fromisocalendar(int(year), int(week), self.project.slot.weekday + 1)
        except ValueError:
            return None


def run_history(project: ProjectConfig) -> dict[str, IssueRecord]:
    """The project's run history by issue id; empty (and nothing created) without a store."""
    delivery = project.delivery
    if delivery is None or not delivery.has_store:
        return {}
    try:
        store = open_store(delivery.store, create=False)
    except DigestError as e:
        log.warning("run history unavailable: %s", e)
        return {}
    try:
        return {record.issue_id: record for record in IssueHistory(store).records()}
    finally:
        store.close()


def sent_reports(
    project: ProjectConfig, records: dict[str, IssueRecord], archived: dict[str, Issue]
) -> dict[str, IssueReport]:
    """What became of each week that went out (runs/report.py over feedback/figures.py), by issue id."""
    went_out = [
        issue_id for issue_id, r in records.items() if r.state in (IssueState.SENT, IssueState.SENDING)
    ]
    if not went_out or project.delivery is None:
        return {}
    try:
        store = open_store(project.delivery.store, create=False)
    except DigestError as e:
        log.warning("figures unavailable: %s", e)
        return {}
    try:
        return {issue_id: report_of(store, issue_id, archived.get(issue_id)) for issue_id in went_out}
    finally:
        store.close()


def run_archive(project: ProjectConfig) -> dict[str, Issue]:
    """The issues the runs archived, by id (an unreadable one is left out and logged)."""
    archived: dict[str, Issue] = {}
    if not project.archive_dir.is_dir():
        return archived
    for data in sorted(project.archive_dir.glob(f"*/{ISSUE_DATA}")):
        stat = data.stat()
        try:
            archived[data.parent.name] = _archived(project.archive_dir, data.parent.name, stat.st_mtime_ns)
        except DigestError as e:
            log.warning("%s", e)
    return archived


@functools.lru_cache(maxsize=512)
def _archived(archive_dir: Path, issue_id: str, modified_ns: int) -> Issue:
    """An archived issue, read once per version of its file: every page lists the weeks."""
    return load_archived_issue(archive_dir, issue_id)


def project_runs(project_file: Path) -> ProjectRuns | None:
    try:
        project = load_project_config(project_file)
    except DigestError as e:  # its issue folders show the problem on their pages
        log.info("not listing the runs of %s: %s", project_file, e)
        return None
    records = run_history(project)
    archived = run_archive(project)
    return ProjectRuns(project, records, archived, sent_reports(project, records, archived))


def _key(root: Path, folder: Path) -> str | None:
    if folder == root:
        return root.name
    return folder.relative_to(root).as_posix() if folder.is_relative_to(root) else None


def upcoming_date(project: ProjectConfig, now: dt.datetime | None = None) -> dt.date:
    """The date of the next scheduled issue: the week editors prepare."""
    slot = project.slot
    return slot.issue_date(slot.next_run(now or utc_now()))


def known_weeks(root: Path, folder_dates: dict[Path, dt.date]) -> list[KnownWeek]:
    """Issue folders under `root` and the weeks their projects' runs know, with each week's state.

    `folder_dates`: the date of each issue folder whose issue.toml loads (from its snapshot).
    A project with [[sources]] also lists its next scheduled week, to prepare before the run.
    """
    folders = find_issue_folders(root)
    project_files = {find_project_file(folder.path.parent) for folder in folders}
    project_files.add(find_project_file(root))
    weeks = {folder.path: KnownWeek(folder) for folder in folders}
    for project_file in sorted(p for p in project_files if p is not None):
        runs = project_runs(project_file)
        if runs is None:
            continue
        dated = {(issue_id, runs.date_of(issue_id)) for issue_id in runs.issue_ids()}
        if runs.project.gathering.sources:
            upcoming = upcoming_date(runs.project)
            dated.add((issue_id_for(upcoming), upcoming))
        for issue_id, date in dated:
            if date is not None:
                _add_week(weeks, root, runs, issue_id, date)
        for path, week in list(weeks.items()):
            date = folder_dates.get(path)
            if week.planned is None and date is not None and path == week_folder(runs.project, date):
                # The editors' folder for a week the runs build: the run history is about it.
                issue_id = issue_id_for(date)
                weeks[path] = KnownWeek(
                    week.folder,
                    None,
                    runs.records.get(issue_id),
                    runs.archived.get(issue_id),
                    runs.figures(issue_id),
                    runs.reports.get(issue_id),
                )
    return list(weeks.values())


def _add_week(
    weeks: dict[Path, KnownWeek], root: Path, runs: ProjectRuns, issue_id: str, date: dt.date
) -> None:
    path = week_folder(runs.project, date)
    if path in weeks or (path / ISSUE_FILE).is_file():
        return  # the editors' folder for that week: listed as an issue folder
    key = _key(root, path)
    if key is None:  # outside the folder the preview shows
        return
    planned = PlannedWeek(runs.project.path, date)
    weeks[path] = KnownWeek(
        IssueFolder(key=key, path=path),
        planned,
        runs.records.get(issue_id),
        runs.archived.get(issue_id),
        runs.figures(issue_id),
        runs.reports.get(issue_id),
    )

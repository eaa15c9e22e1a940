"""`digest run`: one week's issue from start to finish, for cron, a systemd timer or `digest schedule`.

Reads like its steps: find the week's stories → thin-week policy → compose → render → lint
(errors stop the run) → archive.
Every way a run can end is a ``RunResult`` with one line of reason and an exit code.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, replace
from enum import IntEnum
from pathlib import Path

from digest.archive import archive_issue
from digest.build import load_stories
from digest.compose import Composition, compose_config
from digest.config import ISSUE_FILE, IssueConfig, IssueSettings, ProjectConfig, load_issue_config
from digest.errors import ConfigError
from digest.gather import SourceReport, gather_issue
from digest.lint import Level, LintReport, lint_rendered
from digest.model import RenderedIssue, Story
from digest.render import load_theme, render_issue
from digest.weekly import issue_id_for

log = logging.getLogger("digest.run")


class ExitCode(IntEnum):
    """`digest run`'s exit codes, for cron mail and systemd's SuccessExitStatus (see the README)."""

    DONE = 0
    """Built (and archived); nothing went wrong."""
    LINT_FAILED = 1
    """Preflight found errors; nothing was sent."""
    USER_ERROR = 2
    """A configuration or input problem (the same code every digest command uses)."""
    THIN_WEEK = 3
    """Fewer stories than [schedule] min_stories: the issue was skipped."""


@dataclass(frozen=True, slots=True)
class RunResult:
    issue_id: str
    exit_code: ExitCode
    reason: str
    """One line saying what happened."""
    archived: Path | None = None

    @property
    def line(self) -> str:
        return f"{self.issue_id}: {self.reason}"


def week_folder(project: ProjectConfig, issue_date: dt.date) -> Path:
    """Where the editors keep a week's issue: a folder named by its date beside digest.toml."""
    return project.path.parent / issue_date.isoformat()


def today(project: ProjectConfig, now: dt.datetime) -> dt.date:
    """The issue date a run started at ``now`` builds: the date in the schedule's timezone."""
    return project.slot.issue_date(now)


def due_issue_date(project: ProjectConfig, now: dt.datetime) -> dt.date | None:
    """For `--if-due`: the date of the scheduled run that has come and is at most `grace` late."""
    slot = project.slot
    latest = slot.previous_run(now)
    if now - latest <= project.schedule.grace_period():
        return slot.issue_date(latest)
    return None


def not_due(project: ProjectConfig, now: dt.datetime) -> RunResult:
    slot = project.slot
    upcoming = slot.next_run(now)
    return RunResult(
        issue_id_for(slot.issue_date(upcoming)), ExitCode.DONE, f"not due until {slot.describe(upcoming)}"
    )


def run_issue(project: ProjectConfig, issue_date: dt.date) -> RunResult:
    """Build one week's issue, lint it (errors stop the run) and archive it under its id."""
    issue_id = issue_id_for(issue_date)
    week = gather_stories(week_config(project, issue_date))
    composition = compose_week(week) if len(week.stories) >= project.schedule.min_stories else None
    carried = len(composition.issue.stories) if composition else len(week.stories)
    if composition is None or carried < project.schedule.min_stories:
        return RunResult(
            issue_id,
            ExitCode.THIN_WEEK,
            f"skipped: a thin week, {_count(carried)} (min_stories = {project.schedule.min_stories})"
            + (f"; {_count_problems(week.problems)}" if week.problems else ""),
        )
    rendered = render_issue(composition.issue, load_theme(week.config.theme_dir))
    report = preflight(rendered)
    if report.errors:
        first = report.errors[0]
        return RunResult(
            issue_id,
            ExitCode.LINT_FAILED,
            f"stopped: {report.summary()}, first {first.code}: {first.message}",
        )
    folder = archive_issue(rendered, project.archive_dir)["html"].parent
    return RunResult(
        issue_id, ExitCode.DONE, f"built, {_count(carried)}, archived in {folder}", archived=folder
    )


@dataclass(frozen=True, slots=True)
class Week:
    """One week's material: the issue's settings, its stories, and what gathering said."""

    config: IssueConfig
    stories: list[Story]
    sources: tuple[SourceReport, ...] = ()
    """Per source: fetched, parsed, in the week, kept, dropped and why (gathered weeks only)."""
    problems: tuple[str, ...] = ()
    """One line per source that failed or gave a warning."""


def week_config(project: ProjectConfig, issue_date: dt.date) -> IssueConfig:
    """The week's issue folder if the editors made one, else the project's sources and defaults."""
    folder = week_folder(project, issue_date)
    if (folder / ISSUE_FILE).is_file():
        config = load_issue_config(folder)
        if config.issue.date != issue_date:
            raise ConfigError(
                f"[issue] date is {config.issue.date}, but this folder is the issue of {issue_date}",
                where=config.issue_file,
            )
        return config
    if not project.gathering.sources:
        raise ConfigError(
            f"nothing to build for {issue_date}: no issue folder ({folder}/{ISSUE_FILE}) "
            "and no [[sources]] to gather from",
            where=project.path,
        )
    return IssueConfig(
        folder=folder,
        newsletter=project.newsletter,
        issue=IssueSettings(date=issue_date),
        theme_dir=project.theme_dir,
        project_file=project.path,
        compose=project.compose,
        gathering=replace(project.gathering, issue_date=issue_date),
    )


def gather_stories(config: IssueConfig) -> Week:
    """The week's stories: gathered from [[sources]] (plus the folder's own), or the folder's alone."""
    if not config.gathering.sources:
        return Week(config, load_stories(config))
    stories, gathered = gather_issue(config)
    return Week(config, stories, gathered.report, tuple(gathered.problems(failures_are_errors=False)))


def compose_week(week: Week) -> Composition:
    composition = compose_config(week.config, week.stories)
    for warning in composition.warnings:
        log.warning("%s", warning)
    return composition


def preflight(rendered: RenderedIssue) -> LintReport:
    """Lint the rendered issue; every finding goes to the log, errors at ERROR level."""
    report = lint_rendered(rendered, source=rendered.issue.issue_id)
    for finding in report.findings:
        log.log(
            logging.ERROR if finding.level is Level.ERROR else logging.WARNING,
            "lint %s %s: %s (%s) fix: %s",
            finding.level,
            finding.code,
            finding.message,
            finding.where,
            finding.fix,
        )
    return report


def _count(stories: int) -> str:
    return f"{stories} {'story' if stories == 1 else 'stories'}"


def _count_problems(problems: tuple[str, ...]) -> str:
    return f"{len(problems)} source problem{'s' * (len(problems) != 1)} (see the log)"

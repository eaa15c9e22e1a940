"""`digest run`: one week's issue from start to finish, for cron, a systemd timer or `digest schedule`.

Reads like its steps: find the week's stories → thin-week policy → compose → render → lint
(errors stop the run) → archive.
Every way a run can end is a ``RunResult`` with one line of reason and an exit code.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

from digest.archive import archive_issue
from digest.build import load_stories
from digest.compose import compose_config
from digest.config import ProjectConfig, load_issue_config
from digest.errors import ConfigError
from digest.lint import Level, lint_rendered
from digest.model import RenderedIssue
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
    stories, rendered = _build_week(project, issue_date)
    if rendered is None:
        return RunResult(
            issue_id,
            ExitCode.THIN_WEEK,
            f"skipped: a thin week, {_count(stories)} (min_stories = {project.schedule.min_stories})",
        )
    report = lint_rendered(rendered, source=issue_id)
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
    if report.errors:
        first = report.errors[0]
        return RunResult(
            issue_id,
            ExitCode.LINT_FAILED,
            f"stopped: {report.summary()}, first {first.code}: {first.message}",
        )
    folder = archive_issue(rendered, project.archive_dir)["html"].parent
    return RunResult(
        issue_id,
        ExitCode.DONE,
        f"built, {_count(len(rendered.issue.stories))}, archived in {folder}",
        archived=folder,
    )


def _build_week(project: ProjectConfig, issue_date: dt.date) -> tuple[int, RenderedIssue | None]:
    """How many stories the week has for its issue and, unless the week is thin, the rendered issue."""
    folder = week_folder(project, issue_date)
    if not (folder / "issue.toml").is_file():
        raise ConfigError(f"no issue folder for {issue_date} (expected {folder}/issue.toml)")
    config = load_issue_config(folder)
    if config.issue.date != issue_date:
        raise ConfigError(
            f"[issue] date is {config.issue.date}, but this folder is the issue of {issue_date}",
            where=folder / "issue.toml",
        )
    stories = load_stories(config)
    if len(stories) < project.schedule.min_stories:
        return len(stories), None
    composition = compose_config(config, stories)
    for warning in composition.warnings:
        log.warning("%s", warning)
    # What counts is what the issue would carry: excluded or over-limit stories do not fill a week.
    carried = len(composition.issue.stories)
    if carried < project.schedule.min_stories:
        return carried, None
    return carried, render_issue(composition.issue, load_theme(config.theme_dir))


def _count(stories: int) -> str:
    return f"{stories} {'story' if stories == 1 else 'stories'}"

"""Which week a run builds, and where its material is: the editors' issue folder for that date,
or else the project's [[sources]] and defaults."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path

from digest.errors import ConfigError
from digest.model import Issue
from digest.runs.result import ExitCode, RunResult
from digest.settings import ISSUE_FILE, IssueConfig, IssueSettings, ProjectConfig, load_issue_config
from digest.weekly import issue_id_for


def week_folder(project: ProjectConfig, issue_date: dt.date) -> Path:
    """Where the editors keep a week's issue, if they make one: a folder named by its date."""
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


def idle_tick(project: ProjectConfig, now: dt.datetime, *, send: bool) -> RunResult | None:
    """For `--if-due`: the "not due" answer when a tick has nothing to do, else None. Decided from
    [schedule] and, for a --send tick with an approval deadline, the run history's proofs past it
    (which go out at any tick), so a timer's idle tick loads no stage of the run."""
    if due_issue_date(project, now) is not None:
        return None
    if send and project.schedule.approval_window() is not None:
        if project.delivery is None:
            return None  # the run says what is missing
        from digest.store import IssueHistory, open_store  # only a tick that may owe a send opens it

        store = open_store(project.delivery.store_path)
        try:
            if IssueHistory(store).past_deadline(now):
                return None
        finally:
            store.close()
    return not_due(project, now)


def not_due(project: ProjectConfig, now: dt.datetime) -> RunResult:
    slot = project.slot
    upcoming = slot.next_run(now)
    return RunResult(
        issue_id_for(slot.issue_date(upcoming)), ExitCode.DONE, f"not due until {slot.describe(upcoming)}"
    )


def week_config(project: ProjectConfig, issue_date: dt.date) -> IssueConfig:
    """The week's issue folder if the editors made one, else the project's sources and defaults."""
    folder = week_folder(project, issue_date)
    if (folder / ISSUE_FILE).is_file():
        config = load_issue_config(folder, project=project)
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
        desk=project.desk,
        gathering=replace(project.gathering, issue_date=issue_date),
        delivery=project.delivery,
    )


def project_theme(project: ProjectConfig, issue: Issue) -> Path | None:
    """The theme a week's issue was built with: its folder's, else the project's."""
    folder = week_folder(project, issue.date)
    if (folder / ISSUE_FILE).is_file():
        return load_issue_config(folder, project=project).theme_dir
    return project.theme_dir

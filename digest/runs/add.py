"""`digest add URL`: which week a story added by URL goes into, and adding it there.

The week is found the way `digest run` and the preview find one: an issue folder named outright;
else the issue folder under the project whose [issue] date falls in the asked-for ISO week; else,
in a project with a digest.toml, the folder `digest run` reads for that week's scheduled date
(created with a dated issue.toml, as the preview's first choice does). No week named: the coming one.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from digest.errors import ConfigError
from digest.gather.by_url import AddedStory, add_story_by_url
from digest.runs.week import week_folder
from digest.settings import (
    ISSUE_FILE,
    IssueConfig,
    find_project_file,
    load_issue_config,
    load_project_config,
    read_toml,
)
from digest.settings.editor_choices import start_issue_file
from digest.settings.project import find_issue_folders, project_root
from digest.weekly import first_day_of, issue_id_for


def _issue_date(folder: Path) -> dt.date | None:
    issue = read_toml(folder / ISSUE_FILE).get("issue", {})
    day = issue.get("date") if isinstance(issue, dict) else None
    return day if isinstance(day, dt.date) else None


def _folder_of_week(root: Path, day: dt.date) -> Path | None:
    wanted = issue_id_for(day)
    for found in find_issue_folders(root):
        date = _issue_date(found.path)
        if date is not None and issue_id_for(date) == wanted:
            return found.path
    return None


def _coming_folder(root: Path, today: dt.date) -> Path | None:
    """Without a schedule: the issue folder with the first date on or after today."""
    dated = [(d, f.path) for f in find_issue_folders(root) if (d := _issue_date(f.path)) and d >= today]
    return min(dated)[1] if dated else None


def week_to_add_to(week: dt.date | Path | None, *, start: Path, now: dt.datetime) -> IssueConfig:
    """The settings of the week's issue folder a story added by URL goes into."""
    if isinstance(week, Path):
        return load_issue_config(week)
    root = project_root(start)
    project_path = find_project_file(root)
    project = load_project_config(project_path) if project_path is not None else None
    if week is None and project is not None:
        week = project.slot.issue_date(project.slot.next_run(now))
    if week is None:
        folder = _coming_folder(root, now.date())
        if folder is None:
            raise ConfigError("no issue folder dated today or later: name the week with --week", where=root)
        return load_issue_config(folder)
    folder = _folder_of_week(root, week)
    if folder is None and project is not None:
        monday = first_day_of(issue_id_for(week))
        day = monday + dt.timedelta(days=project.slot.weekday)
        folder = week_folder(project, day)
        folder.mkdir(parents=True, exist_ok=True)
        start_issue_file(folder, day, project.path)
    if folder is None:
        raise ConfigError(f"no issue folder for the week of {week} ({issue_id_for(week)})", where=root)
    return load_issue_config(folder, project=project)


def add_to_week(
    config: IssueConfig,
    url: str,
    *,
    now: dt.datetime,
    title: str = "",
    note: str = "",
    added_by: str = "",
    allow_private: bool = False,
) -> AddedStory:
    """Add the page at ``url`` to the week as a story file, under [gather]'s fetch limits;
    private addresses only with ``allow_private`` or [desk] allow_private_urls."""
    return add_story_by_url(
        config.stories_dir,
        url,
        policy=config.gathering.settings.http_policy(),
        allow_private=allow_private or config.desk.allow_private_urls,
        now=now,
        timezone=config.newsletter.timezone,
        title=title,
        note=note,
        added_by=added_by,
    )

"""`digest run [--config FILE] [--date DATE]`: one week's issue, for cron and systemd timers."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path

import click

from digest.config import PROJECT_FILE, load_project_config
from digest.run import run_issue, today
from digest.scheduler import utc_now

config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=Path(PROJECT_FILE),
    show_default=True,
    help="The project's settings: [newsletter], [schedule], [archive].",
)


@click.command("run")
@config_option
@click.option(
    "--date",
    "issue_date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The issue's date, YYYY-MM-DD (default: today in the schedule's timezone).",
)
def run_command(config_path: Path, issue_date: dt.datetime | None) -> None:
    """Build this week's issue: compose, render, archive. For cron and systemd timers."""
    log_to_stderr()
    project = load_project_config(config_path)
    day = issue_date.date() if issue_date else today(project, utc_now())
    result = run_issue(project, day)
    click.echo(result.line, err=bool(result.exit_code))
    sys.exit(result.exit_code)


def log_to_stderr() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S%z",
        stream=sys.stderr,
    )


def register(group: click.Group) -> None:
    group.add_command(run_command)

"""`digest run [--config FILE] [--date DATE]`: one week's issue, for cron and systemd timers."""

from __future__ import annotations

import datetime as dt
import logging
import sys
from pathlib import Path
from typing import NoReturn

import click

from digest.cli.dates import date_option
from digest.clock import utc_now
from digest.errors import ConfigError
from digest.runs.result import RunResult
from digest.runs.week import due_issue_date, idle_tick, not_due, today
from digest.settings import ProjectConfig, load_project_config, project_file


def _project_file(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path:
    return project_file(value, cwd=Path.cwd())


config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    callback=_project_file,
    help="The project's settings: [newsletter], [schedule], [[sources]], [store], [smtp], … "
    "[default: the nearest digest.toml, here or above].",
)


@click.command("run")
@config_option
@click.option(
    "--date",
    "issue_date",
    metavar="YYYY-MM-DD",
    default=None,
    callback=date_option,
    help="The issue's date, YYYY-MM-DD (default: today in the schedule's timezone).",
)
@click.option(
    "--if-due",
    is_flag=True,
    help="Only if the [schedule] time has come, at most `grace` ago; for a cron line or timer "
    "that fires every few minutes.",
)
@click.option(
    "--send",
    is_flag=True,
    help="Send it: a [PROOF] to the editors when [schedule] require_approval, else to every "
    "subscriber, exactly once. Without it the issue is only built and archived.",
)
@click.option(
    "--resend-uncertain",
    is_flag=True,
    help="With --send: also send to the recipients whose copy is uncertain (cut off after DATA; "
    "they may get two copies).",
)
@click.option(
    "--force",
    is_flag=True,
    help="With --send: build and send it even though preflight (digest lint) found errors.",
)
def run_command(
    config_path: Path,
    issue_date: dt.date | None,
    if_due: bool,
    send: bool,
    resend_uncertain: bool,
    force: bool,
) -> None:
    """Build this week's issue (gather, compose, render, lint, archive) and, with --send, send it.
    A --send run that stops emails the editors why, once per issue."""
    log_to_stderr()
    if if_due and issue_date:
        raise click.UsageError("--if-due picks the date from [schedule]; leave out --date")
    if resend_uncertain and not send:
        raise click.UsageError("--resend-uncertain goes with --send")
    if force and not send:
        raise click.UsageError("--force goes with --send")
    project = _load(config_path, send=send)
    now = utc_now()
    idle = idle_tick(project, now, send=send) if if_due else None
    if idle is not None:
        _exit_with(idle)  # a timer's tick with nothing to do: the run's stages are never imported
    # The run itself (gather, render, deliver…) is imported only when there is one.
    from digest.runs.stops import run_and_tell, send_due_approvals_and_tell

    if send:
        # Proofed issues whose approval deadline passed with no objection go out first.
        for settled in send_due_approvals_and_tell(project, now=now):
            click.echo(settled.line, err=bool(settled.exit_code))
    day = issue_date if issue_date else (due_issue_date(project, now) if if_due else today(project, now))
    if day is None:
        result = not_due(project, now)
    else:
        result = run_and_tell(
            project, day, send=send, now=now, resend_uncertain=resend_uncertain, force=force
        )
    _exit_with(result)


def _exit_with(result: RunResult) -> NoReturn:
    click.echo(result.line, err=bool(result.exit_code))
    sys.exit(result.exit_code)


def _load(config_path: Path, *, send: bool) -> ProjectConfig:
    """The project's settings; when they cannot be read, neither can the editors' addresses."""
    try:
        return load_project_config(config_path)
    except ConfigError as error:
        if not send:
            raise
        from digest.runs.stops import RunStopped

        raise RunStopped(error, "the editors could not be told: their addresses are in that file") from None


def log_to_stderr() -> None:
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(message)s",
        datefmt="%Y-%m-%d %H:%M:%S%z",
        stream=sys.stderr,
    )

"""`digest schedule [--config FILE] [--once]`: the weekly issue from a long-running process."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from digest.cli.run import config_option, log_to_stderr
from digest.runs.scheduler import project_scheduler, stop_on_signals


@click.command("schedule")
@config_option
@click.option(
    "--once",
    is_flag=True,
    help="Build and send the next issue now, as its time would, and exit (for testing).",
)
def schedule_command(config_path: Path, once: bool) -> None:
    """Build and send the weekly issue at [schedule] weekday and time, until stopped (SIGTERM, Ctrl-C)."""
    log_to_stderr()
    scheduler = project_scheduler(config_path)
    if once:
        result = scheduler.run_once()
        sys.exit(result.exit_code if result is not None else 2)
    with stop_on_signals(scheduler) as stop:
        scheduler.run_forever(stop)

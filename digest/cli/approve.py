"""`digest approve ISSUE` and `digest reject ISSUE`: the editors' decision on a proofed issue.
ISSUE is its id (2025-W11) or any day of its week (2025-03-14)."""

from __future__ import annotations

import getpass
import socket
import sys
from pathlib import Path

import click

from digest.cli.dates import parse_issue
from digest.cli.run import config_option, log_to_stderr
from digest.runs.approval import approve_issue, reject_issue
from digest.settings import load_project_config


def _issue_id(ctx: click.Context, param: click.Parameter, value: str) -> str:
    return parse_issue(value)


def _default_editor() -> str:
    return f"{getpass.getuser()}@{socket.gethostname()}"


issue_argument = click.argument("issue_id", metavar="ISSUE", callback=_issue_id)
by_option = click.option(
    "--by", default=_default_editor, show_default="user@host", help="Who decides, for the history."
)


@click.command("approve")
@issue_argument
@config_option
@by_option
def approve_command(issue_id: str, config_path: Path, by: str) -> None:
    """Approve a proofed issue: it goes out to every subscriber now, exactly as proofed."""
    log_to_stderr()
    result = approve_issue(load_project_config(config_path), issue_id, by=by)
    click.echo(result.line, err=bool(result.exit_code))
    sys.exit(result.exit_code)


@click.command("reject")
@issue_argument
@config_option
@by_option
@click.option("--reason", default="", help="Why, for the history and the other editors.")
def reject_command(issue_id: str, config_path: Path, by: str, reason: str) -> None:
    """Object to a proofed issue: it is held, and no approval deadline sends it."""
    log_to_stderr()
    result = reject_issue(load_project_config(config_path), issue_id, by=by, reason=reason)
    click.echo(result.line)

"""`digest approve ISSUE`, `digest reject ISSUE` and `digest proof ISSUE`: the editors' decision on a
proofed issue, and a new proof of it after a change. ISSUE is its id (2025-W11) or any day of its
week (2025-03-14)."""

from __future__ import annotations

import getpass
import socket
import sys
from pathlib import Path

import click

from digest.cli.dates import parse_issue
from digest.cli.run import config_option, log_to_stderr
from digest.errors import DigestError
from digest.runs.approval import (
    ApprovalError,
    ApprovalPlan,
    approve_issue,
    current_issue,
    plan_approval,
    reject_issue,
    send_new_proof,
)
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
@click.option(
    "--proofed",
    is_flag=True,
    help="Send the proofed version even though the week's issue folder changed since the proof.",
)
def approve_command(issue_id: str, config_path: Path, by: str, proofed: bool) -> None:
    """Approve a proofed issue: it goes out to every subscriber now, exactly as proofed."""
    log_to_stderr()
    project = load_project_config(config_path)
    plan = plan_approval(project, issue_id)
    try:
        plan = plan.compared_with(current_issue(project, plan.proofed.date))
    except DigestError as e:  # the folder does not compose now: --proofed does not need it to
        if not proofed:
            raise ApprovalError(
                f"{issue_id}: not sent: cannot compare the issue folder with the proof ({e}); "
                "fix it, or approve the proofed version with --proofed"
            ) from None
        click.echo(f"{issue_id}: the issue folder does not compose now ({e}); sending the proofed version")
    click.echo(_what_goes_out(plan))
    if plan.changed and not proofed:
        raise ApprovalError(
            f"{issue_id}: not sent: the issue changed since the proof ({'; '.join(plan.changes or [])}); "
            f"send a new proof with `digest proof {issue_id}`, or approve the proofed version with --proofed"
        )
    result = approve_issue(project, issue_id, by=by, proof_hash=plan.proof_hash)
    click.echo(result.line, err=bool(result.exit_code))
    sys.exit(result.exit_code)


@click.command("proof")
@issue_argument
@config_option
def proof_command(issue_id: str, config_path: Path) -> None:
    """Send the editors a new [PROOF] of an issue awaiting approval, as its folder makes it now."""
    log_to_stderr()
    result = send_new_proof(load_project_config(config_path), issue_id)
    click.echo(result.line, err=bool(result.exit_code))
    sys.exit(result.exit_code)


def _what_goes_out(plan: ApprovalPlan) -> str:
    """What an approval sends: the proof's subject, time and stories, and to how many."""
    record, issue = plan.record, plan.proofed
    sent = f"{record.proof_sent_at:%Y-%m-%d %H:%M} UTC" if record.proof_sent_at else "at an unknown time"
    lines = [
        f"{record.issue_id}: the proof sent {sent}",
        f"  subject: {issue.subject}",
        f"  lead: {issue.lead.title}",
        *(f"  more from: {story.title}" for story in issue.more_from),
        f"  goes to {plan.audience}",
    ]
    if plan.changes is None:
        lines.append("  (not compared with an issue folder: the proof is sent as archived)")
    elif plan.changed:
        lines.append(f"  changed since the proof: {'; '.join(plan.changes)}")
    else:
        lines.append("  the issue folder still makes the proofed issue")
    return "\n".join(lines)


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

"""`digest subscribers show`'s text: one address's record, consent and history, for a person to read."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import click

from digest.store import SubjectReport


def _printable(text: object) -> str:
    """Names and bounce lines are anyone's text: no tab, newline or terminal escape reaches the screen."""
    return "".join(c if c.isprintable() else " " for c in str(text if text is not None else ""))


def _section(title: str, lines: Iterable[str]) -> None:
    listed = list(lines)
    click.echo(f"{title}:" if listed else f"{title}: none")
    for line in listed:
        click.echo(f"  {line}")


def _event(event: dict[str, Any]) -> str:
    fields = (event["at"], event["kind"], event["status_line"], event["message_id"], event["issue_id"])
    return "  ".join(_printable(f) for f in fields if f)


def print_report(report: SubjectReport) -> None:
    row = report.subscriber
    click.echo(_printable(row["email"]))
    click.echo(
        f"  name: {_printable(row['name']) or '-'}; greeted as: {_printable(row['first_name']) or '-'}"
    )
    click.echo(
        f"  status: {row['status']} since {row['status_changed_at']}; on the list since {row['created_at']}"
    )
    if row["paused_until"]:
        click.echo(f"  paused until {row['paused_until']} (on the preference page)")
    if report.suppression:
        why = report.suppression
        click.echo(f"  suppressed: {why['reason']} at {why['at']}: {_printable(why['status_line']) or '-'}")
    for key, value in sorted(row["attributes"].items()):
        click.echo(f"  {_printable(key)}: {_printable(value)}")
    _section(
        "consent",
        (
            "  ".join(
                _printable(f)
                for f in (c.at, c.kind, c.method, c.source, c.text_hash, c.ip and f"ip {c.ip}")
                if f
            )
            for c in report.consent
        ),
    )
    _section("status changes", map(_event, report.status_changes))
    _section("issues sent", (f"{s['issue_id']}  {s['state']}  {s['at']}" for s in report.issues_sent))
    _section("feedback", map(_event, report.feedback))

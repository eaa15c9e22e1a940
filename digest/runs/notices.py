"""Mail to the editors about an unattended run: a thin week's notice. (Proofs go through delivery.)

Building the message is pure; sending it uses delivery's SMTP connection and settings.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid, parseaddr

from digest.deliver.message import header_text, sender_domain
from digest.deliver.smtp import PermanentFailure, SmtpConnection, TemporaryFailure, Uncertain, resolve_target
from digest.gather import SourceReport
from digest.model import Newsletter
from digest.settings import DeliverySettings

log = logging.getLogger("digest.runs.run")


@dataclass(frozen=True, slots=True)
class ThinWeek:
    """What the editors need to know about a skipped week."""

    issue_id: str
    issue_date: dt.date
    stories: int
    min_stories: int
    week_folder: str
    sources: tuple[SourceReport, ...] = ()
    problems: tuple[str, ...] = ()


def thin_week_message(newsletter: Newsletter, editors: Sequence[str], week: ThinWeek) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    display, address = parseaddr(newsletter.from_address)
    message["From"] = Address(display_name=header_text(display or newsletter.name), addr_spec=address)
    message["To"] = ", ".join(header_text(editor) for editor in editors)
    # Short enough to stay on one line (the newsletter's name is in From).
    message["Subject"] = (
        f"[digest] {week.issue_id} skipped: a thin week ({week.stories} of {week.min_stories} stories)"
    )
    message["Date"] = format_datetime(dt.datetime.now(dt.UTC))
    message["Message-ID"] = make_msgid(domain=sender_domain(newsletter.from_address))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    message.set_content(thin_week_text(newsletter, week), charset="utf-8")
    return message


def thin_week_text(newsletter: Newsletter, week: ThinWeek) -> str:
    lines = [
        f"{newsletter.name} {week.issue_id} ({week.issue_date:%A %d %B %Y}) was not sent to subscribers:",
        f"the week has {week.stories} {'story' if week.stories == 1 else 'stories'} for the issue, "
        f"and [schedule] min_stories is {week.min_stories}.",
        "",
    ]
    if week.sources:
        lines.append("What each source gave:")
        for report in week.sources:
            if report.failed:
                lines.append(f"  {report.source}: failed: {report.error}")
                continue
            dropped = "".join(f", {count} {reason}" for reason, count in report.dropped)
            lines.append(
                f"  {report.source}: {report.parsed} entries, {report.in_window} in the week, "
                f"{report.kept} kept{dropped}"
            )
        lines.append("")
    if week.problems:
        lines += ["Problems:", *(f"  {line}" for line in week.problems), ""]
    lines += [
        "To send it anyway: add stories to the week's folder",
        f"  {week.week_folder}/  (issue.toml with [issue] date = {week.issue_date}, and stories/)",
        "or lower [schedule] min_stories, then run",
        f"  digest run --send --date {week.issue_date}",
        "",
        "(You get this once per issue. Sent by digest's scheduled run.)",
    ]
    return "\n".join(lines) + "\n"


def send_to_editors(
    message: EmailMessage,
    editors: Sequence[str],
    delivery: DeliverySettings,
    *,
    environ: dict[str, str] | None = None,
) -> list[str]:
    """Send ``message`` to each editor over one SMTP connection; returns the failures, one line each.

    Raises SmtpError when the server cannot be used at all."""
    target = resolve_target(delivery.smtp, environ)
    sender = parseaddr(str(message["From"]))[1]
    data = message.as_bytes()
    failures = []
    connection = SmtpConnection(target)
    try:
        for editor in editors:
            address = parseaddr(editor)[1]
            try:
                connection.send(sender, address, data, commit=lambda: True)
            except (PermanentFailure, TemporaryFailure, Uncertain) as e:
                failures.append(f"{address}: {e}")
    finally:
        connection.close()
    for failure in failures:
        log.warning("could not tell an editor: %s", failure)
    return failures

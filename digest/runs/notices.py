"""Mail to the editors about an unattended run: a thin week's notice, and the notice of a run
that stopped (lint errors, the mail server, the settings, the database…). Proofs go through delivery.

Building the message is pure; sending it goes through delivery's pool, so retries, TLS, AUTH
and the rate limit behave as they do for an issue.
"""

from __future__ import annotations

import datetime as dt
import logging
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from digest.clock import utc_now
from digest.deliver import (
    MESSAGE_POLICY,
    FixedMessage,
    NoLedger,
    Outcome,
    Recipient,
    SendOptions,
    ServerUnreachable,
    deliver,
    from_header,
    header_text,
    resolve_target,
    sender_domain,
    smtp_transports,
)
from digest.gather import SourceReport
from digest.model import Newsletter
from digest.settings import DeliverySettings
from digest.words import plural

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


@dataclass(frozen=True, slots=True)
class StoppedRun:
    """What the editors need to know about a run that stopped before the issue went out."""

    issue_id: str
    issue_date: dt.date
    kind: str
    """What kind of stop, in a few plain words ("lint errors", "the mail server"): the subject's."""
    what: str
    """What stopped it: the run's one line."""
    exit_code: int
    commands: tuple[str, ...]
    """What to run to send it anyway (or after fixing what the advice says), in order."""
    advice: str = ""
    """What to fix first, if anything, and what the command does."""
    part_way: bool = False
    """Some subscribers have it already (a send stopped part-way)."""

    @property
    def not_sent(self) -> str:
        return "not sent to everyone" if self.part_way else "not sent"


def thin_week_message(newsletter: Newsletter, editors: Sequence[str], week: ThinWeek) -> EmailMessage:
    # Short enough to stay on one line (the newsletter's name is in From).
    subject = f"[digest] {week.issue_id} skipped: a thin week ({week.stories} of {week.min_stories} stories)"
    return editors_message(newsletter, editors, subject, thin_week_text(newsletter, week))


def stopped_run_message(newsletter: Newsletter, editors: Sequence[str], stop: StoppedRun) -> EmailMessage:
    subject = f"[digest] {stop.issue_id} {stop.not_sent}: {stop.kind} (exit {stop.exit_code})"
    return editors_message(newsletter, editors, subject, stopped_run_text(newsletter, stop))


def stopped_run_text(newsletter: Newsletter, stop: StoppedRun) -> str:
    lines = [
        f"{newsletter.name} {stop.issue_id} ({stop.issue_date:%A %d %B %Y}) was {stop.not_sent} "
        "on the subscriber list: the unattended run stopped.",
        "",
        "What stopped it:",
        f"  {stop.what}",
        f"The run's exit code: {stop.exit_code} ({stop.kind}).",
        "",
    ]
    if stop.advice:
        lines += [textwrap.fill(stop.advice, width=72), ""]
    lines += ["To send it anyway, run:", *(f"  {command}" for command in stop.commands), ""]
    lines.append(
        "(You get this once per issue for each kind of stop; the run's log has the details. "
        "Sent by digest's unattended run.)"
    )
    return "\n".join(lines) + "\n"


def editors_message(newsletter: Newsletter, editors: Sequence[str], subject: str, text: str) -> EmailMessage:
    message = EmailMessage(policy=MESSAGE_POLICY)
    message.set_raw("From", from_header(newsletter))  # encoded and folded already
    message["To"] = ", ".join(header_text(editor) for editor in editors)
    message["Subject"] = header_text(subject)
    message["Date"] = format_datetime(utc_now())
    message["Message-ID"] = make_msgid(domain=sender_domain(newsletter.from_address))
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies, please
    message.set_content(text, charset="utf-8")
    return message


def thin_week_text(newsletter: Newsletter, week: ThinWeek) -> str:
    lines = [
        f"{newsletter.name} {week.issue_id} ({week.issue_date:%A %d %B %Y}) was not sent to subscribers:",
        f"the week has {plural(week.stories, 'story', 'stories')} for the issue, "
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
    """Send ``message`` to each editor over one SMTP connection; returns the failures, one line each
    (every editor's, when the server cannot be reached: the next run tries again).

    Raises SmtpError when the server cannot be used at all (login refused, no TLS)."""
    target = resolve_target(delivery.smtp, environ)
    recipients = [Recipient(email=parseaddr(editor)[1]) for editor in editors]
    outcomes: dict[str, tuple[Outcome, str]] = {}

    def note(recipient: Recipient, outcome: Outcome, detail: str) -> None:
        outcomes[recipient.email] = (outcome, detail)

    report = deliver(
        FixedMessage(message.as_bytes()),
        recipients,
        ledger=NoLedger(),  # a notice is not an issue: nothing goes into the send log
        sender=parseaddr(str(message["From"]))[1],
        transports=smtp_transports(target),
        options=SendOptions.for_smtp(delivery.smtp, concurrency=1, on_outcome=note),
    )
    if report.fatal is not None and not isinstance(report.fatal, ServerUnreachable):
        raise report.fatal
    failures = []
    for recipient in recipients:
        # An editor the run never reached (the server went away before) was not told either.
        outcome, detail = outcomes.get(recipient.email, (Outcome.DEFERRED, report.error or "not sent"))
        if outcome is not Outcome.SENT:
            failures.append(f"{recipient.email}: {detail}")
    for failure in failures:
        log.warning("could not tell an editor: %s", failure)
    return failures

"""The complaint-rate lines (feedback/thresholds.py) where runs meet them: the editors told of an
issue over a line once per issue and line (the stop_notices record, as runs/stops.py tells of a
stopped run), and a scheduled send held while an issue over the hold line is not acknowledged.

    check_complaints: at the start of every scheduled send (`digest run --send`, the scheduler;
    never an explicit `digest send`), and after `digest feedback fetch`: tell the editors of each
    recent issue over a line; with `hold`, raise SendHeld (the run stops like any other: exit 11,
    the editors told once with the exact `digest feedback acknowledge` command).
"""

from __future__ import annotations

import datetime as dt
import logging
import shlex
import textwrap

from digest.errors import DigestError
from digest.feedback.figures import percent
from digest.feedback.thresholds import ComplaintLimits, Level, OverLimit, SendHeld, over_limits
from digest.runs.notices import editors_message, send_to_editors
from digest.settings import ProjectConfig
from digest.settings.feedback import feedback_settings
from digest.store import StopNotices, Store

log = logging.getLogger("digest.runs.run")


def complaint_limits(project: ProjectConfig) -> ComplaintLimits:
    settings = feedback_settings(project.files)
    return ComplaintLimits(settings.complaint_warn_rate, settings.complaint_hold_rate)


def acknowledge_command(project: ProjectConfig, issue_id: str) -> str:
    return shlex.join(
        ["digest", "feedback", "acknowledge", issue_id, "--config", str(project.path.resolve())]
    )


def check_complaints(
    project: ProjectConfig,
    store: Store,
    now: dt.datetime,
    environ: dict[str, str] | None = None,
    *,
    hold: bool = True,
) -> list[str]:
    """Tell the editors of each recent issue over a line (once per issue and line); returns what
    became of each notice. With `hold`, raise SendHeld for an unacknowledged one over the hold line."""
    over = over_limits(store, complaint_limits(project))
    told = [_tell_once(project, store, o, now, environ) for o in over if not o.acknowledged]
    holding = [o for o in over if o.level is Level.HOLD and not o.acknowledged]
    if hold and holding:
        raise SendHeld(holding)
    return [line for line in told if line]


def _tell_once(
    project: ProjectConfig, store: Store, over: OverLimit, now: dt.datetime, environ: dict[str, str] | None
) -> str:
    issue_id, editors, notices = over.figures.issue_id, project.schedule.editors, StopNotices(store)
    if project.delivery is None or not editors:
        return f"{issue_id}: the editors could not be told: no [store]/[smtp] or [schedule] editors"
    if notices.claim(issue_id, str(over.level), now) is not None:
        return ""  # told before
    subject = f"[digest] {issue_id}: {over.level} ({percent(over.figures.complaint_rate)})"
    message = editors_message(project.newsletter, editors, subject, complaint_text(project, over))
    try:
        failures = send_to_editors(message, editors, project.delivery, environ=environ)
    except DigestError as error:
        failures = [str(error)]
    if len(failures) >= len(editors):
        notices.release(issue_id, str(over.level))
        return f"{issue_id}: the editors could not be told of its complaint rate ({failures[0]}); next time"
    log.warning("%s; the editors were told", over.line())
    return (
        f"{issue_id}: {over.level}; the editors were told ({len(editors) - len(failures)} of {len(editors)})"
    )


def complaint_text(project: ProjectConfig, over: OverLimit) -> str:
    figures = over.figures
    lines = [f"{over.line()}.", "", figures.line(), ""]
    advice = (
        "Mailbox providers send a list's mail to spam, or refuse it, when its readers complain: Gmail "
        "asks for a complaint rate under 0.1%, and never 0.3%. Look at what changed in this issue (the "
        "subject, the content, a new source of addresses) and at who complained (`digest subscribers "
        "suppressed --reason complaint`); they are never sent to again."
    )
    lines += [textwrap.fill(advice, width=72), ""]
    if over.level is Level.HOLD:
        lines += [
            "The next scheduled send (digest run --send, the scheduler) is held until someone",
            "acknowledges it, with:",
            f"  {acknowledge_command(project, figures.issue_id)}",
            "",
        ]
    lines.append("(You get this once per issue. Sent by digest.)")
    return "\n".join(lines) + "\n"


def held_advice(project: ProjectConfig, error: SendHeld) -> tuple[str, tuple[str, ...]]:
    """What the stop notice of a held run says, and the commands: acknowledge, then send."""
    advice = (
        "The issue was neither built nor sent: a recent issue's readers complained more than "
        "[feedback] complaint_hold_rate allows. Find out why first; then acknowledge it (recorded: "
        "who, when), and the next scheduled run sends, or the last command below does it now."
    )
    return advice, tuple(acknowledge_command(project, o.figures.issue_id) for o in error.over)

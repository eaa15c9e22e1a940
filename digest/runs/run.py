"""`digest run`: one week's issue from start to finish, for cron, a systemd timer or `digest schedule`.

    run_issue: lock the issue → where does it stand? (sent: nothing to do) → gather the week →
    thin-week policy → compose (leaving out what recent issues sent) → render → preflight lint
    (errors stop the run) → archive → with --send: a [PROOF] to the editors when approval is
    required, else to every subscriber, exactly once.

Every way a run can end is a ``RunResult``: one line of reason and an exit code. Where each issue
stands lives in the store (digest/store/run_history.py), so any number of runs of the same week, from cron,
a timer or the scheduler, build and send it once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from digest.clock import utc_now
from digest.compose import Composition
from digest.deliver.ledger import SendLedger, SendState
from digest.deliver.send import (
    PROOF_PREFIX,
    DeliveryRenders,
    IssueSendReport,
    prepare_issue,
    render_for_delivery,
    send_issue,
    send_proofs,
)
from digest.deliver.smtp import SmtpError
from digest.deliver.smtp_target import resolve_target
from digest.deliver.tokens import load_secret
from digest.errors import ConfigError
from digest.lint import Level
from digest.model import Issue, RenderedIssue
from digest.pipeline import Preflight, Week, compose_week, gather_stories, preflight
from digest.render import Theme, load_theme, render_issue
from digest.runs.archive import archive_issue, issue_hash, load_archived_issue
from digest.runs.complaints import check_complaints
from digest.runs.notices import ThinWeek, send_to_editors, thin_week_message
from digest.runs.proof import proof_renders
from digest.runs.result import ExitCode, RunResult
from digest.runs.scheduled import deadline_reason, is_scheduled, scheduled_line
from digest.runs.week import project_theme, week_config
from digest.settings import DeliverySettings, ProjectConfig
from digest.store import Store, open_store
from digest.store.run_history import HeldLock, IssueHistory, IssueRecord, IssueState, issue_lock
from digest.weekly import issue_id_for
from digest.words import plural

log = logging.getLogger("digest.runs.run")


# --- the run --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RunContext:
    """What every step of a run shares: the project, the store, the clock, the environment, and
    the run lock of the issue it works on."""

    project: ProjectConfig
    store: Store
    now: dt.datetime
    environ: dict[str, str] | None = None
    lock: HeldLock | None = None
    resend_uncertain: bool = False
    """Send again to the recipients whose copy is uncertain (`digest run --resend-uncertain`)."""
    force: bool = False
    """Build and send even though preflight found errors (`digest run --send --force`)."""

    @property
    def history(self) -> IssueHistory:
        return IssueHistory(self.store, clock=lambda: self.now)

    def holding(self, lock: HeldLock) -> RunContext:
        """The context for work on the issue whose lock this is."""
        return replace(self, lock=lock)

    def lock_of(self, issue_id: str) -> HeldLock:
        """The run lock of the issue being sent; sending without it would race another process."""
        if self.lock is None or self.lock.issue_id != issue_id:
            raise RuntimeError(f"sending {issue_id} without holding its run lock")
        return self.lock


@contextmanager
def run_context(
    project: ProjectConfig, now: dt.datetime | None = None, environ: dict[str, str] | None = None
) -> Iterator[RunContext]:
    store = open_store(_delivery(project).store)
    try:
        yield RunContext(project, store, now or utc_now(), environ)
    finally:
        store.close()


def run_issue(
    project: ProjectConfig,
    issue_date: dt.date,
    *,
    send: bool = False,
    now: dt.datetime | None = None,
    environ: dict[str, str] | None = None,
    resend_uncertain: bool = False,
    force: bool = False,
) -> RunResult:
    """Build one week's issue and, with ``send``, proof or send it; safe to run any number of times.
    With ``resend_uncertain``, a send also goes again to those whose copy is uncertain; with
    ``force``, lint errors do not stop it."""
    issue_id = issue_id_for(issue_date)
    with run_context(project, now, environ) as unlocked, issue_lock(unlocked.store, issue_id) as lock:
        context = replace(unlocked.holding(lock), resend_uncertain=resend_uncertain, force=force)
        record = context.history.get(issue_id)
        answer = settle(context, issue_id, record, send=send)
        if answer is not None:
            return answer
        return _build_and_send(context, issue_date, record, send=send)


def build_and_proof(context: RunContext, issue_date: dt.date, record: IssueRecord) -> RunResult:
    """A new proof of the week as it stands now (`digest proof`), with require_approval on; the
    caller holds the issue's lock."""
    return _build_and_send(context, issue_date, record, send=True)


def settle(context: RunContext, issue_id: str, record: IssueRecord | None, *, send: bool) -> RunResult | None:
    """The answer for an issue past building (sent, going out, held for approval), sending it when
    its time has come (a resumed send, a passed approval deadline). None: build it."""
    if record is None or record.state in (IssueState.BUILT, IssueState.THIN):
        if not SendLedger(context.store, issue_id).counts().get(SendState.SENT):
            return None
        # `digest send` of the week's folder reached someone and stopped: a rebuild would send
        # the others another issue, so the rest get the copy it kept, as from a run's own send.
        record = replace(
            record or IssueRecord(issue_id, IssueState.SENDING, "", context.now), state=IssueState.SENDING
        )
    if record.state is IssueState.SENT:
        return RunResult(issue_id, ExitCode.DONE, f"already sent ({_when(record.sent_at)}); nothing to do")
    if record.state is IssueState.SENDING:
        if not send:
            return RunResult(issue_id, ExitCode.INCOMPLETE, "sending stopped part-way; --send resumes it")
        return send_archived(context, issue_id, "resuming the send")
    if record.state is IssueState.REJECTED:
        return RunResult(
            issue_id,
            ExitCode.DONE,
            f"held: rejected by {record.decided_by} ({_when(record.decided_at)}); "
            f"`digest approve {issue_id}` sends it after all",
        )
    # Awaiting approval, or approved ahead to go at the deadline (scheduled from the desk).
    if send and record.deadline is not None and context.now >= record.deadline:
        return send_archived(context, issue_id, deadline_reason(record))
    return RunResult(issue_id, ExitCode.DONE, _awaiting(record))


def _build_and_send(
    context: RunContext, issue_date: dt.date, record: IssueRecord | None, *, send: bool
) -> RunResult:
    project, history = context.project, context.history
    issue_id = issue_id_for(issue_date)
    if send:
        _check_ready(context)
    week = gather_stories(week_config(project, issue_date))
    composition = None
    if len(week.stories) >= project.schedule.min_stories:
        composition = compose_and_log(week)
    carried = len(composition.issue.stories) if composition else len(week.stories)
    if composition is None or carried < project.schedule.min_stories:
        return _thin_week(context, issue_date, week, carried, record, send=send)

    theme = load_theme(week.config.theme_dir)
    # A send renders the two variants the messages are spliced from, and the archived copy is
    # filled in from them; a build alone renders that copy directly. Either way: one render.
    renders = render_for_delivery(composition.issue, theme, _delivery(project).tracking) if send else None
    rendered = renders.plain() if renders else render_issue(composition.issue, theme)
    verdict = logged_preflight(rendered)
    if not verdict.passed:
        if not context.force:
            return RunResult(issue_id, ExitCode.LINT_FAILED, f"stopped: {verdict.verdict()}")
        log.warning("%s; building and sending anyway (--force)", verdict.verdict())
    folder = archive_issue(rendered, project.archive_dir)["html"].parent
    built = f"built, {plural(carried, 'story', 'stories')}, archived in {folder}"
    history.record(issue_id, IssueState.BUILT, built)
    if not send:
        return RunResult(issue_id, ExitCode.DONE, built, archived=folder)
    if project.schedule.require_approval:
        return _send_proof(context, composition.issue, folder, Rendered(theme, renders))
    return _send_to_subscribers(
        context, composition.issue, built + "; ", archived=folder, rendered=Rendered(theme, renders)
    )


# --- the week's material --------------------------------------------------------------------------


def compose_and_log(week: Week) -> Composition:
    """Compose, leaving out stories the last issues sent; warnings and left-out stories to the log."""
    composition = compose_week(week)
    for warning in composition.warnings:
        log.warning("%s", warning)
    for left in composition.left_out:
        log.info("left out %s: %s", left.story.id, left.detail)
    return composition


def logged_preflight(rendered: RenderedIssue) -> Preflight:
    """The one preflight policy (pipeline.preflight); every finding goes to the log, errors at
    ERROR level, for cron mail and the journal."""
    verdict = preflight(rendered)
    for finding in verdict.report.findings:
        log.log(
            logging.ERROR if finding.level is Level.ERROR else logging.WARNING,
            "lint %s %s: %s (%s) fix: %s",
            finding.level,
            finding.code,
            finding.message,
            finding.where,
            finding.fix,
        )
    return verdict


@dataclass(frozen=True, slots=True)
class Rendered:
    """What a run has rendered for sending: the theme, and the two variants when already made."""

    theme: Theme
    renders: DeliveryRenders | None = None


# --- the endings ----------------------------------------------------------------------------------


def _thin_week(
    context: RunContext,
    issue_date: dt.date,
    week: Week,
    carried: int,
    record: IssueRecord | None,
    *,
    send: bool,
) -> RunResult:
    """Skip the issue; with --send, tell the editors by email (once per issue)."""
    project = context.project
    issue_id = issue_id_for(issue_date)
    minimum = project.schedule.min_stories
    detail = f"skipped: a thin week, {plural(carried, 'story', 'stories')} (min_stories = {minimum})"
    if week.problems:
        detail += f"; {plural(len(week.problems), 'source problem')} (see the log)"
    told_at = record.editors_told_at if record is not None else None
    if send and told_at is None:
        notice = ThinWeek(
            issue_id, issue_date, carried, minimum, str(week.config.folder), week.sources, week.problems
        )
        editors = project.schedule.editors
        message = thin_week_message(project.newsletter, editors, notice)
        failures = send_to_editors(message, editors, _delivery(project), environ=context.environ)
        if len(failures) < len(editors):
            told_at = context.now
            detail += f"; the editors were told ({len(editors) - len(failures)} of {len(editors)})"
        else:
            detail += "; could not email the editors (see the log); the next run tries again"
    elif told_at is not None:
        detail += f"; the editors were told {_when(told_at)}"
    context.history.record(issue_id, IssueState.THIN, detail, editors_told_at=told_at)
    return RunResult(issue_id, ExitCode.THIN_WEEK, detail)


def _check_ready(context: RunContext) -> None:
    """Before any work: what sending will need (the signing secret, an SMTP host) is there, and no
    recent issue's complaint rate holds the send (runs/complaints.py)."""
    delivery = _delivery(context.project)
    load_secret(delivery.secret_file, environ=context.environ)
    resolve_target(delivery.smtp, context.environ)
    check_complaints(context.project, context.store, context.now, context.environ)


def _send_proof(context: RunContext, issue: Issue, folder: Path, rendered: Rendered) -> RunResult:
    """Require approval: a [PROOF] to the editors; subscribers wait for `digest approve`."""
    project = context.project
    delivery = _delivery(project)
    secret = load_secret(delivery.secret_file, environ=context.environ)  # the real send needs it: fail now
    window = project.schedule.approval_window()
    deadline = context.now + window if window else None
    # The proof says what happens next (runs/proof.py), and the history keeps its content hash:
    # an approval names the proof it approves.
    renders = proof_renders(project, issue, rendered.theme, rendered.renders, deadline)
    prepared = prepare_issue(
        issue, rendered.theme, delivery, secret, subject_prefix=PROOF_PREFIX, renders=renders
    )
    report = send_proofs(prepared, list(project.schedule.editors), environ=context.environ)
    if report.error:
        raise SmtpError(f"could not send the proof: {report.error}")
    if report.sent == 0:
        reasons = "; ".join(reply for _, reply in [*report.failed, *report.deferred]) or "no editor got it"
        raise SmtpError(f"could not send the proof: {reasons}")
    record = context.history.record(
        issue.issue_id,
        IssueState.AWAITING_APPROVAL,
        f"proof sent to {report.sent} of {len(project.schedule.editors)} editors",
        proof_sent_at=context.now,
        deadline=deadline,
        proof_hash=issue_hash(issue),
    )
    return RunResult(issue.issue_id, ExitCode.DONE, _awaiting(record), archived=folder)


def send_archived(context: RunContext, issue_id: str, why: str) -> RunResult:
    """Send the issue exactly as it was built (and proofed), from its archive."""
    issue = load_archived_issue(context.project.archive_dir, issue_id)
    rendered = Rendered(load_theme(project_theme(context.project, issue)))
    return _send_to_subscribers(context, issue, f"{why}; ", rendered=rendered)


def _send_to_subscribers(
    context: RunContext, issue: Issue, prefix: str, *, rendered: Rendered, archived: Path | None = None
) -> RunResult:
    """To every active subscriber who does not have it yet: exactly once (delivery's send log).
    The week is recorded sent only when every one has a final answer: none pending, none uncertain."""
    project = context.project
    delivery = _delivery(project)
    secret = load_secret(delivery.secret_file, environ=context.environ)
    prepared = prepare_issue(issue, rendered.theme, delivery, secret, renders=rendered.renders)
    context.history.record(issue.issue_id, IssueState.SENDING, "sending")
    report = send_issue(
        prepared,
        context.store,
        lock=context.lock_of(issue.issue_id),
        resend_uncertain=context.resend_uncertain,
        environ=context.environ,
    )
    summary = prefix + _send_summary(report)
    if report.run.error:
        raise SmtpError(f"{issue.issue_id}: {summary}; stopped: {report.run.error}; the next run resumes")
    if not report.complete:
        detail = f"{summary}; {_left_to_do(report, issue)}"
        context.history.record(issue.issue_id, IssueState.SENDING, detail)
        return RunResult(issue.issue_id, ExitCode.INCOMPLETE, detail, archived=archived)
    context.history.record(issue.issue_id, IssueState.SENT, summary, sent_at=context.now)
    return RunResult(issue.issue_id, ExitCode.DONE, summary, archived=archived)


def _send_summary(report: IssueSendReport) -> str:
    """The send log's figures for the issue (every run of it), and this run's where they differ."""
    run, totals = report.run, report.totals
    sent = totals.get(SendState.SENT, run.sent)
    this_run = f"{run.sent} this run, " if sent != run.sent else ""
    failed = totals.get(SendState.FAILED, len(run.failed))
    text = (
        f"sent to {plural(sent, 'subscriber')} ({this_run}{failed} failed, "
        f"{len(report.uncertain)} uncertain, {run.seconds:.1f} s)"
    )
    if run.deferred:
        text += f"; {len(run.deferred)} deferred ({run.deferred_reason()})"
    return text


def _left_to_do(report: IssueSendReport, issue: Issue) -> str:
    """What keeps the week from being sent, and what settles it."""
    parts = []
    if report.run.stopped:
        parts.append("stopped early")
    if report.pending:
        parts.append(f"{report.pending} still to send: the next run resumes")
    if report.uncertain:
        parts.append(
            f"{len(report.uncertain)} uncertain may or may not have their copy: "
            f"`digest run --send --resend-uncertain --date {issue.date}` sends it again, "
            "at the risk of a second one"
        )
    return "; ".join(parts)


# --- small helpers ------------------------------------------------------------------------------


def _delivery(project: ProjectConfig) -> DeliverySettings:
    if project.delivery is None:
        raise ConfigError("no delivery settings ([store], [smtp])", where=project.path)
    return project.delivery


def _awaiting(record: IssueRecord) -> str:
    if is_scheduled(record):
        return scheduled_line(record)
    text = f"awaiting approval: {record.detail} ({_when(record.proof_sent_at)}); "
    text += f"`digest approve {record.issue_id}` sends it"
    if record.deadline is not None:
        text += f", and it goes out by itself at {record.deadline:%Y-%m-%d %H:%M} UTC unless rejected"
    return text


def _when(moment: dt.datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else "at an unknown time"

"""Sending from the desk: a week's "Send to N subscribers now", confirmed, then in the background.

The send is `digest run --send` itself (runs/stops.py `run_and_tell`: the run lock, the
exactly-once send log, the editors told when it stops); this module only decides whether the
week may go, names what will happen, starts that run as a child process in a session of its own
(it outlives the request and the preview itself; its output goes to the project's logs/ folder),
and reads its progress back from the send log. A confirmation names the issue it was shown by its
content hash, so a page loaded before the issue changed can never send the changed one unseen;
and the copy checked is the copy sent (kept by runs/approval.py `keep_confirmed` before the run),
so an edit after the check cannot slip in either.
"""

from __future__ import annotations

import datetime as dt
import logging
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from digest.clock import utc_now
from digest.deliver import SendLedger, SendState
from digest.errors import DigestError
from digest.model import Issue, RenderedIssue
from digest.runs.approval import keep_confirmed
from digest.runs.archive import issue_hash
from digest.runs.scheduled import is_scheduled, scheduled_line
from digest.settings import ProjectConfig
from digest.store import IssueLocked, issue_lock, open_store
from digest.store.run_history import IssueHistory, IssueRecord, IssueState
from digest.weekly import issue_id_for
from digest.words import plural

log = logging.getLogger(__name__)

SENDABLE = (None, IssueState.BUILT, IssueState.THIN, IssueState.SENDING)
"""The run-history states from which the desk offers a send (sending: a stopped send resumes).
Awaiting approval and rejected belong to the approval panel (but for a week scheduled from here,
runs/scheduled.py: its Cancel is here); sent is done."""


class SendRefused(DigestError):
    """The desk will not start this send (already sending, changed since the confirmation, …)."""


@dataclass(frozen=True)
class Progress:
    """The send log's figures for an issue: what the live progress line shows."""

    sent: int
    left: int
    failed: int
    uncertain: int

    def line(self) -> str:
        return f"{self.sent} sent · {self.left} left · {self.failed} failed · {self.uncertain} uncertain"


@dataclass(frozen=True)
class SendPlan:
    """What "Send" would do for a week now: to whom, how many, and the issue it was shown."""

    project: ProjectConfig
    date: dt.date
    record: IssueRecord | None
    recipients: int
    content_hash: str

    @property
    def issue_id(self) -> str:
        return issue_id_for(self.date)

    @property
    def proof_first(self) -> bool:
        """With require_approval, sending from the desk proofs it (as `digest run --send` does)."""
        return self.project.schedule.require_approval

    @property
    def action(self) -> str:
        if self.proof_first:
            editors = self.project.schedule.editors
            return f"Send a proof to {plural(len(editors), 'editor')} now"
        resume = "Resume the send" if self.record and self.record.state is IssueState.SENDING else "Send"
        return f"{resume} to {plural(self.recipients, 'subscriber')} now"

    @property
    def scheduled(self) -> str:
        """When `digest schedule` would send it by itself, from [schedule]."""
        schedule = self.project.schedule
        zone = schedule.timezone or "UTC"
        return f"{schedule.weekday[:3].title()} {schedule.time:%H:%M} {zone}"

    @property
    def slot(self) -> dt.datetime:
        """The instant of the week's scheduled run: when a Schedule sends it."""
        return self.project.slot.on(self.date)

    @property
    def slot_words(self) -> str:
        """The week's slot, for the Schedule button: "Fri 2025-03-21 07:00 GMT (07:00 UTC)"."""
        return self.project.slot.describe(self.slot)

    @property
    def schedule_line(self) -> str:
        """ "scheduled for … by X at T" once it is scheduled; "" before."""
        return scheduled_line(self.record) if self.record is not None and is_scheduled(self.record) else ""

    @property
    def can_schedule(self) -> bool:
        """A built (or not yet built) week whose slot is still ahead can be scheduled."""
        state = self.record.state if self.record is not None else None
        return state in (None, IssueState.BUILT, IssueState.THIN) and self.slot > utc_now()


def plan_send(project: ProjectConfig, date: dt.date, shown: Issue | None) -> SendPlan | None:
    """The week's send as the page would offer it; None when there is nothing for the desk to send
    (no store, an issue that did not compose, or a state the approval panel or nobody acts on)."""
    if project.delivery is None or not project.delivery.has_store or shown is None:
        return None
    issue_id = issue_id_for(date)
    store = open_store(project.delivery.store)
    try:
        record = IssueHistory(store).get(issue_id)
        if record is not None and record.state not in SENDABLE and not is_scheduled(record):
            return None
        recipients = SendLedger(store, issue_id).count_pending()
    finally:
        store.close()
    return SendPlan(project, date, record, recipients, issue_hash(shown))


def progress_of(project: ProjectConfig, issue_id: str) -> Progress:
    assert project.delivery is not None  # a plan exists only with delivery settings
    store = open_store(project.delivery.store)
    try:
        ledger = SendLedger(store, issue_id)
        counts, left = ledger.counts(), ledger.count_pending()
    finally:
        store.close()
    in_flight = counts.get(SendState.IN_FLIGHT, 0)
    return Progress(
        counts.get(SendState.SENT, 0),
        left + in_flight,
        counts.get(SendState.FAILED, 0),
        counts.get(SendState.UNCERTAIN, 0),
    )


SEND_LOGS = "logs"
"""The project's log folder (beside digest.toml): each desk send's output, `desk-send-<issue>.log`."""


def send_log_path(project: ProjectConfig, issue_id: str) -> Path:
    return project.path.parent / SEND_LOGS / f"desk-send-{issue_id}.log"


def launch_send(plan: SendPlan, log_path: Path) -> subprocess.Popen[bytes]:
    """`digest run --send` for the week as a child process in a session of its own, its output
    appended to ``log_path``: stopping the preview (Ctrl-C, SIGTERM, a restart) leaves the send
    going, and the send log it writes is where the page reads its progress."""
    log_path.parent.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "digest", "run", "--config", str(plan.project.path)]
    command += ["--date", plan.date.isoformat(), "--send"]
    with log_path.open("ab") as log_file:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            cwd=plan.project.path.parent,
            start_new_session=True,
        )


@dataclass
class BackgroundSend:
    """One send the desk started: who, when, and (once its process ends) how it ended."""

    issue_id: str
    by: str
    started_at: dt.datetime
    process: subprocess.Popen[bytes] | None = None
    outcome: str = ""
    ok: bool = True
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def running(self) -> bool:
        return not self.done.is_set()


class DeskSends:
    """The sends this desk process started, by issue id. Another process's send (a cron run, a
    second desk) is found by the run lock instead: the same lock the CLI holds."""

    def __init__(self) -> None:
        self._sends: dict[str, BackgroundSend] = {}
        self._guard = threading.Lock()

    def get(self, issue_id: str) -> BackgroundSend | None:
        return self._sends.get(issue_id)

    def start(self, plan: SendPlan, *, by: str, confirmed_hash: str, shown: RenderedIssue) -> BackgroundSend:
        """Start the confirmed send as a child process; SendRefused when it is already going (here
        or in another process) or the issue changed since the confirmation was shown. ``shown`` is
        the copy whose hash was checked: kept first (``keep_confirmed``), it is the one that goes
        out, not the week composed again (it may have changed since)."""
        if issue_hash(shown.issue) != confirmed_hash:
            raise SendRefused(
                f"{plan.issue_id}: the issue changed since this confirmation was shown; "
                "look at it again and confirm again"
            )
        with self._guard:
            current = self._sends.get(plan.issue_id)
            if current is not None and current.running:
                raise SendRefused(f"{plan.issue_id}: already sending (started by {current.by})")
            _not_locked(plan)
            if not plan.proof_first:
                keep_confirmed(plan.project, plan.date, shown, by=by, confirmed_hash=confirmed_hash)
            send = BackgroundSend(plan.issue_id, by, utc_now())
            log_path = send_log_path(plan.project, plan.issue_id)
            offset = log_path.stat().st_size if log_path.exists() else 0
            send.process = launch_send(plan, log_path)
            self._sends[plan.issue_id] = send
            # A daemon: the preview may stop while the send goes on; the child does not need it.
            waiter = threading.Thread(
                target=_wait,
                args=(plan, send, log_path, offset),
                name=f"desk-send-{plan.issue_id}",
                daemon=True,
            )
            waiter.start()
        return send


def _not_locked(plan: SendPlan) -> None:
    """Refuse when any process (a cron run, `digest send`, another desk) holds the issue's lock."""
    assert plan.project.delivery is not None
    store = open_store(plan.project.delivery.store)
    try:
        with issue_lock(store, plan.issue_id):
            pass
    except IssueLocked as e:
        raise SendRefused(f"{plan.issue_id}: already sending: {e}") from None
    finally:
        store.close()


def _wait(plan: SendPlan, send: BackgroundSend, log_path: Path, offset: int) -> None:
    """While the preview runs: wait for the send's process, keep its last line (the run's result,
    or why it stopped) for the page, and name who sent it in the run history."""
    assert send.process is not None
    code = send.process.wait()
    try:
        lines = log_path.read_bytes()[offset:].decode("utf-8", "replace").splitlines()
    except OSError:
        lines = []
    last = next((line for line in reversed(lines) if line.strip()), "")
    send.ok = code == 0
    send.outcome = last.removeprefix("error: ") or f"{plan.issue_id}: the send ended with exit code {code}"
    _record_sender(plan, send.by)
    send.done.set()


def _record_sender(plan: SendPlan, by: str) -> None:
    """Name who sent it in the week's history line (its state and times are kept)."""
    assert plan.project.delivery is not None
    try:
        store = open_store(plan.project.delivery.store)
        try:
            history = IssueHistory(store)
            record = history.get(plan.issue_id)
            if record is not None and record.state in (IssueState.SENDING, IssueState.SENT):
                history.record(plan.issue_id, record.state, f"{record.detail}; from the desk by {by}")
        finally:
            store.close()
    except DigestError as e:
        log.warning("%s: could not name the sender in the history: %s", plan.issue_id, e)

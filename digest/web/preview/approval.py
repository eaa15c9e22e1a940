"""The preview's approval panel: the approval gate (`digest approve`) from the issue's page.

Shown only for an issue a scheduled run proofed (awaiting approval) or an editor rejected. It
shows the proofed issue (from the run's archive), says how the page's issue differs from it now,
and offers "Send a new proof" or "Approve the proofed version". Every form names the proof it is
about by its content hash, so a page loaded before a newer proof went out can never approve that
one; approving takes a second step (a confirm page naming how many subscribers get it).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from digest.errors import DigestError
from digest.model import Issue
from digest.runs.approval import ApprovalError, ApprovalPlan, approve_issue, plan_approval, send_new_proof
from digest.runs.result import RunResult
from digest.runs.scheduled import is_scheduled
from digest.settings import ProjectConfig, load_issue_config, load_project_config
from digest.settings.project import IssueFolder
from digest.store.run_history import IssueState
from digest.web.preview.desk import asker_name
from digest.web.preview.personas import Persona, persona
from digest.web.preview.snapshot import IssueSnapshot
from digest.web.preview.weeks import KnownWeek
from digest.weekly import issue_id_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Approval:
    """The panel's content: the decision waiting, the proof, and the page's issue against it."""

    issue_id: str
    plan: ApprovalPlan
    project_file: Path

    @property
    def rejected(self) -> bool:
        return self.plan.record.state is IssueState.REJECTED

    @property
    def detail(self) -> str:
        return self.plan.record.detail

    @property
    def proof_hash(self) -> str:
        return self.plan.proof_hash

    @property
    def changes(self) -> list[str]:
        return self.plan.changes or []

    @property
    def proofed(self) -> Issue:
        return self.plan.proofed

    @property
    def audience(self) -> str:
        return self.plan.audience

    @property
    def proof_sent(self) -> str:
        return _utc(self.plan.record.proof_sent_at)

    @property
    def deadline(self) -> str:
        """When it goes out by itself unless rejected ("" when nothing sends it but an approval)."""
        record = self.plan.record
        return _utc(record.deadline) if record.deadline is not None and not self.rejected else ""


def _utc(moment: dt.datetime | None) -> str:
    return f"{moment:%Y-%m-%d %H:%M} UTC" if moment is not None else "at an unknown time"


def week_project(week: KnownWeek) -> tuple[ProjectConfig, dt.date] | None:
    """The project whose run history decides the week, and the week's date; None when there is
    no history to look in. A week from feeds with no issue folder yet is found by its project and
    date, so it has a panel before (and without) any editor's choice."""
    try:
        if week.planned is not None and week.needs_folder:
            project_file, date = week.planned.project_file, week.planned.date
        else:
            config = load_issue_config(week.folder.path)
            if config.project_file is None:
                return None
            project_file, date = config.project_file, config.issue.date
        project = load_project_config(project_file)
    except DigestError:
        return None
    if project.delivery is None or not project.delivery.has_store:
        return None
    return project, date


def _decided_where(week: KnownWeek) -> tuple[ProjectConfig, str] | None:
    where = week_project(week)
    return (where[0], issue_id_for(where[1])) if where is not None else None


def approval_for(week: KnownWeek, current: Issue | None = None) -> Approval | None:
    """Where the week's issue stands in the approval gate, compared with ``current`` (the issue
    the page shows); None when there is nothing to decide (no run proofed it, no project history,
    or the folder does not load: its page says why)."""
    where = _decided_where(week)
    if where is None:
        return None
    project, issue_id = where
    try:
        plan = plan_approval(project, issue_id).compared_with(current)
    except ApprovalError:
        return None
    except DigestError as e:  # e.g. the archive is gone: the command says the same
        log.warning("%s: no approval panel: %s", week.folder.key, e)
        return None
    if is_scheduled(plan.record):  # decided already: the Send section shows it, with its Cancel
        return None
    return Approval(issue_id, plan, project.path)


def _decidable(week: KnownWeek) -> tuple[ProjectConfig, str]:
    where = _decided_where(week)
    if where is None:
        raise ApprovalError(f"{week.folder.key}: not awaiting approval")
    return where


def approve_week(week: KnownWeek, *, by: str, proof_hash: str) -> RunResult:
    """The confirmed approval: the proof named by ``proof_hash`` goes out to the subscribers now."""
    project, issue_id = _decidable(week)
    return approve_issue(project, issue_id, by=by, proof_hash=proof_hash)


def new_proof_week(week: KnownWeek, *, proof_hash: str) -> RunResult:
    """ "Send a new proof": the issue as the week makes it now, to the editors, recorded."""
    project, issue_id = _decidable(week)
    return send_new_proof(project, issue_id, proof_hash=proof_hash)


# --- the routes ------------------------------------------------------------------------------------


class Pages(Protocol):
    """What the approval routes need from the preview app (digest/web/preview/app.py's Preview)."""

    async def week(self, key: str) -> KnownWeek: ...

    async def week_snapshot(self, week: KnownWeek) -> IssueSnapshot: ...

    def page(self, name: str, **context: Any) -> Response: ...

    def notify(self, ok: bool, message: str) -> str: ...


class ApprovalRoutes:
    """POST approve (a confirm page first, then the send) and POST new-proof. Both go through the
    app's same-origin check like every form post, and name the proof by its hash."""

    def __init__(self, pages: Pages, issue_url: Callable[..., str]) -> None:
        self.pages = pages
        self.issue_url = issue_url

    async def approve(self, request: Request) -> Response:
        """ "Approve…": without `confirm=yes`, the confirm page naming the count (nothing sent);
        with it, the proof the form names goes out to every subscriber (`digest approve`)."""
        week = await self.pages.week(request.path_params["key"])
        folder = week.folder
        form = await request.form()
        chosen = persona(str(form.get("persona", "")))
        proof_hash = str(form.get("proof", ""))
        # Off loopback the history names the logged-in user, not what the form says.
        by = asker_name() or str(form.get("by", "")).strip() or "the preview"
        if form.get("confirm") != "yes":
            snapshot = await self.pages.week_snapshot(week)
            approval = await run_in_threadpool(approval_for, week, snapshot.issue)
            if approval is None or approval.proof_hash != proof_hash:
                why = _stale(folder) if approval is not None else f"{folder.key}: not awaiting approval"
                return self._back(folder, chosen, False, f"Not sent: {why}")
            # No live reload here: reloading would post the form again.
            return self.pages.page(
                "approval_confirm.html",
                folder=folder,
                persona=chosen,
                approval=approval,
                by=by,
                reload_token="",
            )
        try:
            result = await run_in_threadpool(approve_week, week, by=by, proof_hash=proof_hash)
        except DigestError as e:
            return self._back(folder, chosen, False, f"Not sent: {e}")
        return self._back(folder, chosen, result.exit_code == 0, result.line)

    async def new_proof(self, request: Request) -> Response:
        """ "Send a new proof": the issue as the page shows it now, to the editors; its hash recorded."""
        week = await self.pages.week(request.path_params["key"])
        folder = week.folder
        form = await request.form()
        chosen = persona(str(form.get("persona", "")))
        try:
            result = await run_in_threadpool(new_proof_week, week, proof_hash=str(form.get("proof", "")))
        except DigestError as e:
            return self._back(folder, chosen, False, f"No new proof sent: {e}")
        return self._back(folder, chosen, result.exit_code == 0, result.line)

    def _back(self, folder: IssueFolder, chosen: Persona, ok: bool, message: str) -> Response:
        key = self.pages.notify(ok, message)
        url = self.issue_url(folder, persona=chosen.key, approval=key) + "#approval"
        return RedirectResponse(url, status_code=303)


def _stale(folder: IssueFolder) -> str:
    return f"{folder.key}: a newer proof went out since this page was loaded; look at it and approve again"

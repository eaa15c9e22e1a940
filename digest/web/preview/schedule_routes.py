"""The desk's Schedule: POST schedule approves a week ahead to go at its [schedule] slot (a
confirmation naming the time first), and, with `cancel=yes`, takes that back. The work is
runs/approval.py's `schedule_send` / `cancel_schedule`; off loopback the desk's guard has already
asked for a publisher and a CSRF token, and writes the audit line (who, which week, what)."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from digest.errors import DigestError
from digest.model import Issue
from digest.runs.approval import cancel_schedule, schedule_send
from digest.web.preview.approval import Pages, week_project
from digest.web.preview.desk import asker_name
from digest.web.preview.personas import Persona, persona
from digest.web.preview.sending import SendPlan, plan_send
from digest.web.preview.weeks import KnownWeek


def confirmation(
    pages: Pages, template: str, week: KnownWeek, chosen: Persona, plan: SendPlan, by: str, shown: Issue
) -> Response:
    """A send's or a schedule's confirmation page, naming what will happen (nothing is done yet).
    No live reload here: reloading would post the form again."""
    return pages.page(
        template,
        folder=week.folder,
        persona=chosen,
        plan=plan,
        by=by,
        snapshot_subject=shown.subject,
        reload_token="",
    )


class ScheduleRoutes:
    def __init__(self, pages: Pages, issue_url: Callable[..., str]) -> None:
        self.pages = pages
        self.issue_url = issue_url

    async def schedule(self, request: Request) -> Response:
        """Without `confirm=yes`: the confirmation naming when it goes (nothing recorded). With
        it: scheduled, if the issue is still the one the confirmation showed. `cancel=yes`: the
        schedule taken back."""
        week = await self.pages.week(request.path_params["key"])
        form = await request.form()
        chosen = persona(str(form.get("persona", "")))
        where = await run_in_threadpool(week_project, week)
        snapshot = await self.pages.week_snapshot(week)
        plan = await run_in_threadpool(plan_send, *where, snapshot.issue) if where else None
        if plan is None or snapshot.issue is None:
            return self._back(week, chosen.key, False, f"Not scheduled: {week.folder.key}: nothing to send")
        by = asker_name() or str(form.get("by", "")).strip() or "the preview"
        try:
            if form.get("cancel") == "yes":
                result = await run_in_threadpool(cancel_schedule, plan.project, plan.date, by=by)
            elif form.get("confirm") != "yes":
                return confirmation(
                    self.pages, "schedule_confirm.html", week, chosen, plan, by, snapshot.issue
                )
            else:
                confirmed = str(form.get("issue", ""))
                result = await run_in_threadpool(
                    lambda: schedule_send(plan.project, plan.date, by=by, confirmed_hash=confirmed)
                )
        except DigestError as e:
            return self._back(week, chosen.key, False, str(e))
        return self._back(week, chosen.key, result.exit_code == 0, result.line)

    def _back(self, week: KnownWeek, chosen: str, ok: bool, message: str) -> Response:
        key = self.pages.notify(ok, message)
        return RedirectResponse(
            self.issue_url(week.folder, persona=chosen, sent=key) + "#sending", status_code=303
        )

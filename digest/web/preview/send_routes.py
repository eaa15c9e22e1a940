"""The desk's send routes: POST send (a confirmation page first, then the send in the background)
and GET progress (the send log's figures as server-sent events while it goes); POST schedule is
schedule_routes.py's. The work is in sending.py; off loopback the desk's guard has already asked
for a publisher and a CSRF token."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace

from sse_starlette.sse import EventSourceResponse
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from digest.errors import DigestError
from digest.model import Issue
from digest.web.preview.approval import Pages, week_project
from digest.web.preview.desk import asker_name
from digest.web.preview.feedback import Notice
from digest.web.preview.personas import persona
from digest.web.preview.schedule_routes import ScheduleRoutes, confirmation
from digest.web.preview.sending import BackgroundSend, DeskSends, Progress, SendPlan, plan_send, progress_of
from digest.web.preview.weeks import KnownWeek
from digest.weekly import issue_id_for

PROGRESS_EVERY = 0.5
"""Seconds between two progress events while a send goes."""


@dataclass(frozen=True)
class SendPanel:
    """The week page's "Send" section: the next step offered, and a send under way or ended."""

    plan: SendPlan | None
    background: BackgroundSend | None
    progress: Progress | None
    notice: Notice | None = None
    running: bool = False
    """Whether the background send was going before the store was read: fixed once, so a send
    ending while the page is made cannot show its last figures as still to do."""
    """What the last post said (started, refused), once."""


class SendRoutes:
    def __init__(self, pages: Pages, issue_url: Callable[..., str], notices: dict[str, Notice]) -> None:
        self.pages = pages
        self.issue_url = issue_url
        self.notices = notices
        self.sends = DeskSends()
        self.scheduling = ScheduleRoutes(pages, issue_url)

    def routes(self, issue: str) -> list[Route]:
        """The routes under an issue's path (``issue``: the app's "/issues/{key:path}")."""
        return [
            Route(issue + "/send", self.send, methods=["POST"]),
            Route(issue + "/progress", self.progress),
            Route(issue + "/schedule", self.scheduling.schedule, methods=["POST"]),
        ]

    async def panel(self, week: KnownWeek, shown: Issue | None, notice_key: str) -> SendPanel | None:
        """The week page's section (None: nothing to show), with the notice ``notice_key`` names."""
        notice = self.notices.pop(notice_key, None)
        panel = await run_in_threadpool(self._panel, week, shown)
        if panel is None:
            return SendPanel(None, None, None, notice) if notice is not None else None
        return replace(panel, notice=notice)

    def _panel(self, week: KnownWeek, shown: Issue | None) -> SendPanel | None:
        where = week_project(week)
        if where is None:
            return None
        project, date = where
        background = self.sends.get(issue_id_for(date))
        running = background is not None and background.running
        plan = plan_send(project, date, shown)
        if plan is None and background is None:
            return None
        return SendPanel(plan, background, progress_of(project, issue_id_for(date)), running=running)

    async def send(self, request: Request) -> Response:
        """Without `confirm=yes`: the confirmation naming what will happen (nothing sent). With it:
        the send starts in the background, if the issue is still the one the confirmation showed."""
        week = await self.pages.week(request.path_params["key"])
        form = await request.form()
        chosen = persona(str(form.get("persona", "")))
        snapshot = await self.pages.week_snapshot(week)
        where = await run_in_threadpool(week_project, week)
        plan = await run_in_threadpool(plan_send, *where, snapshot.issue) if where else None
        if plan is None or snapshot.issue is None:
            nothing = f"Not sent: {week.folder.key}: nothing to send from here"
            return self._back(week, chosen.key, False, nothing)
        by = asker_name() or str(form.get("by", "")).strip() or "the preview"
        if form.get("confirm") != "yes":
            return confirmation(self.pages, "send_confirm.html", week, chosen, plan, by, snapshot.issue)
        assert snapshot.rendered is not None  # an issue that composed was rendered
        try:
            started = self.sends.start(
                plan, by=by, confirmed_hash=str(form.get("issue", "")), shown=snapshot.rendered
            )
        except DigestError as e:
            return self._back(week, chosen.key, False, f"Not sent: {e}")
        return self._back(week, chosen.key, True, f"{started.issue_id}: sending, started by {by}")

    async def progress(self, request: Request) -> Response:
        """The send log's figures as events ("progress"), then one "done" with how it ended."""
        week = await self.pages.week(request.path_params["key"])
        where = await run_in_threadpool(week_project, week)
        if where is None:
            return Response("no send to follow", status_code=404)
        project, date = where
        issue_id = issue_id_for(date)

        async def events() -> AsyncIterator[dict[str, str]]:
            while True:
                background = self.sends.get(issue_id)
                ended = background is None or not background.running  # before the read: final figures
                figures = await run_in_threadpool(progress_of, project, issue_id)
                yield {"event": "progress", "data": figures.line()}
                if ended:
                    outcome = background.outcome if background is not None else ""
                    yield {"event": "done", "data": outcome}
                    return
                await asyncio.sleep(PROGRESS_EVERY)

        return EventSourceResponse(events(), headers={"Cache-Control": "no-store"})

    def _back(self, week: KnownWeek, chosen: str, ok: bool, message: str) -> Response:
        key = self.pages.notify(ok, message)
        return RedirectResponse(
            self.issue_url(week.folder, persona=chosen, sent=key) + "#sending", status_code=303
        )

"""The desk's curation pages: "Add a story by URL" (the field on a week's page, its own page that
the bookmarklet opens with the URL filled in) and the week's inbox.

An add is always a POST from the preview's own page (never the bookmarklet's GET, which only fills
in the field), and runs `digest add`'s code in a worker thread: the page is fetched while the
server goes on answering. The inbox's "include" and "leave out" are the story buttons' own route
(`/choice`), so they write `[issue] exclude` exactly as Exclude and Include do.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from digest.clock import utc_now
from digest.compose import Composition, Reason
from digest.errors import DigestError
from digest.gather.by_url import AddedStory
from digest.model import Story
from digest.runs.add import add_to_week
from digest.settings.editor_choices import start_issue_file
from digest.web.preview.approval import Pages
from digest.web.preview.desk import asker_name
from digest.web.preview.feedback import Notice
from digest.web.preview.reload import ChangeHub
from digest.web.preview.snapshot import load_week_config
from digest.web.preview.weeks import KnownWeek

LONGEST_FIELD = 2000
"""Characters kept of a form field (a URL, a title, a note): more is not an editor typing."""


@dataclass(frozen=True, slots=True)
class InboxRow:
    """One story of the week in the inbox: what it is, where it came from, whether it is in."""

    id: str
    title: str
    url: str
    origin: str
    note: str
    when: dt.datetime | None
    in_issue: bool
    excluded: bool


def _origin(story: Story) -> str:
    if story.added is not None:
        return "added by URL" + (f" by {story.added_by}" if story.added_by else "")
    if story.source.endswith((".md", ".markdown")):
        return "story file " + Path(story.source).name
    return story.source or "story file"


def inbox_rows(composition: Composition) -> list[InboxRow]:
    """Every story of the week, newest first (when added by URL, else published; undated last)."""
    placed = [(p.story, True, False) for p in composition.placements]
    left_out = [(r.story, False, r.reason is Reason.EXCLUDED) for r in composition.left_out]
    rows = [
        InboxRow(
            id=story.id,
            title=story.title,
            url=story.url,
            origin=_origin(story),
            note=story.note,
            when=story.added or story.published,
            in_issue=in_issue,
            excluded=excluded,
        )
        for story, in_issue, excluded in [*placed, *left_out]
    ]
    oldest = dt.datetime.min.replace(tzinfo=dt.UTC)
    return sorted(rows, key=lambda row: row.when or oldest, reverse=True)


def _field(form: FormData, name: str) -> str:
    value = form.get(name, "")
    return value.strip()[:LONGEST_FIELD] if isinstance(value, str) else ""


class CurateRoutes:
    """GET and POST add, GET inbox; the app's same-origin check guards the POST like every form."""

    def __init__(
        self, pages: Pages, hub: ChangeHub, notices: dict[str, Notice], issue_url: Callable[..., str]
    ) -> None:
        self.pages = pages
        self.hub = hub
        self.notices = notices
        self.issue_url = issue_url

    def _add_page(self, request: Request, week: KnownWeek, status: int = 200, **context: object) -> Response:
        bookmarklet = (
            "javascript:location.href='"
            + str(request.base_url).rstrip("/")
            + self.issue_url(week.folder, "add")
            + "?url='+encodeURIComponent(location.href)"
        )
        # No live reload here: reloading the answer to a POST would post it again.
        context = {"notice": None, "error": "", "url": "", "title": "", "note": "", **context}
        response = self.pages.page(
            "add.html", week=week, folder=week.folder, bookmarklet=bookmarklet, reload_token="", **context
        )
        response.status_code = status
        return response

    async def add_form(self, request: Request) -> Response:
        """The add page: the field filled in from `?url=` (the bookmarklet's), nothing fetched."""
        week = await self.pages.week(request.path_params["key"])
        notice = self.notices.pop(request.query_params.get("notice", ""), None)
        url = request.query_params.get("url", "")[:LONGEST_FIELD]
        return self._add_page(request, week, url=url, notice=notice)

    async def add(self, request: Request) -> Response:
        """Fetch the page in a worker thread and write its story file; the result or why not, in words."""
        week = await self.pages.week(request.path_params["key"])
        form = await request.form()
        url, title, note = (_field(form, name) for name in ("url", "title", "note"))
        if not url:
            raise HTTPException(400, "give the URL of the story to add")
        try:
            added = await run_in_threadpool(self._add, week, url, title, note, asker_name())
        except DigestError as e:
            return self._add_page(request, week, 400, url=url, title=title, note=note, error=str(e))
        await self.hub.publish()  # open pages show the new story now, not at the watcher's next look
        message = f"Added “{added.title}” ({added.url}) to {added.path.name}."
        if added.unread:
            message += f" The page could not be read ({added.unread}), so it has the title you gave."
        key = self.pages.notify(True, message)
        return RedirectResponse(self.issue_url(week.folder, "add", notice=key), status_code=303)

    @staticmethod
    def _add(week: KnownWeek, url: str, title: str, note: str, added_by: str) -> AddedStory:
        if week.planned is not None:  # a week from feeds: its folder starts here, as a first choice's does
            week.folder.path.mkdir(parents=True, exist_ok=True)
            start_issue_file(week.folder.path, week.planned.date, week.planned.project_file)
        config = load_week_config(week.folder, None)
        return add_to_week(config, url, now=utc_now(), title=title, note=note, added_by=added_by)

    async def inbox(self, request: Request) -> Response:
        """The week's stories, added by URL and gathered from feeds together, newest first."""
        week = await self.pages.week(request.path_params["key"])
        snapshot = await self.pages.week_snapshot(week)
        rows = inbox_rows(snapshot.composition) if snapshot.composition else []
        return self.pages.page("inbox.html", week=week, folder=week.folder, snapshot=snapshot, rows=rows)

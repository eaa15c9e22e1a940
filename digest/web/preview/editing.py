"""The preview's inline editing: subject, preheader and intro, and each story's headline, teaser,
photo and section, written to issue.toml (digest/settings/issue_edits.py), and never over someone
else's newer write; and the week's one Undo history, of these edits and the story buttons' choices
alike (the last 20 steps, newest first).

Every edit form carries the version (a hash) of issue.toml it was rendered from. A write whose
version is no longer the file's changes nothing and says who changed it and when, so two editors
on the same week never overwrite each other silently.
"""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from digest.atomic import write_atomically
from digest.clock import utc_now
from digest.compose import SPONSORED_HAS_NO_SECTION
from digest.errors import DigestError
from digest.settings import ISSUE_FILE
from digest.settings.editor_choices import edit_issue_file, start_issue_file
from digest.settings.issue_edits import (
    ISSUE_FIELDS,
    STORY_FIELDS,
    issue_version,
    story_overrides,
    write_issue_field,
    write_story_field,
)
from digest.web.preview.desk import asker_name
from digest.web.preview.guards import check_story, form_persona
from digest.web.preview.personas import Persona
from digest.web.preview.snapshot import IssueSnapshot
from digest.web.preview.weeks import KnownWeek

UNDO_DEPTH = 20
"""How many steps of a week (edits and choices) Undo goes back through (the oldest is forgotten first)."""
EDIT = "edit"
CHOICE = "choice"
"""The two kinds of step: an inline edit, and a story button's choice (pin, move, exclude…)."""
ANOTHER_WINDOW = "another window"


class Pages(Protocol):
    templates: Any
    watcher: Any
    hub: Any

    async def week(self, key: str) -> KnownWeek: ...
    async def week_snapshot(self, week: KnownWeek) -> IssueSnapshot: ...
    async def answer(self, request: Request, week: KnownWeek, chosen: Persona, anchor: str) -> Response: ...
    def page(self, name: str, **context: Any) -> Response: ...


@dataclass(frozen=True, slots=True)
class Edit:
    """One step of issue.toml's history: what it said, the file's text before and after it, and
    whether it was an inline edit or a story button's choice (the Undo button says which)."""

    message: str
    before: str
    after: str
    kind: str = EDIT


@dataclass(frozen=True, slots=True)
class Writer:
    """Who last wrote a week's issue.toml through the preview, and when (for the conflict message)."""

    version: str
    name: str
    at: dt.datetime


def _file_text(folder: Path) -> str:
    return (folder / ISSUE_FILE).read_text(encoding="utf-8")


class EditRoutes:
    """POST edit (one form's fields, one undo step) and POST undo (the week's last step of 20,
    an edit or a choice; `undo-edit` is the same route under its first name)."""

    def __init__(self, pages: Pages, issue_url: Callable[..., str]) -> None:
        self.pages = pages
        self.issue_url = issue_url
        self.history: dict[str, deque[Edit]] = {}
        self.writers: dict[str, Writer] = {}
        # The pages print the version their forms carry and the Undo they offer.
        pages.templates.globals.update(
            issue_version=issue_version, story_overrides=story_overrides, last_edit=self.last_edit
        )

    def routes(self, issue: str) -> list[Route]:
        return [
            Route(issue + "/edit", self.edit, methods=["POST"]),
            Route(issue + "/undo", self.undo, methods=["POST"]),
            Route(issue + "/undo-edit", self.undo, methods=["POST"]),
        ]

    def last_edit(self, key: str, folder: Path) -> tuple[Edit, int] | None:
        """The step Undo would take back, and how many are kept, while the file still holds it."""
        edits = self.history.get(key)
        if not edits:
            return None
        try:
            current = _file_text(folder)
        except OSError:
            return None
        return (edits[-1], len(edits)) if edits[-1].after == current else None

    def conflict(self, request: Request, week: KnownWeek, version: str) -> Response | None:
        """The refusal for a form rendered from an older issue.toml; None when it is current."""
        current = issue_version(week.folder.path)
        if version == current:
            return None
        writer = self.writers.get(week.folder.key)
        if writer is not None and writer.version == current:
            name, at = writer.name, writer.at
        else:
            name = ANOTHER_WINDOW
            path = week.folder.path / ISSUE_FILE
            at = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC) if path.exists() else utc_now()
        message = (
            f"Not saved: {week.folder.key}/issue.toml was changed by {name} at "
            f"{at:%H:%M:%S} UTC after this page was shown. Reload the page and make your edit again."
        )
        response = self.pages.page(
            "error.html",
            status=409,
            title="Changed by someone else",
            message=message,
            back=self.issue_url(week.folder),
        )
        response.status_code = 409
        return response

    async def edit(self, request: Request) -> Response:
        """One edit form: the issue's wording, or one story's ([stories.<id>] in issue.toml)."""
        week = await self.pages.week(request.path_params["key"])
        form = await request.form()
        chosen = form_persona(request, form)
        story = str(form.get("story", "")).strip()
        snapshot = await self.pages.week_snapshot(week)
        if story:
            check_story(snapshot, story)
        refused = self.conflict(request, week, str(form.get("version", "")))
        if refused is not None:
            return refused
        row = next((row for row in snapshot.stories if row.id == story), None)
        title = row.title if row else story
        # The headline and section fields show the story's as they stand: sent back unchanged,
        # they are not the editor's wording and are not written as an override.
        shown = {"title": title, "section": row.section} if row else {}
        if row is not None and row.kind == "sponsored" and "section" in form:
            raise HTTPException(400, f"not saved: Section: {SPONSORED_HAS_NO_SECTION}")
        change = _change_for(form, story, unchanged=shown)
        message = f"Edited: {title}" if story else "Edited the subject, preheader and intro"
        await self.write(week, change, message)
        return await self.pages.answer(request, week, chosen, f"#story-{story}" if story else "#edit-issue")

    async def undo(self, request: Request) -> Response:
        """Undo the week's last step, an edit or a choice: issue.toml as it was before it, if it
        still holds the step, and if the page's Undo was shown from the file as it is now."""
        week = await self.pages.week(request.path_params["key"])
        form = await request.form()
        chosen = form_persona(request, form)
        if "version" in form:
            refused = self.conflict(request, week, str(form["version"]))
            if refused is not None:
                return refused
        last = self.last_edit(week.folder.key, week.folder.path)
        if last is None:
            raise HTTPException(400, "nothing to undo: issue.toml has changed since the last edit")
        edit = self.history[week.folder.key].pop()
        mode = (week.folder.path / ISSUE_FILE).stat().st_mode & 0o7777
        await run_in_threadpool(
            write_atomically, week.folder.path / ISSUE_FILE, edit.before.encode(), mode=mode
        )
        await self.told(week)
        return await self.pages.answer(request, week, chosen, "#stories")

    async def write(
        self, week: KnownWeek, change: Callable[[str], str], message: str, kind: str = EDIT
    ) -> None:
        """Apply CHANGE to the week's issue.toml (created first for a week from feeds) as one
        step of its Undo history; a change that changes nothing is no step."""
        folder = week.folder.path
        try:
            if week.planned is not None:
                planned = week.planned
                await run_in_threadpool(start_issue_file, folder, planned.date, planned.project_file)
            before = await run_in_threadpool(_file_text, folder)
            changed = await run_in_threadpool(edit_issue_file, folder, change)
        except DigestError as e:
            raise HTTPException(400, f"not saved: {e}") from None
        if not changed:
            return
        after = await run_in_threadpool(_file_text, folder)
        self.history.setdefault(week.folder.key, deque(maxlen=UNDO_DEPTH)).append(
            Edit(message, before, after, kind)
        )
        await self.told(week)

    async def told(self, week: KnownWeek) -> None:
        """Remember who wrote the file now, and tell open pages at once (the watcher's echo of
        this write is then not a second reload)."""
        name = asker_name() or ANOTHER_WINDOW
        self.writers[week.folder.key] = Writer(issue_version(week.folder.path), name, utc_now())
        if self.pages.watcher is not None:
            self.pages.watcher.expect([week.folder.path / ISSUE_FILE])
        await self.pages.hub.publish()


def _change_for(form: FormData, story: str, unchanged: dict[str, str]) -> Callable[[str], str]:
    """The edit to issue.toml's text for the fields the form sent (the others stay as they are)."""
    fields = STORY_FIELDS if story else ISSUE_FIELDS
    sent = {key: str(form[key]) for key in fields if key in form}
    if not sent:
        raise HTTPException(400, "the form sent nothing to edit")
    sent = {key: value for key, value in sent.items() if unchanged.get(key) != value.strip()}

    def change(source: str) -> str:
        for key, value in sent.items():
            source = (
                write_story_field(source, story, key, value)
                if story
                else write_issue_field(source, key, value)
            )
        return source

    return change

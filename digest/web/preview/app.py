"""`digest preview`: the editors' web app. Routes only; the work is in the modules beside it."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import secrets
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from urllib.parse import quote, urlencode

import anyio
import jinja2
from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from digest.errors import DigestError
from digest.pipeline import send_proof_loaded
from digest.settings.editor_choices import write_choices
from digest.settings.project import IssueFolder, find_issue_folders
from digest.web.preview.actions import PAST_TENSE, Action, choose
from digest.web.preview.approval import ApprovalRoutes, approval_for
from digest.web.preview.curate import CurateRoutes
from digest.web.preview.desk import DeskGate, LoginRoutes, asker_name, csrf_field, may
from digest.web.preview.desk_guard import DeskGuard
from digest.web.preview.editing import CHOICE, EditRoutes
from digest.web.preview.feedback import Notice, sort_addresses
from digest.web.preview.guards import SameOriginPosts, check_story, form_persona
from digest.web.preview.listing import WeekRow
from digest.web.preview.personas import PERSONAS, Persona, persona
from digest.web.preview.reload import ChangeHub, FileWatcher
from digest.web.preview.send_routes import SendRoutes
from digest.web.preview.snapshot import IssueSnapshot, SnapshotCache, load_week_config, watched_paths
from digest.web.preview.users import UserRoutes
from digest.web.preview.weeks import KnownWeek, known_weeks
from digest.web.templating import page_templates

HERE = Path(__file__).resolve().parent
PERSONA_KEYS = frozenset(p.key for p in PERSONAS)
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")

# The app's own pages: scripts only from our static folder. Email frames inherit this policy
# (srcdoc), so a <script> that slipped into an email could not run even without the sandbox.
PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' https: http: data:; connect-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'; object-src 'none'"
)
# The email opened on its own: a sandboxed document that may show images and styles, nothing else.
EMAIL_POLICY = (
    "sandbox allow-popups; default-src 'none'; img-src https: http: data:; style-src 'unsafe-inline'"
)
NO_STORE = {"Cache-Control": "no-store"}
PART_HEADER = "x-preview-part"
"""Sent by preview.js with a story button: answer with the story list, not a redirect."""

_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def _environment() -> jinja2.Environment:
    environment = page_templates(HERE / "templates")
    # One way for every form to carry the CSRF token, and for pages to leave out what a role may not do.
    environment.globals.update(csrf_field=csrf_field, may=may, asker_name=asker_name)
    return environment


def issue_url(folder: IssueFolder, suffix: str = "", **query: str) -> str:
    url = f"/issues/{quote(folder.key)}/{suffix}"
    return f"{url}?{urlencode(query)}" if query else url


def framed_email(html: str) -> str:
    """The email for a preview frame: links open in a new tab instead of inside the frame."""
    match = _HEAD.search(html)
    if match is None:
        return html
    return html[: match.end()] + '<base target="_blank">' + html[match.end() :]


class Preview:
    """The app's state: which project it shows, rendered snapshots, and the live-reload hub."""

    def __init__(self, root: Path, *, watch: bool = True, desk: DeskGate | None = None) -> None:
        self.root = root.resolve()
        self.desk = desk
        self.cache = SnapshotCache()
        self.hub = ChangeHub()
        self.watcher = FileWatcher(self.hub) if watch else None
        self.templates = _environment()
        # One-time messages for the page a form redirects to ("proof sent to ...").
        self.notices: dict[str, Notice] = {}
        # One history per week of the story buttons' choices and the inline edits, for Undo.
        self.editing = EditRoutes(self, issue_url)
        self.sending = SendRoutes(self, issue_url, self.notices)

    def folders(self) -> list[IssueFolder]:
        return find_issue_folders(self.root)

    def weeks(self, folder_dates: dict[Path, dt.date] | None = None) -> list[KnownWeek]:
        return known_weeks(self.root, folder_dates or {})

    def _find(self, key: str, folder_dates: dict[Path, dt.date] | None = None) -> KnownWeek:
        # Only weeks found under the project are served: a key is never used as a path.
        for week in self.weeks(folder_dates):
            if week.folder.key == key:
                return week
        raise HTTPException(404, f"no issue {key!r} under {self.root}")

    async def week(self, key: str) -> KnownWeek:
        return await run_in_threadpool(self._find, key)

    async def week_with_state(self, week: KnownWeek, snapshot: IssueSnapshot) -> KnownWeek:
        """The week with its run history, now that its date is known (from its settings)."""
        if snapshot.settings is None:
            return week
        dates = {week.folder.path: snapshot.settings.date}
        return await run_in_threadpool(self._find, week.folder.key, dates)

    def folder(self, key: str) -> IssueFolder:
        return self._find(key).folder

    async def week_snapshot(self, week: KnownWeek) -> IssueSnapshot:
        snapshot = await run_in_threadpool(self.cache.get, week.folder, week.planned)
        if self.watcher is not None:
            self.watcher.follow(snapshot.watched)
        return snapshot

    def page(self, name: str, **context) -> HTMLResponse:
        if "folder" in context:  # an issue's page: its week, when not given
            context.setdefault("week", KnownWeek(context["folder"]))
        defaults = {"reload_token": self.hub.token, "issue_url": issue_url, "personas": PERSONAS}
        html = self.templates.get_template(name).render({**defaults, **context})
        return HTMLResponse(html, headers={"Content-Security-Policy": PAGE_POLICY, **NO_STORE})

    async def error_page(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        titles = {400: "That did not work", 404: "Not found", 409: "This issue does not render"}
        response = self.page(
            "error.html",
            status=exc.status_code,
            title=titles.get(exc.status_code, "Error"),
            message=exc.detail,
            back=self.back_link(request),
        )
        response.status_code = exc.status_code
        return response

    def notify(self, ok: bool, message: str) -> str:
        """Keep a one-time message for the page a form redirects to; its key goes in the URL."""
        key = secrets.token_urlsafe(8)
        self.notices[key] = Notice(ok, message)
        return key

    def back_link(self, request: Request) -> str:
        """The error page's "Back": the issue the route names, else the list. Never a request
        header: a same-host Referer can still say `//evil.example/x`, another host to a browser."""
        key = request.path_params.get("key")
        # The persona the editor was previewing as, from the form that failed (kept by the route).
        chosen = getattr(request.state, "persona", "") or request.query_params.get("persona", "")
        query = {"persona": chosen} if chosen in PERSONA_KEYS else {}
        try:
            return issue_url(self.folder(key), **query) if key else "/"
        except HTTPException:  # no such issue: that is the error being shown
            return "/"

    # ---- routes ----

    async def issue_list(self, request: Request) -> Response:
        folders = await run_in_threadpool(self.folders)
        snapshots = {folder.path: await self.week_snapshot(KnownWeek(folder)) for folder in folders}
        dates = {path: s.settings.date for path, s in snapshots.items() if s.settings is not None}
        weeks = await run_in_threadpool(self.weeks, dates)
        rows = sorted(
            (WeekRow(week, snapshots.get(week.folder.path)) for week in weeks), key=WeekRow.sort_key
        )
        return self.page("list.html", root=self.root, rows=rows)

    async def issue_page(self, request: Request) -> Response:
        week = await self.week(request.path_params["key"])
        snapshot = await self.week_snapshot(week)
        week = await self.week_with_state(week, snapshot)
        folder = week.folder
        chosen = persona(request.query_params.get("persona"))
        copy = snapshot.for_recipient(chosen.name, chosen.address)
        return self.page(
            "issue.html",
            snapshot=snapshot,
            week=week,
            folder=folder,
            persona=chosen,
            copy=copy,
            email_html=framed_email(copy.html) if copy else "",
            notice=self.notices.pop(request.query_params.get("notice", ""), None),
            proof_to=request.query_params.get("to", ""),
            approval=await run_in_threadpool(approval_for, week, snapshot.issue),
            approval_notice=self.notices.pop(request.query_params.get("approval", ""), None),
            sending=await self.sending.panel(week, snapshot.issue, request.query_params.get("sent", "")),
            audit=await run_in_threadpool(self.desk.audit, folder.key) if self.desk else [],
        )

    async def persona_copy(self, request: Request):
        snapshot = await self.week_snapshot(await self.week(request.path_params["key"]))
        chosen = persona(request.query_params.get("persona"))
        copy = snapshot.for_recipient(chosen.name, chosen.address)
        if copy is None:
            raise HTTPException(409, "this issue does not render; its page says why")
        return copy

    async def email_html(self, request: Request) -> Response:
        copy = await self.persona_copy(request)
        headers = {"Content-Security-Policy": EMAIL_POLICY, **NO_STORE}
        return HTMLResponse(copy.html, headers=headers)

    async def email_text(self, request: Request) -> Response:
        copy = await self.persona_copy(request)
        return PlainTextResponse(copy.text, headers=NO_STORE)

    async def send_proof(self, request: Request) -> Response:
        """ "Send proof": `[PROOF]` copies to the addresses given, through the configured SMTP."""
        week = await self.week(request.path_params["key"])
        folder = week.folder
        form = await request.form()
        chosen = form_persona(request, form)
        raw = str(form.get("to", ""))
        addresses, refused = sort_addresses(raw)
        if not addresses and not refused:
            raise HTTPException(400, "give at least one address to send the proof to")
        if not addresses:
            raise HTTPException(400, "the proof was not sent: " + "; ".join(refused))
        try:
            config = await run_in_threadpool(load_week_config, folder, week.planned)
            report = await run_in_threadpool(send_proof_loaded, config, addresses)
        except DigestError as e:
            raise HTTPException(400, f"the proof was not sent: {e}") from None
        notice = Notice.of_proof(report, addresses, refused)
        key = secrets.token_urlsafe(8)
        self.notices[key] = notice
        return RedirectResponse(
            issue_url(folder, persona=chosen.key, notice=key, to=raw) + "#proof", status_code=303
        )

    async def choose(self, request: Request) -> Response:
        """A story button (pin, unpin, move, exclude, include) to issue.toml, made for a feed week."""
        week = await self.week(request.path_params["key"])
        form = await request.form()
        chosen = form_persona(request, form)
        story = str(form.get("story", "")).strip()
        try:
            action = Action(str(form.get("action", "")))
        except ValueError:
            raise HTTPException(400, f"unknown action {form.get('action')!r}") from None
        snapshot = await self.week_snapshot(week)
        check_story(snapshot, story)
        assert snapshot.settings is not None  # a week whose settings do not load has no stories
        try:
            after = choose(snapshot.settings, snapshot.composition, action, story, str(form.get("steps", "")))
        except DigestError as e:
            raise HTTPException(400, str(e)) from None
        title = next((row.title for row in snapshot.stories if row.id == story), story)
        message = f"{PAST_TENSE[action]}: {title}"
        await self.editing.write(week, lambda source: write_choices(source, after), message, kind=CHOICE)
        if form.get("back") == "inbox":  # the inbox's include / leave out: back to the inbox
            return RedirectResponse(issue_url(week.folder, "inbox") + f"#story-{story}", status_code=303)
        return await self.answer(request, week, chosen, f"#story-{story}")

    async def answer(self, request: Request, week: KnownWeek, chosen: Persona, anchor: str) -> Response:
        """After a story button: the page again (a form post), or, for the page's script, the story
        list at once from the composed week (the frames are rendered when the page asks next)."""
        if request.headers.get(PART_HEADER) == "stories":
            composed = await run_in_threadpool(self.cache.composed, week.folder, week.planned)
            if composed is not None:
                return self.page(
                    "stories.html", snapshot=composed, week=week, folder=week.folder, persona=chosen
                )
        return RedirectResponse(issue_url(week.folder, persona=chosen.key) + anchor, status_code=303)

    async def events(self, request: Request) -> Response:
        since = request.query_params.get("since", "")
        stopping = anyio.Event()  # set by sse-starlette when the server shuts down
        return EventSourceResponse(
            self.hub.stream(since, stopping),
            ping=10,
            headers=NO_STORE,
            shutdown_event=stopping,
            shutdown_grace_period=1,
        )

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncIterator[None]:
        if self.watcher is None:
            yield
            return
        # Everything known now is watched from the start; later pages only add what is new.
        self.watcher.follow(path for folder in self.folders() for path in watched_paths(folder))
        task = asyncio.create_task(self.watcher.run())
        try:
            yield
        finally:
            self.watcher.stop()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.wait_for(task, timeout=5)


def create_preview_app(
    root: Path,
    *,
    allowed_hosts: Sequence[str] | None = LOOPBACK_HOSTS,
    watch: bool = True,
    desk: DeskGate | None = None,
) -> Starlette:
    """The preview app for the issues under `root`.

    `allowed_hosts` guards against DNS rebinding while bound to loopback; None allows any host.
    `desk` (off loopback): every request needs a user, every post a CSRF token and a role.
    """
    preview = Preview(root, watch=watch, desk=desk)
    approval = ApprovalRoutes(preview, issue_url)
    curate = CurateRoutes(preview, preview.hub, preview.notices, issue_url)
    issue = "/issues/{key:path}"
    routes = [
        Route("/", preview.issue_list, name="issues"),
        Route("/events", preview.events),
        Route(issue + "/email.html", preview.email_html),
        Route(issue + "/email.txt", preview.email_text),
        Route(issue + "/choice", preview.choose, methods=["POST"]),
        *preview.editing.routes(issue),
        Route(issue + "/proof", preview.send_proof, methods=["POST"]),
        Route(issue + "/approve", approval.approve, methods=["POST"]),
        Route(issue + "/new-proof", approval.new_proof, methods=["POST"]),
        *preview.sending.routes(issue),
        Route(issue + "/add", curate.add_form, methods=["GET"]),
        Route(issue + "/add", curate.add, methods=["POST"]),
        Route(issue + "/inbox", curate.inbox),
        Route(issue + "/", preview.issue_page),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(SameOriginPosts)]
    if desk is not None:
        routes[:0] = [*LoginRoutes(desk, preview).routes(), *UserRoutes(desk, preview).routes()]
        middleware.append(Middleware(DeskGuard, gate=desk))
    if allowed_hosts is not None:
        middleware.insert(0, Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)))
    app = Starlette(
        routes=routes,
        middleware=middleware,
        lifespan=preview.lifespan,
        exception_handlers={HTTPException: preview.error_page},
    )
    app.state.preview = preview
    return app

"""`digest preview`: the editors' web app. Routes only; the work is in the modules beside it."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlencode, urlsplit

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
from starlette.types import ASGIApp, Receive, Scope, Send

from digest.deliver.pool import SendReport
from digest.errors import DigestError
from digest.gather import story_files
from digest.pipeline import send_proof_folder
from digest.settings import STORIES_DIR
from digest.settings.project import IssueFolder, find_issue_folders
from digest.web.preview.actions import Action, apply_action
from digest.web.preview.approval import ApprovalRoutes, approval_for
from digest.web.preview.personas import PERSONAS, Persona, persona
from digest.web.preview.reload import ChangeHub, FileWatcher
from digest.web.preview.snapshot import IssueSnapshot, SnapshotCache, watched_paths
from digest.web.templating import page_templates

HERE = Path(__file__).resolve().parent
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

_HEAD = re.compile(r"<head\b[^>]*>", re.IGNORECASE)


def _environment() -> jinja2.Environment:
    return page_templates(HERE / "templates")


def issue_url(folder: IssueFolder, suffix: str = "", **query: str) -> str:
    url = f"/issues/{quote(folder.key)}/{suffix}"
    return f"{url}?{urlencode(query)}" if query else url


def framed_email(html: str) -> str:
    """The email for a preview frame: links open in a new tab instead of inside the frame."""
    match = _HEAD.search(html)
    if match is None:
        return html
    return html[: match.end()] + '<base target="_blank">' + html[match.end() :]


class SameOriginPosts:
    """Refuses form posts from other sites: a page elsewhere must not be able to edit issue.toml."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] not in ("GET", "HEAD", "OPTIONS"):
            request = Request(scope)
            origin = request.headers.get("origin")
            fetch_site = request.headers.get("sec-fetch-site")
            own = urlsplit(str(request.base_url)).netloc
            if (origin is not None and urlsplit(origin).netloc != own) or fetch_site in (
                "cross-site",
                "same-site",
            ):
                await PlainTextResponse("cross-site request refused", status_code=403)(scope, receive, send)
                return
        await self.app(scope, receive, send)


class Preview:
    """The app's state: which project it shows, rendered snapshots, and the live-reload hub."""

    def __init__(self, root: Path, *, watch: bool = True) -> None:
        self.root = root.resolve()
        self.cache = SnapshotCache()
        self.hub = ChangeHub()
        self.watcher = FileWatcher(self.hub) if watch else None
        self.templates = _environment()
        # One-time messages for the page a form redirects to ("proof sent to ...").
        self.notices: dict[str, Notice] = {}

    def folders(self) -> list[IssueFolder]:
        return find_issue_folders(self.root)

    def folder(self, key: str) -> IssueFolder:
        # Only folders found under the project are served: a key is never used as a path.
        for folder in self.folders():
            if folder.key == key:
                return folder
        raise HTTPException(404, f"no issue {key!r} under {self.root}")

    async def snapshot(self, folder: IssueFolder) -> IssueSnapshot:
        snapshot = await run_in_threadpool(self.cache.get, folder)
        if self.watcher is not None:
            self.watcher.follow(snapshot.watched)
        return snapshot

    def page(self, name: str, **context) -> HTMLResponse:
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
        try:
            return issue_url(self.folder(key)) if key else "/"
        except HTTPException:  # no such issue: that is the error being shown
            return "/"

    # ---- routes ----

    async def issue_list(self, request: Request) -> Response:
        folders = await run_in_threadpool(self.folders)
        snapshots = [await self.snapshot(folder) for folder in folders]
        snapshots.sort(key=_newest_first)
        return self.page("list.html", root=self.root, snapshots=snapshots)

    async def issue_page(self, request: Request) -> Response:
        folder = self.folder(request.path_params["key"])
        snapshot = await self.snapshot(folder)
        chosen = persona(request.query_params.get("persona"))
        copy = snapshot.for_recipient(chosen.name, chosen.address)
        return self.page(
            "issue.html",
            snapshot=snapshot,
            folder=folder,
            persona=chosen,
            copy=copy,
            email_html=framed_email(copy.html) if copy else "",
            notice=self.notices.pop(request.query_params.get("notice", ""), None),
            proof_to=request.query_params.get("to", ""),
            approval=await run_in_threadpool(approval_for, folder.path, snapshot.issue),
            approval_notice=self.notices.pop(request.query_params.get("approval", ""), None),
        )

    async def persona_copy(self, request: Request):
        snapshot = await self.snapshot(self.folder(request.path_params["key"]))
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
        folder = self.folder(request.path_params["key"])
        form = await request.form()
        raw = str(form.get("to", ""))
        addresses = proof_addresses(raw)
        if not addresses:
            raise HTTPException(400, "give at least one address to send the proof to")
        try:
            report = await run_in_threadpool(send_proof_folder, folder.path, addresses)
        except DigestError as e:
            raise HTTPException(400, f"the proof was not sent: {e}") from None
        notice = Notice.of_proof(report, addresses)
        key = secrets.token_urlsafe(8)
        self.notices[key] = notice
        chosen = persona(str(form.get("persona", "")))
        return RedirectResponse(
            issue_url(folder, persona=chosen.key, notice=key, to=raw) + "#proof", status_code=303
        )

    async def choose(self, request: Request) -> Response:
        """A story button: pin, unpin, move up/down, exclude or include, written to issue.toml."""
        folder = self.folder(request.path_params["key"])
        form = await request.form()
        story = str(form.get("story", "")).strip()
        chosen: Persona = persona(str(form.get("persona", "")))
        try:
            action = Action(str(form.get("action", "")))
        except ValueError:
            raise HTTPException(400, f"unknown action {form.get('action')!r}") from None
        if story not in story_ids(folder.path):
            raise HTTPException(400, f"no story {story!r} in {folder.path / STORIES_DIR}")
        await self.edit(apply_action, folder.path, action, story)
        return RedirectResponse(issue_url(folder, persona=chosen.key) + f"#story-{story}", status_code=303)

    async def edit(self, write: Callable[..., bool], *args: object) -> None:
        """Write an editor's choice, then wait (briefly) for the watcher to see it: the page we
        redirect to is then rendered after the change and is not told to reload a second time."""
        before = self.hub.token
        try:
            changed = await run_in_threadpool(write, *args)
        except DigestError as e:
            raise HTTPException(400, str(e)) from None
        if changed and self.watcher is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.hub.wait_past(before), timeout=1.0)

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


@dataclass(frozen=True, slots=True)
class Notice:
    ok: bool
    message: str
    details: tuple[str, ...] = ()

    @classmethod
    def of_proof(cls, report: SendReport, addresses: list[str]) -> Notice:
        problems = [f"{address}: {reply}" for address, reply in (*report.failed, *report.deferred)]
        problems += [f"{address}: no answer after the message was sent" for address in report.uncertain]
        if report.error:
            problems.append(report.error)
        if report.sent == len(addresses) and not problems:
            return cls(True, f"Proof sent to {', '.join(addresses)}.")
        return cls(False, f"Proof sent to {report.sent} of {len(addresses)} addresses.", tuple(problems))


def proof_addresses(raw: str) -> list[str]:
    """Addresses from the form: separated by commas, semicolons or line breaks."""
    return [part.strip() for part in re.split(r"[,;\n]", raw) if part.strip()]


def story_ids(folder: Path) -> set[str]:
    return {path.stem for path in story_files(folder / STORIES_DIR)}


def _newest_first(snapshot: IssueSnapshot) -> tuple:
    date = snapshot.settings.date.toordinal() if snapshot.settings else 0
    return (-date, snapshot.folder.key)


def create_preview_app(
    root: Path, *, allowed_hosts: Sequence[str] | None = LOOPBACK_HOSTS, watch: bool = True
) -> Starlette:
    """The preview app for the issues under `root`.

    `allowed_hosts` guards against DNS rebinding while bound to loopback; None allows any host.
    """
    preview = Preview(root, watch=watch)
    approval = ApprovalRoutes(preview, issue_url)
    issue = "/issues/{key:path}"
    routes = [
        Route("/", preview.issue_list, name="issues"),
        Route("/events", preview.events),
        Route(issue + "/email.html", preview.email_html),
        Route(issue + "/email.txt", preview.email_text),
        Route(issue + "/choice", preview.choose, methods=["POST"]),
        Route(issue + "/proof", preview.send_proof, methods=["POST"]),
        Route(issue + "/approve", approval.approve, methods=["POST"]),
        Route(issue + "/new-proof", approval.new_proof, methods=["POST"]),
        Route(issue + "/", preview.issue_page),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    middleware = [Middleware(SameOriginPosts)]
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

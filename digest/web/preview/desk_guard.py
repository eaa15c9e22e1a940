"""`DeskGuard`: the one middleware in front of every route of a desk (the preview off loopback).

Every request needs a user (a login, or a trusted proxy's header); every state-changing request,
whatever route it is for (including routes added later), needs the user's CSRF token and the role
its action asks for, and leaves a line in the audit log when it succeeds."""

from __future__ import annotations

import hmac
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, Headers
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from digest.web.preview.desk import ASKER, COOKIE, CSRF_FIELD, CSRF_HEADER, Asker, DeskGate

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
OPEN_PATHS = ("/login",)
PUBLISHER_ACTIONS = frozenset({"approve", "new-proof", "send", "schedule"})
"""The last path segment of the posts only publishers (and admins) may make; any other post,
including routes this module has never heard of, is an editor's."""
MAX_BODY = 4 * 1024 * 1024
AUDITED_FIELDS = ("action", "story", "url", "confirm", "cancel", "user", "role")


def required_role(path: str) -> str:
    if path.startswith("/users"):
        return "admin"
    return "publisher" if path.rstrip("/").rsplit("/", 1)[-1] in PUBLISHER_ACTIONS else "editor"


def _where(path: str) -> tuple[str, str]:
    """(action, week) of a post's path: /issues/KEY/ACTION names a week, anything else does not."""
    head, _, action = path.rstrip("/").rpartition("/")
    week = head.removeprefix("/issues/") if head.startswith("/issues/") else ""
    return action, week


class DeskGuard:
    def __init__(self, app: ASGIApp, gate: DeskGate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith("/static/"):
            await self.app(scope, receive, send)
            return
        asker, refusal = await self._asker(scope)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if asker is None:  # the login page itself (users mode)
            await self.app(scope, receive, send)
            return
        reset = ASKER.set(asker)
        try:
            if scope["method"] in SAFE_METHODS:
                await self.app(scope, receive, send)
            else:
                await self._change(scope, receive, send, asker)
        finally:
            ASKER.reset(reset)

    async def _asker(self, scope: Scope) -> tuple[Asker | None, Response | None]:
        headers = Headers(scope=scope)
        if self.gate.proxy:
            peer = scope["client"][0] if scope.get("client") else ""
            name = headers.get(self.gate.settings.proxy_header, "").strip()
            if not self.gate.settings.trusts(peer):
                return None, PlainTextResponse("refused: this desk is reached through its proxy", 403)
            if not name:
                return None, PlainTextResponse(
                    f"refused: the proxy sent no {self.gate.settings.proxy_header}", 403
                )
            return await run_in_threadpool(self.gate.proxy_user, name), None
        token = Request(scope).cookies.get(COOKIE, "")
        asker = await run_in_threadpool(self.gate.session, token) if token else None
        if asker is not None or scope["path"] in OPEN_PATHS:
            return asker, None
        if scope["method"] in SAFE_METHODS:
            query = scope.get("query_string", b"").decode("latin-1")
            target = scope["path"] + (f"?{query}" if query else "")
            return None, RedirectResponse("/login?next=" + quote(target, safe=""), status_code=303)
        return None, PlainTextResponse("log in first: your session has ended", 403)

    async def _change(self, scope: Scope, receive: Receive, send: Send, asker: Asker) -> None:
        body = await _body(receive)
        if body is None:
            await PlainTextResponse("request body too large", 413)(scope, receive, send)
            return
        form = await Request(scope, _replay(body, receive)).form()
        sent = Headers(scope=scope).get(CSRF_HEADER) or str(form.get(CSRF_FIELD, ""))
        if not hmac.compare_digest(sent.encode(), asker.csrf.encode()):
            refused = "missing or wrong CSRF token: reload the page and try again"
            await PlainTextResponse(refused, 403)(scope, receive, send)
            return
        role = required_role(scope["path"])
        if not asker.user.may(role):
            refused = f"refused: this needs the {role} role; {asker.user.name} has the {asker.user.role} role"
            await PlainTextResponse(refused, 403)(scope, receive, send)
            return
        status = 500

        async def watched(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        await self.app(scope, _replay(body, receive), watched)
        if status < 400:
            action, week = _where(scope["path"])
            await run_in_threadpool(self.gate.record, asker.user.name, action, week, _detail(form))


def _detail(form: FormData) -> str:
    return "; ".join(f"{key}={form[key]}" for key in AUDITED_FIELDS if str(form.get(key, "")))[:500]


async def _body(receive: Receive) -> bytes | None:
    """The whole request body, or None past MAX_BODY."""
    chunks: list[bytes] = []
    size, more = 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A receive that hands `body` over once, then waits on the real one (for a disconnect)."""
    sent = False

    async def replayed() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replayed

"""The preview as a team's desk (any host but loopback): who is asking (a login kept in the store,
or a trusted proxy's header), their CSRF token, and the login and logout pages.

The request's desk user lives in a context variable set by `DeskGuard` (desk_guard.py), so the
templates' `csrf_field()` and `may(role)` need nothing passed through each route."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from digest.errors import ConfigError
from digest.settings import load_delivery_settings
from digest.settings.desk import DeskSettings, load_desk_settings
from digest.store import Store, open_store
from digest.store.desk import (
    AuditEntry,
    DeskUser,
    audit_entries,
    check_password,
    end_session,
    find_user,
    list_users,
    record_action,
    session_of,
    start_session,
)
from digest.web.site.signup_guard import RateLimits

COOKIE = "digest_desk"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
LOGIN_PER_USER_PER_HOUR = 10
LOGIN_PER_IP_PER_HOUR = 30
AUDIT_ON_PAGE = 8


@dataclass(frozen=True, slots=True)
class Asker:
    """Who a request is from, and the token its state-changing requests must carry."""

    user: DeskUser
    csrf: str
    token: str = ""
    """The login cookie's token (users mode), for logout."""


ASKER: ContextVar[Asker | None] = ContextVar("desk_asker", default=None)


def csrf_field() -> Markup:
    """The hidden CSRF field every form prints (nothing on loopback, where nobody logs in)."""
    asker = ASKER.get()
    if asker is None:
        return Markup("")
    return Markup('<input type="hidden" name="{}" value="{}">').format(CSRF_FIELD, escape(asker.csrf))


def may(role: str) -> bool:
    """Whether the asker may do what `role` may (on loopback: the one person may do everything)."""
    asker = ASKER.get()
    return asker is None or asker.user.may(role)


def asker_name() -> str:
    asker = ASKER.get()
    return asker.user.name if asker is not None else ""


class Pages(Protocol):
    def page(self, name: str, **context: Any) -> Response: ...


class DeskGate:
    """The desk's rules for one app: [desk] settings, the store of users, sessions and the audit log,
    and the login rate limits (in memory, per IP and per name: a restart forgets them)."""

    def __init__(self, settings: DeskSettings, store: Store) -> None:
        self.settings = settings
        self.store = store
        self.per_user = RateLimits(LOGIN_PER_USER_PER_HOUR)
        self.per_ip = RateLimits(LOGIN_PER_IP_PER_HOUR)
        # Proxy users have no session row: their CSRF token is keyed by name with this process's key.
        self.key = secrets.token_bytes(32)

    @property
    def proxy(self) -> bool:
        return self.settings.auth == "proxy"

    def session(self, token: str) -> Asker | None:
        found = session_of(
            self.store,
            token,
            idle=dt.timedelta(minutes=self.settings.session_idle_minutes),
            longest=dt.timedelta(hours=self.settings.session_hours),
        )
        return Asker(found.user, found.csrf, token) if found is not None else None

    def proxy_user(self, name: str) -> Asker:
        known = find_user(self.store, name)
        user = known if known is not None else DeskUser(name, self.settings.proxy_role)
        csrf = hmac.new(self.key, name.encode(), hashlib.sha256).hexdigest()
        return Asker(user, csrf)

    def record(self, who: str, action: str, week: str = "", detail: str = "") -> None:
        record_action(self.store, who, action, week, detail)

    def audit(self, week: str) -> list[AuditEntry]:
        return audit_entries(self.store, week=week, limit=AUDIT_ON_PAGE)


def _next(target: str) -> str:
    """Where to go after logging in: a path of this app only (never //host or a scheme)."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/"


class LoginRoutes:
    """GET/POST /login and POST /logout. One answer for a wrong name and a wrong password."""

    def __init__(self, gate: DeskGate, pages: Pages) -> None:
        self.gate = gate
        self.pages = pages

    def routes(self) -> list[Route]:
        return [
            Route("/login", self.login_page),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", self.logout, methods=["POST"]),
        ]

    def _form(self, request: Request, status: int = 200, message: str = "", name: str = "") -> Response:
        response = self.pages.page(
            "login.html",
            message=message,
            user_name=name,
            next=_next(request.query_params.get("next", "/")),
            reload_token="",
        )
        response.status_code = status
        return response

    async def login_page(self, request: Request) -> Response:
        if self.gate.proxy:
            return RedirectResponse("/", status_code=303)
        return self._form(request)

    async def login(self, request: Request) -> Response:
        form = await request.form()
        name, password = str(form.get("name", "")).strip(), str(form.get("password", ""))
        peer = request.client.host if request.client else "?"
        if not (self.gate.per_ip.allow(peer) and self.gate.per_user.allow(name.casefold())):
            return self._form(request, 429, "Too many attempts: wait an hour, or ask an admin.", name)
        user = await run_in_threadpool(check_password, self.gate.store, name, password)
        if user is None:
            return self._form(request, 400, "That name and password do not match a user.", name)
        token = await run_in_threadpool(start_session, self.gate.store, user)
        await run_in_threadpool(self.gate.record, user.name, "login")
        response = RedirectResponse(_next(str(form.get("next", "/"))), status_code=303)
        response.set_cookie(
            COOKIE,
            token,
            max_age=self.gate.settings.session_hours * 3600,
            httponly=True,
            samesite="strict",
            secure=_over_https(request, self.gate),
        )
        return response

    async def logout(self, request: Request) -> Response:
        asker = ASKER.get()
        if asker is not None and asker.token:
            await run_in_threadpool(end_session, self.gate.store, asker.token)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, httponly=True, samesite="strict")
        return response


def _over_https(request: Request, gate: DeskGate) -> bool:
    """Served over https, directly or behind a trusted proxy that says so (X-Forwarded-Proto)."""
    if request.url.scheme == "https":
        return True
    peer = request.client.host if request.client else ""
    return gate.settings.trusts(peer) and request.headers.get("x-forwarded-proto") == "https"


def desk_gate(root: Path) -> DeskGate:
    """The desk of the project at `root`: its [desk] settings and its store (users, sessions, audit)."""
    settings = load_desk_settings(cwd=root)
    store = open_store(load_delivery_settings(cwd=root).delivery.store)
    if settings.auth == "users" and not list_users(store):
        raise ConfigError(
            "nobody can log in: add a user first (`digest users add NAME --role admin`), "
            'or set [desk] auth = "proxy"',
            where=store.path,
        )
    return DeskGate(settings, store)

"""The desk's users page (/users, admins only): every user with their role and last login; add a
user, change a role, reset a password, remove a user. The same store functions as `digest users`
(digest/store/desk.py). Off loopback only (on loopback there are no users); the desk's guard asks
for an admin, a CSRF token and writes the audit line of every post; the page itself refuses a
GET by anyone else. A password left empty is made here and shown once, on the next page only."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from digest.errors import DigestError
from digest.store.desk import (
    ROLES,
    DeskUser,
    add_user,
    last_logins,
    list_users,
    remove_user,
    set_password,
    set_role,
)
from digest.web.preview.desk import DeskGate, asker_name, may
from digest.web.preview.feedback import Notice

SHORTEST_PASSWORD = 10
"""As `digest users` asks."""
MADE_PASSWORD_BYTES = 12


class Pages(Protocol):
    notices: dict[str, Notice]

    def page(self, name: str, **context: Any) -> Response: ...
    def notify(self, ok: bool, message: str) -> str: ...


@dataclass(frozen=True, slots=True)
class UserRow:
    user: DeskUser
    last_login: str


def _password(form: FormData) -> tuple[str, bool]:
    """The password the form typed, or a new one made here (then True: show it once)."""
    typed = str(form.get("password", ""))
    if not typed:
        return secrets.token_urlsafe(MADE_PASSWORD_BYTES), True
    if len(typed) < SHORTEST_PASSWORD:
        raise HTTPException(400, f"password: at least {SHORTEST_PASSWORD} characters, or leave it empty")
    return typed, False


class UserRoutes:
    def __init__(self, gate: DeskGate, pages: Pages) -> None:
        self.gate = gate
        self.pages = pages

    def routes(self) -> list[Route]:
        return [
            Route("/users", self.list_page),
            *(
                Route(f"/users/{name}", self._post(action), methods=["POST"])
                for name, action in self._actions()
            ),
        ]

    def _actions(self) -> list[tuple[str, Callable[[FormData, str], str]]]:
        return [("add", self._add), ("role", self._role), ("password", self._reset), ("remove", self._remove)]

    async def list_page(self, request: Request) -> Response:
        _admin_only()
        users = await run_in_threadpool(list_users, self.gate.store)
        logins = await run_in_threadpool(last_logins, self.gate.store)
        rows = [UserRow(user, logins.get(user.name, "")) for user in users]
        notice = self.pages.notices.pop(request.query_params.get("notice", ""), None)
        return self.pages.page("users.html", rows=rows, roles=ROLES, notice=notice, reload_token="")

    def _post(self, action: Callable[[FormData, str], str]) -> Callable[[Request], Any]:
        async def handle(request: Request) -> Response:
            _admin_only()
            form = await request.form()
            name = str(form.get("user", "")).strip()
            try:
                message = await run_in_threadpool(action, form, name)
            except DigestError as e:
                raise HTTPException(400, f"not changed: {e}") from None
            key = self.pages.notify(True, message)
            return RedirectResponse(f"/users?notice={key}", status_code=303)

        return handle

    def _add(self, form: FormData, name: str) -> str:
        password, made = _password(form)
        user = add_user(self.gate.store, name, str(form.get("role", "")), password)
        return f"Added {user.name} ({user.role})" + (
            f"; their password (shown once): {password}" if made else ""
        )

    def _role(self, form: FormData, name: str) -> str:
        role = str(form.get("role", ""))
        if name == asker_name() and role != "admin":
            raise HTTPException(400, "not changed: you cannot take your own admin role (ask another admin)")
        set_role(self.gate.store, name, role)
        return f"{name} is now {role}"

    def _reset(self, form: FormData, name: str) -> str:
        password, made = _password(form)
        set_password(self.gate.store, name, password)
        shown = f": {password} (shown once)" if made else ""
        return f"New password for {name}{shown}; their open logins ended"

    def _remove(self, form: FormData, name: str) -> str:
        if name == asker_name():
            raise HTTPException(400, "not changed: you cannot remove yourself (ask another admin)")
        remove_user(self.gate.store, name)
        return f"Removed {name}; their logins ended"


def _admin_only() -> None:
    if not may("admin"):
        raise HTTPException(403, f"refused: the users page needs the admin role; {asker_name()} has not")

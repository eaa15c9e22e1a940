"""The desk's users (name, role, argon2id password hash), their logins (server-side sessions: the
cookie is a random token, the store keeps its sha256) and the audit log of what they changed."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from digest.clock import Clock, utc_now
from digest.errors import DigestError
from digest.store.connection import Store

ROLES = ("editor", "publisher", "admin")
"""Each role may do what the ones before it may: editors curate and edit, publishers also approve
and send, admins also manage users."""

_HASHER = PasswordHasher()
# Verified against when the name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))


class DeskUserError(DigestError):
    """A user that does not exist, already exists, or a role that is not one of ROLES."""


@dataclass(frozen=True, slots=True)
class DeskUser:
    name: str
    role: str
    created: str = ""

    def may(self, role: str) -> bool:
        """Whether this user's role includes `role`."""
        return ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True, slots=True)
class DeskSession:
    user: DeskUser
    csrf: str
    started: dt.datetime
    seen: dt.datetime


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: str
    who: str
    action: str
    week: str
    detail: str


def _role(role: str) -> str:
    if role not in ROLES:
        raise DeskUserError(f"role {role!r}: use one of {', '.join(ROLES)}")
    return role


def _name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > 100 or any(not c.isprintable() for c in name):
        raise DeskUserError(f"user name {name!r}: 1 to 100 printable characters")
    return name


def add_user(store: Store, name: str, role: str, password: str, *, now: Clock = utc_now) -> DeskUser:
    name, role = _name(name), _role(role)
    if find_user(store, name) is not None:
        raise DeskUserError(f"user {name!r} already exists (set-role or password change them)")
    store.execute(
        "INSERT INTO desk_users (name, role, password_hash, created) VALUES (?, ?, ?, ?)",
        (name, role, _HASHER.hash(password), now().isoformat(timespec="seconds")),
    )
    return DeskUser(name, role)


def find_user(store: Store, name: str) -> DeskUser | None:
    row = store.fetchone("SELECT name, role, created FROM desk_users WHERE name = ?", (name,))
    return DeskUser(row["name"], row["role"], row["created"]) if row is not None else None


def list_users(store: Store) -> list[DeskUser]:
    rows = store.fetchall("SELECT name, role, created FROM desk_users ORDER BY name")
    return [DeskUser(row["name"], row["role"], row["created"]) for row in rows]


def _changed(store: Store, sql: str, parameters: tuple[str, ...], name: str) -> None:
    if store.execute(sql, parameters).rowcount == 0:
        raise DeskUserError(f"no user {name!r} (see `digest users list`)")


def remove_user(store: Store, name: str) -> None:
    """The user and their logins (the sessions go with them)."""
    _changed(store, "DELETE FROM desk_users WHERE name = ?", (name,), name)


def set_role(store: Store, name: str, role: str) -> None:
    _changed(store, "UPDATE desk_users SET role = ? WHERE name = ?", (_role(role), name), name)


def set_password(store: Store, name: str, password: str) -> None:
    """A new password; the user's open logins end."""
    with store.transaction() as connection:
        changed = connection.execute(
            "UPDATE desk_users SET password_hash = ? WHERE name = ?", (_HASHER.hash(password), name)
        )
        if changed.rowcount == 0:
            raise DeskUserError(f"no user {name!r} (see `digest users list`)")
        connection.execute("DELETE FROM desk_sessions WHERE name = ?", (name,))


def check_password(store: Store, name: str, password: str) -> DeskUser | None:
    """The user when the password is theirs, else None; an unknown name takes as long (argon2 on a
    dummy hash) and answers the same, so the login page cannot tell names apart."""
    row = store.fetchone("SELECT name, role, password_hash FROM desk_users WHERE name = ?", (name,))
    try:
        _HASHER.verify(row["password_hash"] if row is not None else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    return DeskUser(row["name"], row["role"]) if row is not None else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(store: Store, user: DeskUser, *, now: Clock = utc_now) -> str:
    """A new login for `user`: the cookie's token (only its hash is stored)."""
    token, moment = secrets.token_urlsafe(32), now().isoformat()
    store.execute(
        "INSERT INTO desk_sessions (token_hash, name, csrf, started, seen) VALUES (?, ?, ?, ?, ?)",
        (_token_hash(token), user.name, secrets.token_urlsafe(32), moment, moment),
    )
    return token


def session_of(
    store: Store, token: str, *, idle: dt.timedelta, longest: dt.timedelta, now: Clock = utc_now
) -> DeskSession | None:
    """The login the cookie names, if it has not expired (idle or absolute); a use moves `seen`."""
    row = store.fetchone(
        "SELECT s.token_hash, s.csrf, s.started, s.seen, u.name, u.role FROM desk_sessions s "
        "JOIN desk_users u USING (name) WHERE s.token_hash = ?",
        (_token_hash(token),),
    )
    if row is None or not hmac.compare_digest(row["token_hash"], _token_hash(token)):
        return None
    moment = now()
    started, seen = dt.datetime.fromisoformat(row["started"]), dt.datetime.fromisoformat(row["seen"])
    if moment - seen > idle or moment - started > longest:
        store.execute("DELETE FROM desk_sessions WHERE token_hash = ?", (row["token_hash"],))
        return None
    store.execute(
        "UPDATE desk_sessions SET seen = ? WHERE token_hash = ?", (moment.isoformat(), row["token_hash"])
    )
    return DeskSession(DeskUser(row["name"], row["role"]), row["csrf"], started, moment)


def end_session(store: Store, token: str) -> None:
    store.execute("DELETE FROM desk_sessions WHERE token_hash = ?", (_token_hash(token),))


def record_action(
    store: Store, who: str, action: str, week: str = "", detail: str = "", *, now: Clock = utc_now
) -> None:
    store.execute(
        "INSERT INTO audit_log (at, who, action, week, detail) VALUES (?, ?, ?, ?, ?)",
        (now().isoformat(timespec="seconds"), who, action, week, detail),
    )


def audit_entries(store: Store, *, week: str | None = None, limit: int = 50) -> list[AuditEntry]:
    """The latest entries first, of one week (its folder key) or of all."""
    where, parameters = ("WHERE week = ?", (week, limit)) if week is not None else ("", (limit,))
    rows = store.fetchall(
        f"SELECT at, who, action, week, detail FROM audit_log {where} ORDER BY id DESC LIMIT ?", parameters
    )
    return [AuditEntry(row["at"], row["who"], row["action"], row["week"], row["detail"]) for row in rows]


def last_logins(store: Store) -> dict[str, str]:
    """Each user's latest login (from the audit log's "login" lines), by name; absent: never."""
    rows = store.fetchall("SELECT who, MAX(at) AS at FROM audit_log WHERE action = 'login' GROUP BY who")
    return {row["who"]: row["at"] for row in rows}

"""The desk's users and logins in the store (issue 17): argon2id hashes, logins that end when idle,
when too old, when the password changes and when the user is removed; a role names what it allows."""

from __future__ import annotations

import datetime as dt

import pytest

from digest.store import open_store
from digest.store.desk import (
    DeskUserError,
    add_user,
    check_password,
    list_users,
    remove_user,
    session_of,
    set_password,
    set_role,
    start_session,
)

START = dt.datetime(2026, 11, 2, 9, tzinfo=dt.UTC)
IDLE, LONGEST = dt.timedelta(minutes=60), dt.timedelta(hours=12)


def test_a_login_ends_idle_old_on_a_new_password_and_with_its_user(store_at):
    store = open_store(store_at("desk.db"))
    user = add_user(store, "ed", "editor", "a long password")
    assert store.fetchvalue("SELECT password_hash FROM desk_users").startswith("$argon2id$")
    assert check_password(store, "ed", "a long password") == user
    assert check_password(store, "ed", "wrong") is None and check_password(store, "nobody", "x") is None

    def at(minutes: float):
        return lambda: START + dt.timedelta(minutes=minutes)

    token = start_session(store, user, now=at(0))
    assert store.fetchvalue("SELECT count(*) FROM desk_sessions WHERE token_hash = ?", (token,)) == 0
    for minute in range(50, 12 * 60, 50):  # busy all day: never idle, ...
        assert session_of(store, token, idle=IDLE, longest=LONGEST, now=at(minute)) is not None
    assert session_of(store, token, idle=IDLE, longest=LONGEST, now=at(12 * 60 + 10)) is None  # ... too old

    idle = start_session(store, user, now=at(0))
    assert session_of(store, idle, idle=IDLE, longest=LONGEST, now=at(61)) is None

    renewed = start_session(store, user)
    set_password(store, "ed", "another long one")
    assert session_of(store, renewed, idle=IDLE, longest=LONGEST) is None
    removed = start_session(store, user)
    set_role(store, "ed", "publisher")
    assert session_of(store, removed, idle=IDLE, longest=LONGEST).user.role == "publisher"
    remove_user(store, "ed")
    assert session_of(store, removed, idle=IDLE, longest=LONGEST) is None
    assert list_users(store) == []
    store.close()


def test_bad_names_and_roles_are_one_line(store_at):
    store = open_store(store_at("desk.db"))
    add_user(store, "ed", "editor", "a long password")
    for bad in (
        lambda: add_user(store, "ed", "editor", "x"),
        lambda: add_user(store, "x", "boss", "x"),
        lambda: set_role(store, "nobody", "admin"),
        lambda: add_user(store, "a\nb", "editor", "x"),
    ):
        with pytest.raises(DeskUserError):
            bad()
    store.close()

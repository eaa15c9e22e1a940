"""`digest users add|list|remove|set-role|password|audit`: who may use the preview off loopback."""

from __future__ import annotations

import os

import click

from digest.cli.subscribers import _store, store_options
from digest.store.desk import (
    ROLES,
    add_user,
    audit_entries,
    list_users,
    remove_user,
    set_password,
    set_role,
)

PASSWORD_ENV = "DIGEST_USER_PASSWORD"
ROLE = click.Choice(ROLES)


def _password() -> str:
    """DIGEST_USER_PASSWORD, else asked twice without echo."""
    password = os.environ.get(PASSWORD_ENV) or click.prompt(
        "Password", hide_input=True, confirmation_prompt=True
    )
    if len(password) < 10:
        raise click.BadParameter("a password of at least 10 characters", param_hint="password")
    return password


@click.group("users")
@store_options
def users_group() -> None:
    """The desk's users: who may log in to `digest preview --host` off loopback, and their roles."""


@users_group.command("add")
@click.argument("name")
@click.option("--role", type=ROLE, required=True, help="editor, publisher or admin.")
@click.pass_context
def add_command(ctx: click.Context, name: str, role: str) -> None:
    """Add NAME (password from DIGEST_USER_PASSWORD or a prompt)."""
    user = add_user(_store(ctx), name, role, _password())
    click.echo(f"added {user.name} ({user.role})")


@users_group.command("list")
@click.pass_context
def list_command(ctx: click.Context) -> None:
    """Every user and role."""
    for user in list_users(_store(ctx, create=False)):
        click.echo(f"{user.name}\t{user.role}\tsince {user.created}")


@users_group.command("remove")
@click.argument("name")
@click.pass_context
def remove_command(ctx: click.Context, name: str) -> None:
    """Remove NAME; their logins end at once."""
    remove_user(_store(ctx, create=False), name)
    click.echo(f"removed {name}")


@users_group.command("set-role")
@click.argument("name")
@click.argument("role", type=ROLE)
@click.pass_context
def set_role_command(ctx: click.Context, name: str, role: str) -> None:
    """Give NAME another ROLE (from their next request)."""
    set_role(_store(ctx, create=False), name, role)
    click.echo(f"{name} is now {role}")


@users_group.command("password")
@click.argument("name")
@click.pass_context
def password_command(ctx: click.Context, name: str) -> None:
    """A new password for NAME; their open logins end."""
    set_password(_store(ctx, create=False), name, _password())
    click.echo(f"password changed for {name}")


@users_group.command("audit")
@click.option("--week", default=None, help="Only this week's issue folder (as the preview names it).")
@click.option("--limit", type=click.IntRange(1, 10_000), default=50, show_default=True)
@click.pass_context
def audit_command(ctx: click.Context, week: str | None, limit: int) -> None:
    """What was changed on the desk, who, when: the latest first."""
    for entry in audit_entries(_store(ctx, create=False), week=week, limit=limit):
        click.echo(f"{entry.at}\t{entry.who}\t{entry.action}\t{entry.week}\t{entry.detail}".rstrip())

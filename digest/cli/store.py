"""`digest store migrate|copy`: the store's schema brought up to date, and a SQLite project's store
moved into PostgreSQL with nothing lost."""

from __future__ import annotations

import click

from digest.cli.subscribers import store_options
from digest.settings import load_delivery_settings
from digest.words import plural


@click.group("store")
@store_options
def store_group() -> None:
    """The store itself: its schema, and moving it from SQLite to PostgreSQL."""


@store_group.command("migrate")
@click.pass_context
def migrate_command(ctx: click.Context) -> None:
    """Apply the migrations the store ([store] url or path, or --db) has not had yet."""
    from digest.store import MIGRATIONS, open_store

    options = ctx.ensure_object(dict)
    store = open_store(
        options["db"] or load_delivery_settings(options["config"]).delivery.store, migrate=False
    )
    try:
        before, after = store.migrate(MIGRATIONS)
    finally:
        store.close()
    click.echo(
        f"{store.path}: schema version {before} → {after}"
        if after != before
        else f"{store.path}: schema version {after}, up to date"
    )


@store_group.command("copy")
@click.option(
    "--to",
    "url",
    required=True,
    metavar="URL",
    help="An empty PostgreSQL database: postgresql://user@host/db.",
)
@click.pass_context
def copy_command(ctx: click.Context, url: str) -> None:
    """Copy the project's SQLite store ([store] path, or --db) into an empty PostgreSQL database,
    then compare each table's row count and checksum on both sides."""
    from digest.store import open_store
    from digest.store.connection import is_postgres_url
    from digest.store.copy import copy_store

    if not is_postgres_url(url):
        # Anything else would be taken for a SQLite file name and created empty.
        raise click.BadParameter("must be a PostgreSQL URL: postgresql://user@host/db", param_hint="'--to'")
    options = ctx.ensure_object(dict)
    source = open_store(
        options["db"] or load_delivery_settings(options["config"]).delivery.store_path, create=False
    )
    ctx.call_on_close(source.close)
    if source.dialect != "sqlite":
        raise click.UsageError("the store to copy from is a SQLite file ([store] path, or --db)")
    target = open_store(url)
    ctx.call_on_close(target.close)
    for table in copy_store(source, target):
        rows = plural(table.rows, "row")
        click.echo(f"{table.table:<20} {rows:>12}  checksum {table.checksum}, the same on both sides")
    click.echo(f'copied {source.path} into {target.path}; set [store] url = "{target.path}" to use it')

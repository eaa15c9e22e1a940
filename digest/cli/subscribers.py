"""`digest subscribers import|add|remove|list|count|export`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from digest.errors import machine_error
from digest.model import SubscriberStatus
from digest.settings import load_delivery_settings
from digest.store import (
    AddOutcome,
    Store,
    SubscriberError,
    add_subscriber,
    count_by_status,
    export_csv,
    import_csv,
    iter_subscribers,
    open_store,
    remove_subscriber,
)
from digest.words import plural

STATUS = click.Choice([s.value for s in SubscriberStatus])


def _store(ctx: click.Context, *, create: bool = True) -> Store:
    """The store; a command that only reads (list, count, export) passes create=False, so a
    mistyped [store] path or --db is reported instead of answered from a new, empty list."""
    options = ctx.ensure_object(dict)  # the group's --config and --db
    path = options["db"] or load_delivery_settings(options["config"]).delivery.store_path
    store = open_store(path, create=create)
    ctx.call_on_close(store.close)
    return store


@click.group("subscribers")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="digest.toml (or an issue.toml) whose [store] to use [default: the nearest digest.toml].",
)
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), default=None, help="The SQLite file.")
@click.pass_context
def subscribers_group(ctx: click.Context, config: Path | None, db: Path | None) -> None:
    """The subscriber list (SQLite, [store] path)."""
    ctx.obj = {"config": config, "db": db}


@subscribers_group.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_context
def import_command(ctx: click.Context, csv_file: Path) -> None:
    """Add the rows of CSV_FILE (columns email, name, any others kept as attributes)."""
    report = import_csv(_store(ctx), csv_file)
    for problem in report.problems:
        click.echo(f"{csv_file}: {problem}", err=True)
    click.echo(
        f"{report.rows} row(s): {report.added} added, {report.updated} updated, "
        f"{report.merged} duplicate(s) merged, {len(report.problems)} skipped"
    )
    if report.not_active:
        click.echo(
            f"{plural(report.not_active, 'address', 'addresses')} left unsubscribed or bounced "
            "(re-subscribe one with `digest subscribers add --resubscribe`)"
        )
    if report.problems:
        sys.exit(1)


@subscribers_group.command("add")
@click.argument("email")
@click.option("--name", default="", help="How the greeting addresses them.")
@click.option("--resubscribe", is_flag=True, help="Make an unsubscribed or bounced address active again.")
@click.pass_context
def add_command(ctx: click.Context, email: str, name: str, resubscribe: bool) -> None:
    """Add one subscriber."""
    subscriber, outcome = add_subscriber(_store(ctx), email, name, resubscribe=resubscribe)
    if outcome is AddOutcome.NOT_ACTIVE:
        raise SubscriberError(
            f"{subscriber.email} is {subscriber.status.value}; add --resubscribe if they asked to come back"
        )
    click.echo(f"{subscriber.email}: {outcome.value}")


@subscribers_group.command("remove")
@click.argument("email")
@click.option(
    "--forget", is_flag=True, help="Erase the address and its send history instead of unsubscribing."
)
@click.pass_context
def remove_command(ctx: click.Context, email: str, forget: bool) -> None:
    """Unsubscribe EMAIL (kept, so no import brings it back), or erase it with --forget."""
    subscriber = remove_subscriber(_store(ctx), email, forget=forget)
    click.echo(f"{subscriber.email}: {'erased' if forget else 'unsubscribed'}")


@subscribers_group.command("list")
@click.option("--status", type=STATUS, default=None, help="Only this status.")
@click.pass_context
def list_command(ctx: click.Context, status: str | None) -> None:
    """One subscriber per line: email, name, status, since (tab-separated)."""
    for s in iter_subscribers(_store(ctx, create=False), SubscriberStatus(status) if status else None):
        since = s.status_changed_at.isoformat() if s.status_changed_at else ""
        click.echo(f"{s.email}\t{s.name}\t{s.status.value}\t{since}")


@subscribers_group.command("count")
@click.option("--by-status", is_flag=True, help="Count every status, not only active subscribers.")
@click.pass_context
def count_command(ctx: click.Context, by_status: bool) -> None:
    """How many active subscribers there are."""
    counts = count_by_status(_store(ctx, create=False))
    if not by_status:
        click.echo(counts[SubscriberStatus.ACTIVE])
        return
    for status, n in counts.items():
        click.echo(f"{status.value}\t{n}")


@subscribers_group.command("export")
@click.option(
    "--out", type=click.Path(path_type=Path, dir_okay=False), default=None, help="[default: stdout]"
)
@click.option("--status", type=STATUS, default=None, help="Only this status.")
@click.pass_context
def export_command(ctx: click.Context, out: Path | None, status: str | None) -> None:
    """The list as CSV (email, name, status, status_changed_at, attributes...)."""
    store = _store(ctx, create=False)
    wanted = SubscriberStatus(status) if status else None
    if out is None:
        export_csv(store, sys.stdout, wanted)
        return
    try:
        with out.open("w", encoding="utf-8", newline="") as handle:
            written = export_csv(store, handle, wanted)
    except BaseException as e:
        out.unlink(missing_ok=True)  # half a list (a full disk, a damaged store) is worse than none
        if isinstance(e, OSError) and (error := machine_error(e, where=out)) is not None:
            raise error from e
        raise
    click.echo(f"wrote {plural(written, 'subscriber')} to {out}", err=True)

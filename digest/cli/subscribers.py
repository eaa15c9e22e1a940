"""`digest subscribers import|add|remove|list|count|export|suppressed|suppress|resubscribe|show|erase`."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import click

from digest.cli.person import print_report
from digest.deliver import SECRET_ENV, erasure_salt, load_secret
from digest.errors import ConfigError, machine_error
from digest.importers import TOOLS, import_export
from digest.model import SubscriberStatus
from digest.settings import load_delivery_settings
from digest.store import (
    AddOutcome,
    Evidence,
    Reason,
    Store,
    SubjectReport,
    SubscriberError,
    Suppression,
    add_subscriber,
    count_by_status,
    erase_subscriber,
    export_csv,
    iter_subscribers,
    open_store,
    remove_subscriber,
    resubscribe,
    subject_report,
    suppress,
    suppressed,
    suppression_of,
)
from digest.words import plural

STATUS = click.Choice([s.value for s in SubscriberStatus])
REASON = click.Choice([r.value for r in Reason])


def _store(ctx: click.Context, *, create: bool = True) -> Store:
    """The store; a command that only reads (list, count, export) passes create=False, so a
    mistyped [store] path or --db is reported instead of answered from a new, empty list."""
    options = ctx.ensure_object(dict)  # the group's --config and --db
    path = options["db"] or load_delivery_settings(options["config"]).delivery.store
    store = open_store(path, create=create)
    ctx.call_on_close(store.close)
    return store


def _erasure_salt(ctx: click.Context, *, required: bool = False) -> bytes | None:
    """The salt erased addresses are hashed with, from the project secret (DIGEST_SECRET or
    [newsletter] secret_file). Adding and importing need it only once someone has been erased
    (the store says so when it is missing); erasing always does."""
    try:
        # DIGEST_SECRET wins (load_secret reads it first): then no settings file need be read.
        config = ctx.ensure_object(dict)["config"]
        secret_file = (
            None if os.environ.get(SECRET_ENV) else load_delivery_settings(config).delivery.secret_file
        )
        return erasure_salt(load_secret(secret_file).value)
    except ConfigError:
        if required:
            raise
        return None


def store_options(group: Callable[..., None]) -> Callable[..., None]:
    """A command group's --config and --db, kept for `_store`."""

    @click.option(
        "--config",
        type=click.Path(path_type=Path, dir_okay=False),
        default=None,
        help="digest.toml (or an issue.toml) whose [store] to use [default: the nearest digest.toml].",
    )
    @click.option(
        "--db", type=click.Path(path_type=Path, dir_okay=False), default=None, help="The SQLite file."
    )
    @click.pass_context
    @functools.wraps(group)
    def with_store(ctx: click.Context, config: Path | None, db: Path | None) -> None:
        ctx.obj = {"config": config, "db": db}

    return with_store


@click.group("subscribers")
@store_options
def subscribers_group() -> None:
    """The subscriber list (SQLite, [store] path)."""


@subscribers_group.command("import")
@click.argument("export_file", metavar="FILE", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--from",
    "tool",
    type=click.Choice(TOOLS),
    default=None,
    help="The tool FILE was exported from [default: told from its header line].",
)
@click.option("--dry-run", is_flag=True, help="Say what the import would change; change nothing.")
@click.pass_context
def import_command(ctx: click.Context, export_file: Path, tool: str | None, dry_run: bool) -> None:
    """Add the subscribers of FILE: digest's own CSV (columns email, name, any others kept as
    attributes) or another tool's export (a CSV, or Mailchimp's zip), statuses kept."""
    result = import_export(_store(ctx), export_file, tool, dry_run=dry_run, salt=_erasure_salt(ctx))
    report = result.report
    for problem in report.problems:
        click.echo(f"{export_file}: {problem}", err=True)
    for skipped in result.skipped_files:
        click.echo(f"{export_file}: {skipped}: skipped, not a list of subscribers", err=True)
    if dry_run:
        click.echo(f"dry run ({result.tool}): nothing changed; the import would do this:")
    click.echo(
        f"{report.rows} row(s): {report.added} added, {report.updated} updated, "
        f"{report.merged} duplicate(s) merged, {len(report.problems)} skipped"
    )
    statuses = ", ".join(f"{status.value} {n}" for status, n in report.statuses.items())
    click.echo(f"by status: {statuses}; {plural(report.consent_records, 'consent record')}")
    if report.suppressed_now:
        click.echo(f"{plural(report.suppressed_now, 'address', 'addresses')} active here suppressed now")
    if report.erased:
        click.echo(
            f"{plural(report.erased, 'erased address', 'erased addresses')} left out (`subscribers erase`)"
        )
    if report.not_active:
        click.echo(
            f"{plural(report.not_active, 'address', 'addresses')} suppressed, never sent to "
            "(`digest subscribers suppressed` lists them; "
            "`digest subscribers resubscribe ADDR --reason TEXT` brings one back)"
        )
    if report.problems:
        sys.exit(1)


@subscribers_group.command("add")
@click.argument("email")
@click.option("--name", default="", help="How the greeting addresses them.")
@click.option("--resubscribe", is_flag=True, help="Lift a suppression (as `resubscribe` does).")
@click.pass_context
def add_command(ctx: click.Context, email: str, name: str, resubscribe: bool) -> None:
    """Add one subscriber."""
    store = _store(ctx)
    subscriber, outcome = add_subscriber(
        store,
        email,
        name,
        resubscribe=resubscribe,
        consent="cli: digest subscribers add",
        salt=_erasure_salt(ctx),
    )
    if outcome is AddOutcome.NOT_ACTIVE:
        why = suppression_of(store, subscriber.email)
        raise SubscriberError(
            f"{subscriber.email} is suppressed ({_why(why)}); `digest subscribers resubscribe "
            f"{subscriber.email} --reason TEXT` brings them back if they asked"
        )
    click.echo(f"{subscriber.email}: {outcome.value}")


@subscribers_group.command("remove")
@click.argument("email")
@click.option("--forget", is_flag=True, help="Erase the address and all history of it (as `erase` does).")
@click.pass_context
def remove_command(ctx: click.Context, email: str, forget: bool) -> None:
    """Unsubscribe EMAIL (kept, so no import brings it back), or erase it with --forget."""
    if forget:
        ctx.invoke(erase_command, email=email)
        return
    subscriber = remove_subscriber(_store(ctx), email)
    click.echo(f"{subscriber.email}: unsubscribed")


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
@click.option(
    "--address",
    default=None,
    help="Instead: everything held about this one address (subject access), as JSON.",
)
@click.pass_context
def export_command(ctx: click.Context, out: Path | None, status: str | None, address: str | None) -> None:
    """The list as CSV (email, name, status, status_changed_at, attributes...), or with --address
    the subject-access report of one address (JSON)."""
    store = _store(ctx, create=False)
    if address is not None and status is not None:
        raise click.UsageError("--address is one person's report; --status filters the list: use one")
    wanted = SubscriberStatus(status) if status else None

    def write(handle: TextIO) -> int:
        if address is None:
            return export_csv(store, handle, wanted)
        handle.write(json.dumps(_report_json(store, address), ensure_ascii=False, indent=2) + "\n")
        return 1

    if out is None:
        write(sys.stdout)
        return
    try:
        with out.open("w", encoding="utf-8", newline="") as handle:
            written = write(handle)
    except BaseException as e:
        out.unlink(missing_ok=True)  # half a list (a full disk, a damaged store) is worse than none
        if isinstance(e, OSError) and (error := machine_error(e, where=out)) is not None:
            raise error from e
        raise
    what = f"the subject-access report of {address.strip()}" if address else plural(written, "subscriber")
    click.echo(f"wrote {what} to {out}", err=True)


def _why(suppression: Suppression | None) -> str:
    if suppression is None:  # not possible while every status change goes through the store
        return "no reason recorded"
    line = suppression.status_line
    return f"{suppression.reason.value}: {line}" if line else suppression.reason.value


@subscribers_group.command("suppressed")
@click.option("--reason", type=REASON, default=None, help="Only this reason.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.pass_context
def suppressed_command(ctx: click.Context, reason: str | None, as_json: bool) -> None:
    """The addresses never sent to: email, reason, since, status line, message id, issue (tab-separated)."""
    for s in suppressed(_store(ctx, create=False), Reason(reason) if reason else None):
        if as_json:
            click.echo(json.dumps(dataclasses.asdict(s), ensure_ascii=False))
        else:
            fields = (s.email, s.reason.value, s.at, s.status_line, s.message_id, s.issue_id or "")
            click.echo("\t".join(" ".join((f or "").split()) for f in fields))


@subscribers_group.command("suppress")
@click.argument("email")
@click.option("--reason", type=REASON, default=Reason.MANUAL.value, show_default=True)
@click.option("--note", default="", help="The evidence kept with it [default: who suppressed it, and how].")
@click.pass_context
def suppress_command(ctx: click.Context, email: str, reason: str, note: str) -> None:
    """Never send to EMAIL again (added, suppressed, when it is not on the list)."""
    store = _store(ctx)
    evidence = Evidence(status_line=" ".join(note.split()) or "digest subscribers suppress")
    outcome = suppress(store, email, Reason(reason), evidence)
    click.echo(f"{email.strip()}: {outcome.value} ({_why(suppression_of(store, email))})")


@subscribers_group.command("resubscribe")
@click.argument("email")
@click.option("--reason", required=True, help="Why they may be sent to again (kept in the history).")
@click.pass_context
def resubscribe_command(ctx: click.Context, email: str, reason: str) -> None:
    """Lift EMAIL's suppression: the next send reaches it."""
    outcome = resubscribe(_store(ctx), email, " ".join(reason.split()))
    click.echo(f"{email.strip()}: {outcome.value}")


def _report(store: Store, address: str) -> SubjectReport:
    """What is held about `address`; one line and exit 1 when it is not on the list."""
    report = subject_report(store, address)
    if report is None:
        click.echo(f"error: {address.strip()} is not on the list", err=True)
        sys.exit(1)
    return report


def _report_json(store: Store, address: str) -> dict[str, Any]:
    return {"report": "subject access", "address": address.strip(), **_report(store, address).as_json()}


@subscribers_group.command("show")
@click.argument("email")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (as `export --address` writes).")
@click.pass_context
def show_command(ctx: click.Context, email: str, as_json: bool) -> None:
    """EMAIL's subscriber record, consent, status changes, issues sent and feedback."""
    store = _store(ctx, create=False)
    if as_json:
        click.echo(json.dumps(_report_json(store, email), ensure_ascii=False, indent=2))
        return
    print_report(_report(store, email))


@subscribers_group.command("erase")
@click.argument("email")
@click.pass_context
def erase_command(ctx: click.Context, email: str) -> None:
    """Erase EMAIL (GDPR art. 17): the subscriber, its send log, consent record and suppression
    history. Only a salted hash of the address is kept, so no import or `add` brings it back."""
    salt = _erasure_salt(ctx, required=True)
    assert salt is not None  # required: raised otherwise
    erased = erase_subscriber(_store(ctx), email, salt)
    click.echo(f"{email.strip()}: {'erased' if erased else 'erased already'} (only a salted hash is kept)")

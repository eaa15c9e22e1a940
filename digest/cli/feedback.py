"""`digest feedback check|fetch|report|acknowledge`: what came back after a send, classified
(check: the store untouched), read into the suppression list (fetch), counted per issue with
rates (report), and a complaint hold lifted (acknowledge)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest.clock import utc_now
from digest.deliver import SECRET_ENV, load_secret
from digest.errors import ConfigError, DigestError
from digest.feedback import Feedback, classify, read_sources
from digest.feedback.figures import IssueFigures, rate
from digest.settings import load_delivery_settings
from digest.settings.feedback import FeedbackMailbox

if TYPE_CHECKING:
    from digest.feedback.mailbox import FeedbackSource
    from digest.settings.delivery_config import ProjectDelivery
    from digest.store import Store


@click.group("feedback")
def feedback_group() -> None:
    """Read what comes back after a send: bounces, complaints, auto-replies, unsubscribes."""


@feedback_group.command("check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per message, one per line.")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="digest.toml whose secret verifies return-path tokens [default: DIGEST_SECRET, else the "
    "nearest digest.toml's; without one, issue and subscriber stay empty].",
)
def check_command(paths: tuple[Path, ...], as_json: bool, config: Path | None) -> None:
    """Classify the messages in each FILE (one message, or an mbox) or DIR (every file in it)."""
    secret = _token_secret(config)
    for source in read_sources(list(paths)):
        found = classify(source.data, secret=secret)
        if as_json:
            click.echo(json.dumps(found.as_json(source.name), ensure_ascii=False))
        else:
            click.echo(_line(source.name, found))


def _line(name: str, found: Feedback) -> str:
    ids = f"{found.issue_id}/{found.subscriber_id}" if found.issue_id else "-"
    policy = " (policy block: alert, never suppress)" if found.policy_block else ""
    fields = (
        name,
        f"{found.kind}{policy}",
        found.recipient or "-",
        found.status or "-",
        ids,
        found.reason[:100],
    )
    return "\t".join(_printable(field) for field in fields)


def _printable(text: str) -> str:
    """What a bounce says is anyone's text: no tab, newline or terminal escape reaches the screen."""
    return "".join(c if c.isprintable() else " " for c in text)


def _token_secret(config: Path | None) -> bytes | None:
    """DIGEST_SECRET, else the settings' secret file; None (tokens not believed) without either."""
    if os.environ.get(SECRET_ENV):
        return load_secret(None).value
    try:
        settings = load_delivery_settings(config)
    except ConfigError:
        if config is not None:
            raise
        return None
    if settings.delivery.secret_file is None:
        return None
    return load_secret(settings.delivery.secret_file).value


IMAP_PASSWORD_ENV = "DIGEST_IMAP_PASSWORD"


@feedback_group.command("fetch")
@click.option("--dry-run", is_flag=True, help="Classify and report; change nothing (store, mailbox).")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="digest.toml with the [feedback] mailbox [default: the nearest digest.toml].",
)
def fetch_command(dry_run: bool, config: Path | None) -> None:
    """Read the [feedback] mailbox: bounces, complaints and mailto: unsubscribes suppress their
    subscribers (soft bounces after the limit); each message is processed once."""
    from digest.feedback.act import SoftBouncePolicy
    from digest.feedback.fetch import FetchOptions, fetch_feedback
    from digest.store import open_store

    settings = load_delivery_settings(config)
    mailbox = settings.feedback
    if mailbox is None:
        raise ConfigError("[feedback]: no mailbox to read; set imap_host (and imap_user), maildir or mbox")
    source = _open_source(mailbox)
    store = open_store(settings.delivery.store)
    try:
        options = FetchOptions(
            source_name=mailbox.describe(),
            secret=_token_secret(config),
            dry_run=dry_run,
            policy=SoftBouncePolicy(mailbox.settings.soft_bounce_limit, mailbox.settings.soft_bounce_days),
            forward=None if dry_run else _forwarder(settings),
        )
        report = fetch_feedback(source, store, options)
        prefix = "dry run, nothing changed: " if dry_run else ""
        click.echo(f"{mailbox.describe()}: {prefix}{report.summary()}")
        for block in report.policy_blocks:
            click.echo(f"policy block: {_printable(block)}", err=True)
        if not dry_run:
            _complaint_lines(store, settings, config)
    finally:
        source.close()
        store.close()


def _forwarder(settings: ProjectDelivery) -> Callable[[bytes, Feedback], None] | None:
    """[feedback] forward_to's sender of replies and auto-replies, through the configured SMTP."""
    to = settings.feedback_settings.forward_to
    if not to:
        return None
    sender = settings.newsletter.from_address if settings.newsletter else settings.delivery.return_path
    if not sender:
        raise ConfigError(
            "[feedback] forward_to: the forward is sent from [newsletter] from (or return_path)"
        )

    def forward(raw: bytes, found: Feedback) -> None:
        from digest.feedback.forward import forward_message
        from digest.runs.notices import send_to_editors

        failures = send_to_editors(forward_message(raw, found, sender=sender, to=to), [to], settings.delivery)
        if failures:
            raise DigestError(failures[0])

    return forward


def _complaint_lines(store: Store, delivery: ProjectDelivery, config: Path | None) -> None:
    """After a fetch: each recent issue over a complaint line, and the editors told (once)."""
    from digest.feedback.thresholds import ComplaintLimits, over_limits
    from digest.runs.complaints import check_complaints
    from digest.settings import load_project_config, project_file

    settings = delivery.feedback_settings
    over = over_limits(store, ComplaintLimits(settings.complaint_warn_rate, settings.complaint_hold_rate))
    for found in over:
        held = " (acknowledged)" if found.acknowledged else ""
        click.echo(f"warning: {found.line()}{held}", err=True)
    if not over:
        return
    try:
        project = load_project_config(project_file(config, cwd=Path.cwd()))
    except DigestError as error:
        why = " ".join(line.strip() for line in str(error).splitlines())
        click.echo(
            f"warning: the editors could not be told of it ({why}); they need [schedule] editors", err=True
        )
        return
    for line in check_complaints(project, store, utc_now(), hold=False):
        click.echo(line, err=True)


def _open_source(mailbox: FeedbackMailbox) -> FeedbackSource:
    from digest.feedback.mailbox import ImapAccount, ImapSource, MaildirSource, MboxSource

    if mailbox.kind == "maildir":
        assert mailbox.path is not None
        return MaildirSource(mailbox.path)
    if mailbox.kind == "mbox":
        assert mailbox.path is not None
        return MboxSource(mailbox.path)
    password = os.environ.get(IMAP_PASSWORD_ENV, "")
    if not password:
        raise ConfigError(f"[feedback] imap_host is set: put the mailbox's password in {IMAP_PASSWORD_ENV}")
    s = mailbox.settings
    account = ImapAccount(
        host=s.imap_host,
        port=mailbox.port,
        user=s.imap_user,
        password=password,
        security=s.imap_security,
        folder=s.imap_folder,
        processed_folder=s.imap_processed_folder,
    )
    return ImapSource(account)


store_config_option = click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="digest.toml with [store] [default: the nearest digest.toml].",
)


@feedback_group.command("report")
@click.argument("issue_id", required=False, metavar="[ISSUE_ID]")
@click.option("--json", "as_json", is_flag=True, help="JSON: one object per issue, one per line.")
@store_config_option
def report_command(issue_id: str | None, as_json: bool, config: Path | None) -> None:
    """What became of each issue: sent, delivered, bounces, complaints and unsubscribes, with
    rates. Without ISSUE_ID the recent issues, a line each; with it, the receiving domains too."""
    from digest.cli.dates import parse_issue
    from digest.feedback.figures import issue_figures, recent_figures
    from digest.store import open_store

    store = open_store(load_delivery_settings(config).delivery.store, create=False)
    try:
        found = [issue_figures(store, parse_issue(issue_id))] if issue_id else recent_figures(store)
    finally:
        store.close()
    if as_json:
        for figures in found:
            click.echo(json.dumps(figures.as_json()))
        return
    if not found:
        click.echo("no issue sent yet")
    for figures in found:
        if issue_id and not figures.sent:
            click.echo(f"{figures.issue_id}: not in the send log (never sent)")
            continue
        click.echo(figures.line() if not issue_id else _details(figures))


def _details(figures: IssueFigures) -> str:
    from digest.feedback.figures import percent

    f = figures
    rows = [
        f"issue         {f.issue_id}",
        f"sent          {f.sent}  (the send log: the receiving server took it)",
        f"delivered     {f.delivered}  ({percent(rate(f.delivered, f.sent))} of sent: sent minus bounced)",
        f"hard bounces  {f.hard}  ({percent(f.hard_rate)} of sent)",
        f"soft bounces  {f.soft}  ({percent(f.soft_rate)} of sent)",
        f"policy blocks {f.policy_blocks}  ({percent(f.policy_rate)} of sent; never suppressed)",
        f"complaints    {f.complaints}  ({percent(f.complaint_rate)} of delivered)",
        f"unsubscribes  {f.unsubscribes}  ({percent(f.unsubscribe_rate)} of delivered)",
    ]
    if f.domains:
        rows.append("receiving domains (sent, hard, soft, policy):")
        rows += [f"  {d.domain}  {d.sent}  {d.hard}  {d.soft}  {d.policy}" for d in f.domains]
        rows += [f"note: {d.verdict()}" for d in f.domains if d.reputation_problem]
    return "\n".join(_printable(row) for row in rows)


@feedback_group.command("acknowledge")
@click.argument("issue_id", metavar="ISSUE_ID")
@click.option("--by", default=None, help="Who acknowledges it, for the record [default: user@host].")
@store_config_option
def acknowledge_command(issue_id: str, by: str | None, config: Path | None) -> None:
    """Lift the hold an issue's complaint rate put on the next scheduled send (who and when are kept)."""
    from digest.cli.approve import _default_editor
    from digest.cli.dates import parse_issue
    from digest.feedback.thresholds import ComplaintLimits, Level, acknowledge, over_limits
    from digest.store import open_store

    issue_id = parse_issue(issue_id, what="ISSUE_ID")
    settings = load_delivery_settings(config)
    store = open_store(settings.delivery.store, create=False)
    try:
        before = acknowledge(store, issue_id, by=by or _default_editor(), now=utc_now())
        limits = ComplaintLimits(
            settings.feedback_settings.complaint_warn_rate, settings.feedback_settings.complaint_hold_rate
        )
        still = [o for o in over_limits(store, limits) if o.level is Level.HOLD and not o.acknowledged]
    finally:
        store.close()
    if before is not None:
        click.echo(f"{issue_id} was acknowledged already, by {before[0]} at {before[1]:%Y-%m-%d %H:%M} UTC")
    else:
        click.echo(f"{issue_id} acknowledged by {by or _default_editor()}")
    if still:
        click.echo("still held by " + "; ".join(o.line() for o in still), err=True)
    else:
        click.echo("the next scheduled send goes ahead")

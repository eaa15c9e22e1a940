"""`digest feedback check FILE_OR_DIR... [--json]`: what came back, classified, the store untouched."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest.deliver import SECRET_ENV, load_secret
from digest.errors import ConfigError
from digest.feedback import Feedback, classify, read_sources
from digest.settings import load_delivery_settings
from digest.settings.feedback import FeedbackMailbox

if TYPE_CHECKING:
    from digest.feedback.mailbox import FeedbackSource


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
    store = open_store(settings.delivery.store_path)
    try:
        options = FetchOptions(
            source_name=mailbox.describe(),
            secret=_token_secret(config),
            dry_run=dry_run,
            policy=SoftBouncePolicy(mailbox.settings.soft_bounce_limit, mailbox.settings.soft_bounce_days),
        )
        report = fetch_feedback(source, store, options)
    finally:
        source.close()
        store.close()
    prefix = "dry run, nothing changed: " if dry_run else ""
    click.echo(f"{mailbox.describe()}: {prefix}{report.summary()}")
    for block in report.policy_blocks:
        click.echo(f"policy block: {_printable(block)}", err=True)


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

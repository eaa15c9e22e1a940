"""`digest report ISSUE_ID` and `digest report --sponsor NAME`: a thin face over runs/report.py."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from digest.cli.dates import InputError, date_option, parse_issue
from digest.settings import load_delivery_settings

if TYPE_CHECKING:
    from digest.runs.report import SponsorReport
    from digest.settings.delivery_config import ProjectDelivery


@click.command("report")
@click.argument("issue_id", required=False, metavar="[ISSUE_ID]")
@click.option("--sponsor", default=None, help="Every sponsored placement of this sponsor (any case).")
@click.option("--since", callback=date_option, default=None, help="With --sponsor: issues from this day on.")
@click.option(
    "--html",
    "html_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="With --sponsor: also write a one-page report to forward (self-contained HTML).",
)
@click.option("--json", "as_json", is_flag=True, help="JSON instead of words.")
@click.option("--csv", "as_csv", is_flag=True, help="CSV (one row per slot or placement) instead of words.")
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    default=None,
    help="digest.toml with [store] and [archive] [default: the nearest digest.toml].",
)
def report_command(
    issue_id: str | None,
    sponsor: str | None,
    since: dt.date | None,
    html_file: Path | None,
    as_json: bool,
    as_csv: bool,
    config: Path | None,
) -> None:
    """What a sent issue did, slot by slot: sent, delivered, bounced, complaints, unsubscribes,
    then each story's clicks (human / machine), unique clickers and click rate. With --sponsor,
    every placement of that sponsor."""
    from digest.runs import report_formats as formats
    from digest.runs.report import NothingToReport, issue_report, kept_issue, sponsor_report
    from digest.store import open_store

    if as_json and as_csv:
        raise InputError("--json and --csv: choose one")
    if (issue_id is None) == (sponsor is None):
        raise InputError("name an ISSUE_ID or a --sponsor (one of them)")
    if sponsor is None and (since is not None or html_file is not None):
        raise InputError("--since and --html go with --sponsor")
    settings = load_delivery_settings(config)
    archive_dir = settings.delivery.archive_dir
    store = open_store(settings.delivery.store, create=False)
    try:
        if sponsor is not None:
            if not sponsor.strip():
                raise InputError("--sponsor: empty; give the sponsor's name as the stories spell it")
            found = sponsor_report(store, archive_dir, sponsor, since)
        else:
            wanted = parse_issue(issue_id or "", what="ISSUE_ID")
            report = issue_report(store, wanted, kept_issue(archive_dir, wanted))
    finally:
        store.close()
    if sponsor is None:
        if as_csv:
            click.echo(formats.issue_csv(report), nl=False)
        else:
            click.echo(json.dumps(formats.issue_json(report)) if as_json else formats.issue_text(report))
        return
    if not found.placements:
        raise NothingToReport(formats.sponsor_text(found))
    if html_file is not None:
        _write_page(found, html_file, settings)
    if as_csv:
        click.echo(formats.sponsor_csv(found), nl=False)
    else:
        click.echo(json.dumps(formats.sponsor_json(found)) if as_json else formats.sponsor_text(found))


def _write_page(found: SponsorReport, path: Path, settings: ProjectDelivery) -> None:
    from digest.atomic import write_atomically
    from digest.errors import machine_error
    from digest.web.reports import sponsor_html

    newsletter = settings.newsletter.name if settings.newsletter else ""
    page = sponsor_html(found, newsletter=newsletter, theme_dir=settings.signup.theme_dir)
    try:
        write_atomically(path, page.encode("utf-8"), mode=0o644)
    except OSError as e:
        error = machine_error(e, where=path)  # a full disk, a read-only folder: their own exit codes
        raise error or InputError(f"--html: cannot write {path}: {e.strerror or e}") from None

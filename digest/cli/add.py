"""`digest add URL [--week DATE|ISSUE_FOLDER] [--note TEXT] [--title TEXT] [--allow-private]`."""

from __future__ import annotations

import datetime as dt
import getpass
from pathlib import Path

import click

from digest.cli.dates import DATE_FORM, parse_date
from digest.clock import utc_now


def _week(value: str | None) -> dt.date | Path | None:
    """An issue folder named outright wins; else any day of the week wanted."""
    if value is None:
        return None
    if Path(value).is_dir():
        return Path(value)
    return parse_date(value, what=f"--week (a folder, or {DATE_FORM})")


@click.command("add")
@click.argument("url")
@click.option(
    "--week",
    default=None,
    help="Any day of the week (YYYY-MM-DD), or its issue folder [default: the coming week].",
)
@click.option("--note", default="", help="A note for the desk (never in the email).")
@click.option("--title", default="", help="The story's title: the page's own when it has one.")
@click.option("--allow-private", is_flag=True, help="Fetch a page on a loopback or private address too.")
def add_command(url: str, week: str | None, note: str, title: str, allow_private: bool) -> None:
    """Add the page at URL to a week as a story: fetched once, its title, summary, picture, date and
    author read from the page and written into the week's stories/ folder."""
    from digest.runs.add import add_to_week, week_to_add_to

    now = utc_now()
    config = week_to_add_to(_week(week), start=Path.cwd(), now=now)
    added = add_to_week(
        config, url, now=now, title=title, note=note, added_by=getpass.getuser(), allow_private=allow_private
    )
    if added.unread:
        click.echo(
            f"warning: could not read the page ({added.unread}); added with the title you gave", err=True
        )
    click.echo(f"Added {added.title!r} ({added.url}) to {added.path}")

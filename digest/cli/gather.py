"""`digest gather [SOURCE ...] [--config FILE] [--since DATE] [--until DATE] [--json]`."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from digest.cli.dates import InputError
from digest.errors import ConfigError
from digest.gather import GatherResult, gather_week, options_for, story_record, window_for
from digest.model import Source, SourceKind
from digest.settings import GatherConfig, load_gather_config

EXIT_SOURCES_FAILED = 1


def _moment(text: str | None, zone: ZoneInfo, *, option: str, end_of_day: bool) -> dt.datetime | None:
    """An ISO date or date-time; a bare date is that day's start (or, for --until, its end)."""
    if text is None:
        return None
    try:
        value = dt.datetime.fromisoformat(text.strip())
        if end_of_day and len(text.strip()) == 10:  # a date alone: up to and including that day
            value += dt.timedelta(days=1)
    except (ValueError, OverflowError):
        raise InputError(
            f"{option}: {text!r} is not a date or date-time; expected YYYY-MM-DD or YYYY-MM-DDTHH:MM"
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=zone)


def _source_for(argument: str, configured: tuple[Source, ...]) -> Source:
    """A configured source by name, else a URL, a folder of story files, or a feed file."""
    for source in configured:
        if argument in (source.name, source.location):
            return source
    if argument.lower().startswith(("http://", "https://")):
        return Source(kind=SourceKind.FEED, location=argument, name=argument)
    path = Path(argument).expanduser().resolve()
    kind = SourceKind.FOLDER if path.is_dir() else SourceKind.FEED
    return Source(kind=kind, location=str(path), name=argument)  # named as the user typed it


def _local(when: dt.datetime | None, zone: ZoneInfo) -> str:
    return when.astimezone(zone).strftime("%a %d %b %H:%M") if when else ""


def _print_tables(result: GatherResult, config: GatherConfig) -> None:
    zone = ZoneInfo(config.timezone)
    console = Console(soft_wrap=False)
    start, end = (result.window.start.astimezone(zone), result.window.end.astimezone(zone))
    heading = Text(f"{start:%Y-%m-%d %H:%M} to {end:%Y-%m-%d %H:%M} ({config.timezone}): ")
    heading.append(f"{len(result.stories)} stories", style="bold")
    console.print(heading)
    stories = Table(show_edge=False, pad_edge=False)
    stories.add_column("published", no_wrap=True)
    stories.add_column("kind", no_wrap=True)
    stories.add_column("title (id)", ratio=3, overflow="fold")
    stories.add_column("source", ratio=1, overflow="fold")
    for story in result.stories:
        title = Text(story.title)  # Text, never markup: a feed's "[bold]" stays as written
        title.append(f"\n{story.id}", style="dim")
        stories.add_row(_local(story.published, zone), str(story.kind), title, Text(story.source))
    console.print(stories)
    sources = Table(show_edge=False, pad_edge=False, title="sources", title_justify="left")
    for column in ("source", "fetched", "parsed", "in week", "kept", "dropped"):
        sources.add_column(column, overflow="fold")
    for report in result.report:
        dropped = "; ".join(f"{count} {reason}" for reason, count in report.dropped)
        sources.add_row(
            Text(report.source),
            Text(report.fetched or "failed", style="red" if report.failed else ""),
            str(report.parsed),
            str(report.in_window),
            str(report.kept),
            Text(report.error or dropped, style="red" if report.failed else ""),
        )
    console.print(sources)


@click.command("gather")
@click.argument("sources", nargs=-1)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path),
    default=None,
    help="digest.toml, issue.toml or an issue folder (default: ./issue.toml, else the nearest digest.toml).",
)
@click.option("--since", help="Start of the window (ISO date or date-time; default: the issue's week).")
@click.option("--until", help="End of the window; a bare date includes that whole day.")
@click.option("--json", "as_json", is_flag=True, help="Print the stories as a JSON array.")
def gather_command(
    sources: tuple[str, ...], config_file: Path | None, since: str | None, until: str | None, as_json: bool
) -> None:
    """Gather the week's stories from SOURCE feeds and folders (default: the config's [[sources]]).

    A SOURCE is a feed URL, a feed file, a folder of story files, or the name of a configured
    source. Exit code 1 when some sources could not be gathered (the rest are still printed).
    """
    config = load_gather_config(config_file)
    chosen = tuple(_source_for(s, config.sources) for s in sources) or config.sources
    if not chosen:
        raise ConfigError(
            "no sources: give SOURCE arguments or list [[sources]] in digest.toml or issue.toml"
        )
    zone = ZoneInfo(config.timezone)
    try:
        window = window_for(
            config,
            since=_moment(since, zone, option="--since", end_of_day=False),
            until=_moment(until, zone, option="--until", end_of_day=True),
        )
    except ValueError as e:  # an empty or inverted window
        raise ConfigError(f"--since/--until: {e}") from None
    except OverflowError:
        raise ConfigError("--since/--until: the window reaches past the calendar's range") from None
    result = gather_week(chosen, window, options=options_for(config))
    for line in result.problems():
        click.echo(line, err=True)
    if as_json:
        click.echo(json.dumps([story_record(s) for s in result.stories], ensure_ascii=False, indent=2))
    else:
        _print_tables(result, config)
    if result.failed:
        sys.exit(EXIT_SOURCES_FAILED)

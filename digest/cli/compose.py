"""`digest compose ISSUE_DIR [--explain] [--json]`: the composed order, and why."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from digest.compose import Composition, composition_to_dict
from digest.model import Story
from digest.pipeline import compose_folder


def _story_cell(story: Story, why: str | None) -> Text:
    # Text, never a markup string: a title like "[bold]" must print as written.
    cell = Text(story.id, style="bold")
    cell.append(f" ({story.kind}{', ' + story.sponsor if story.sponsor else ''})", style="dim")
    cell.append("\n" + story.title)
    if why is not None:
        cell.append("\nwhy: " + why, style="italic")
    return cell


def _order_table(composition: Composition, *, explain: bool) -> Table:
    table = Table(title="In the issue", title_justify="left", box=None, pad_edge=False, show_lines=False)
    table.add_column("#", no_wrap=True)
    table.add_column("slot", no_wrap=True)
    table.add_column("story")
    for placement in composition.placements:
        if placement.heading:
            table.add_row(Text(""), Text(""), Text(f"§ {placement.heading}", style="bold underline"))
        table.add_row(
            Text(str(placement.position) if placement.position else "lead"),
            Text(placement.slot),
            _story_cell(placement.story, placement.detail if explain else None),
        )
    return table


def _left_out_table(composition: Composition, *, explain: bool) -> Table:
    table = Table(title="Left out", title_justify="left", box=None, pad_edge=False)
    table.add_column("reason", no_wrap=True)
    table.add_column("story")
    for record in composition.left_out:
        table.add_row(Text(str(record.reason)), _story_cell(record.story, record.detail if explain else None))
    return table


def print_composition(composition: Composition, *, explain: bool, console: Console) -> None:
    issue = composition.issue
    summary = Table(show_header=False, box=None, pad_edge=False)
    summary.add_row("subject", Text(issue.subject))
    summary.add_row("preheader", Text(issue.preheader))
    if explain and composition.lead.score is not None:
        summary.add_row("lead score", Text(composition.lead.score.describe()))
    console.print(summary)
    console.print()
    console.print(_order_table(composition, explain=explain))
    if composition.left_out:
        console.print()
        console.print(_left_out_table(composition, explain=explain))


@click.command("compose")
@click.argument("issue_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option("--explain", is_flag=True, help="Say why each story is where it is, or left out.")
@click.option("--json", "as_json", is_flag=True, help="Print the composition as JSON.")
def compose_command(issue_dir: Path, explain: bool, as_json: bool) -> None:
    """Show the composed order of ISSUE_DIR: the lead, More from, and what is left out."""
    composition = compose_folder(issue_dir)
    for warning in composition.warnings:
        click.echo(f"warning: {warning}", err=True)
    if as_json:
        click.echo(json.dumps(composition_to_dict(composition), indent=2, ensure_ascii=False))
        return
    print_composition(composition, explain=explain, console=Console(soft_wrap=False))

"""`digest build ISSUE_DIR --out DIR`."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from digest.cli.lint import print_findings
from digest.pipeline import build_issue


@click.command("build")
@click.argument("issue_dir", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--out",
    "out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("out"),
    show_default=True,
    help="Folder for index.html, issue.txt and issue.eml.",
)
@click.option(
    "--theme",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="A theme folder whose files override the default theme's, file by file.",
)
def build_command(issue_dir: Path, out: Path, theme: Path | None) -> None:
    """Build ISSUE_DIR into email HTML, plain text and an .eml message."""
    result = build_issue(issue_dir, out, theme=theme)
    issue = result.issue
    table = Table(show_header=False, box=None, pad_edge=False)
    # Story text is untrusted: Text() keeps rich from reading "[bold]" in a title as markup.
    table.add_row("subject", Text(issue.subject))
    table.add_row("preheader", Text(issue.preheader))
    table.add_row("lead", Text(issue.lead.title))
    table.add_row("items", Text(f"{len(issue.more_from)} more from {issue.newsletter.publication}"))
    if result.composition is not None and result.composition.left_out:
        left_out = ", ".join(f"{r.story.id} ({r.reason})" for r in result.composition.left_out)
        table.add_row("left out", Text(f"{left_out} · see digest compose --explain"))
    table.add_row("html", f"{result.html_bytes / 1024:.1f} KB")
    table.add_row("written", Text(", ".join(str(p) for p in result.files.values())))
    if result.lint is not None:
        table.add_row("lint", result.lint.summary().removeprefix("lint: "))
    verdict = result.preflight
    if verdict is not None:
        table.add_row("preflight", Text(verdict.verdict()))
    Console(soft_wrap=True).print(table)
    for warning in result.composition.warnings if result.composition else ():
        click.echo(f"warning: {warning}", err=True)
    if result.lint is not None and result.lint.findings:
        print_findings(result.lint, limit=10)
    if verdict is not None and not verdict.passed:
        # The files are written for the editors to look at; the exit code says it must not go out.
        sys.exit(1)

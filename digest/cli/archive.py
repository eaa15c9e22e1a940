"""`digest archive [PROJECT_DIR] [--out DIR]`."""

from __future__ import annotations

from pathlib import Path

import click

from digest.web.archive import ISSUES_DIR, build_archive


@click.command("archive")
@click.argument(
    "project_dir", type=click.Path(path_type=Path, file_okay=False, exists=True), default=Path(".")
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("archive"),
    show_default=True,
    help="Folder to write the archive into (index.html, feed.xml, issues/).",
)
def archive_command(project_dir: Path, out: Path) -> None:
    """Write a static web archive of every issue the project at PROJECT_DIR (default: here) sent."""
    result = build_archive(project_dir, out)
    for line in result.unkept:
        click.echo(f"warning: {line}", err=True)
    for issue_id in result.withdrawn:
        click.echo(
            f"withdrawn: {ISSUES_DIR}/{issue_id}/ (never sent: a draft an earlier archive listed)", err=True
        )
    click.echo(f"Archived {len(result.entries)} issue(s) into {result.out}")
    for entry in result.entries:
        click.echo(f"  {entry.issue.date.isoformat()}  {entry.href}  {entry.issue.subject}")
    click.echo(f"  index: {result.out / 'index.html'}  feed: {result.out / 'feed.xml'}")

"""`digest lint ISSUE_DIR|FILE.html|FILE.eml [--json]`: errors exit 1, warnings exit 0."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from digest.lint import LintReport
from digest.lint.inputs import lint_file
from digest.pipeline import lint_folder


def print_findings(report: LintReport, *, limit: int | None = None) -> None:
    shown = report.findings if limit is None else report.findings[:limit]
    for finding in shown:
        click.echo(f"{finding.level.value:<7} {finding.code}  {finding.where}")
        click.echo(f"        {finding.message}")
        click.echo(f"        fix: {finding.fix}")
    if limit is not None and len(report.findings) > limit:
        click.echo(f"        … and {len(report.findings) - limit} more (digest lint shows them all)")


@click.command("lint")
@click.argument("target", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def lint_command(target: Path, as_json: bool) -> None:
    """Preflight-check an issue folder, a built .html or an .eml before anyone sees it."""
    report = lint_folder(target) if target.is_dir() else lint_file(target)
    if as_json:
        click.echo(json.dumps(report.as_dict(), indent=2, ensure_ascii=False))
    else:
        print_findings(report)
        click.echo(report.summary())
    sys.exit(0 if report.ok else 1)

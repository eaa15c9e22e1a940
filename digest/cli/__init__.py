"""The `digest` command: a thin click face over the library. No logic lives here."""

from __future__ import annotations

import sys

import click

from digest import __version__
from digest.cli import approve as approve_commands
from digest.cli import archive as archive_commands
from digest.cli import build as build_commands
from digest.cli import compose as compose_commands
from digest.cli import gather as gather_commands
from digest.cli import lint as lint_commands
from digest.cli import preview as preview_commands
from digest.cli import run as run_commands
from digest.cli import schedule as schedule_commands
from digest.cli import send as send_commands
from digest.cli import serve as serve_commands
from digest.cli import subscribers as subscriber_commands
from digest.errors import DigestError


class DigestGroup(click.Group):
    """Turns the errors a user can cause into one line on stderr and their exit code."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DigestError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(e.exit_code)


@click.group(cls=DigestGroup)
@click.version_option(__version__, prog_name="digest")
def main() -> None:
    """Gather the week's stories, compose an issue, render it, and send it."""


# One module per command (group); each registers itself here.
for module in (
    build_commands,
    compose_commands,
    lint_commands,
    gather_commands,
    subscriber_commands,
    send_commands,
    serve_commands,
    preview_commands,
    archive_commands,
    run_commands,
    schedule_commands,
    approve_commands,
):
    module.register(main)

"""The `digest` command: a thin click face over the library. No logic lives here."""

from __future__ import annotations

import importlib
import sys
from typing import NoReturn

import click

from digest import __version__
from digest.errors import DigestError, machine_error

# Command name → (module, attribute). Modules load only when their command runs, so a cron or
# timer tick of `digest run --if-due` does not import the preview server, feeds and lint too.
COMMANDS: dict[str, tuple[str, str]] = {
    "add": ("digest.cli.add", "add_command"),
    "build": ("digest.cli.build", "build_command"),
    "compose": ("digest.cli.compose", "compose_command"),
    "lint": ("digest.cli.lint", "lint_command"),
    "gather": ("digest.cli.gather", "gather_command"),
    "subscribers": ("digest.cli.subscribers", "subscribers_group"),
    "send": ("digest.cli.send", "send_command"),
    "serve": ("digest.cli.serve", "serve_command"),
    "form": ("digest.cli.form", "form_command"),
    "preview": ("digest.cli.preview", "preview_command"),
    "archive": ("digest.cli.archive", "archive_command"),
    "run": ("digest.cli.run", "run_command"),
    "schedule": ("digest.cli.schedule", "schedule_command"),
    "approve": ("digest.cli.approve", "approve_command"),
    "reject": ("digest.cli.approve", "reject_command"),
    "proof": ("digest.cli.approve", "proof_command"),
    "feedback": ("digest.cli.feedback", "feedback_group"),
    "report": ("digest.cli.report", "report_command"),
    "users": ("digest.cli.users", "users_group"),
    "store": ("digest.cli.store", "store_group"),
}


class DigestGroup(click.Group):
    """Loads commands on demand and turns user errors into one line on stderr and an exit code."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        return getattr(importlib.import_module(module), attribute)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except DigestError as e:
            _exit_with(e)
        except OSError as e:
            # A full disk or a read-only folder under a file digest writes (an export, a build,
            # a dry run's messages): one line and its exit code, like the store's. Any other
            # OSError is a bug and keeps its traceback.
            error = machine_error(e)
            if error is None:
                raise
            _exit_with(error)


def _exit_with(error: DigestError) -> NoReturn:
    """The one line on stderr, and the exit code that says which kind of problem it was."""
    click.echo(f"error: {error}", err=True)
    sys.exit(error.exit_code)


@click.group(cls=DigestGroup)
@click.version_option(__version__, prog_name="digest")
def main() -> None:
    """Gather the week's stories, compose an issue, render it, and send it."""

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
# What `digest --help` lists beside each command: the start of its docstring, kept here so the
# list needs no command module (tests/cli/test_startup.py holds each equal to its docstring's start).
SUMMARIES: dict[str, str] = {
    "add": "Add the page at URL to a week as a story",
    "approve": "Approve a proofed issue: it goes out to every subscriber now",
    "archive": "Write a static web archive of every issue",
    "build": "Build ISSUE_DIR into email HTML, plain text and an .eml",
    "compose": "Show the composed order of ISSUE_DIR",
    "feedback": "Read what comes back after a send: bounces, complaints",
    "form": "Print the sign-up form's HTML snippet",
    "gather": "Gather the week's stories from SOURCE feeds and folders",
    "lint": "Preflight-check an issue folder, a built .html or an .eml",
    "preview": "Preview ISSUE_DIR (or every issue under it) in a browser",
    "proof": "Send the editors a new [PROOF] of an issue awaiting approval",
    "reject": "Object to a proofed issue: it is held",
    "report": "What a sent issue did, slot by slot",
    "run": "Build this week's issue",
    "schedule": "Build and send the weekly issue at [schedule] weekday and time",
    "send": "Send ISSUE_DIR to every active subscriber who has not had it",
    "store": "The store itself: its schema, and moving it from SQLite to PostgreSQL.",
    "serve": "Serve the subscriber pages",
    "subscribers": "The subscriber list (SQLite, [store] path).",
    "users": "The desk's users: who may log in to `digest preview --host`",
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

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list from SUMMARIES: `digest --help` loads no command's module (a command
        missing there is loaded for its own short help)."""
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        rows = []
        for name in names:
            summary = SUMMARIES.get(name)
            if summary is None:
                command = self.get_command(ctx, name)
                summary = command.get_short_help_str(limit) if command is not None else ""
            rows.append((name, summary))
        with formatter.section("Commands"):
            formatter.write_dl(rows)

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

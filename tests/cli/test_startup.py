"""What a command imports before it does anything (issue 16, start-up): `digest --help` loads no
command's module, and a timer's tick with nothing due decides from [schedule] without importing
any stage of the run or any heavy library. Each runs as a fresh process under
`python -X importtime`, whose report names every module imported; no timing is asserted (the
CPU figures are `python -m tests.benchmarks startup`'s)."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

from digest.cli import COMMANDS, SUMMARIES
from tests.schedule_fixtures import tidewater_project, weekday_in

HEAVY = (
    "premailer",
    "dkim",
    "httpx",
    "feedparser",
    "email_validator",
    "starlette",
    "uvicorn",
    "jinja2",
    "extruct",
    "argon2",
    "markdown_it",
    "flufl",
    "cssutils",
    "smtplib",
    "digest.gather",
    "digest.compose",
    "digest.render",
    "digest.lint",
    "digest.deliver",
    "digest.feedback",
    "digest.pipeline",
    "digest.web",
)
"""Libraries and stages a command loads only where it uses them."""


def imported_modules(arguments: list[str], cwd: Path) -> tuple[set[str], str]:
    """The modules `python -m digest ARGUMENTS` imports, and what it printed."""
    child = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "digest", *arguments],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    modules = {
        line.rpartition("|")[2].strip()
        for line in child.stderr.splitlines()
        if line.startswith("import time:")
    }
    return modules, child.stdout + child.stderr


def heavy_among(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_help_lists_every_command_without_importing_one(tmp_path: Path) -> None:
    modules, printed = imported_modules(["--help"], tmp_path)
    assert all(f"  {name} " in printed for name in COMMANDS)
    assert sorted(m for m in modules if m.startswith("digest.cli.")) == []
    assert heavy_among(modules) == []


@pytest.mark.parametrize("send", [False, True], ids=["build", "send"])
def test_a_tick_with_nothing_due_imports_no_stage_and_no_heavy_library(tmp_path: Path, send: bool) -> None:
    config = tidewater_project(
        tmp_path / "tidewater", weekday=weekday_in(3), require_approval=True, approval_deadline="2h"
    )
    arguments = ["run", "--config", str(config), "--if-due", *(["--send"] if send else [])]
    modules, printed = imported_modules(arguments, tmp_path)
    assert "not due until" in printed
    assert heavy_among(modules) == []


def test_each_summary_is_the_start_of_its_commands_help() -> None:
    assert set(SUMMARIES) == set(COMMANDS)
    for name, (module, attribute) in COMMANDS.items():
        command = getattr(importlib.import_module(module), attribute)
        assert " ".join(command.help.split()).startswith(SUMMARIES[name]), name

"""Days and weeks on the command line: a bad `--date` is one line naming the value and the form
expected (exit 2), and `digest approve` / `reject` take the week's date as well as its issue id."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.runs.run import run_issue
from digest.settings import load_project_config
from tests.conftest import TEST_SECRET
from tests.schedule_fixtures import EDITOR, TIDEWATER_DATE, subscribe, tidewater_project
from tests.smtp_server import SmtpTestServer

FRIDAY_7AM = dt.datetime(2025, 3, 14, 7, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("14/03/2025", "is not a date"),
        ("2025-3-14", "is not a date"),
        ("2025-02-30", "is not a day in the calendar"),
        ("next friday", "is not a date"),
    ],
)
def test_a_bad_date_is_one_line_naming_it_and_the_form(tmp_path: Path, value: str, problem: str):
    config = tidewater_project(tmp_path / "tidewater")
    result = CliRunner().invoke(main, ["run", "--config", str(config), "--date", value])
    assert result.exit_code == 2
    assert result.stderr == f"error: --date: {value!r} {problem}; expected YYYY-MM-DD, e.g. 2025-03-14\n"
    assert "%Y" not in result.stderr and "Usage" not in result.stderr


def test_a_bad_issue_is_one_line(tmp_path: Path):
    config = str(tidewater_project(tmp_path / "tidewater"))
    runner = CliRunner()
    week = runner.invoke(main, ["approve", "2025-W54", "--config", config])
    assert (week.exit_code, week.stderr) == (2, "error: ISSUE: 2025 has no week 54 ('2025-W54')\n")
    neither = runner.invoke(main, ["reject", "W11", "--config", config])
    assert neither.exit_code == 2
    assert neither.stderr == (
        "error: ISSUE: 'W11' is neither an issue id like 2025-W11 nor a date (YYYY-MM-DD, e.g. 2025-03-14)\n"
    )


def test_approve_and_reject_take_any_day_of_the_issues_week(tmp_path: Path, monkeypatch):
    config = tidewater_project(tmp_path / "tidewater", require_approval=True)
    readers = subscribe(config, 2)
    runner = CliRunner()
    with SmtpTestServer() as server:
        monkeypatch.setenv("DIGEST_SECRET", TEST_SECRET)
        for name, value in server.environ().items():
            monkeypatch.setenv(name, value)
        proofed = run_issue(load_project_config(config), TIDEWATER_DATE, send=True, now=FRIDAY_7AM)
        assert "awaiting approval" in proofed.line
        # Monday of the ISO week 2025-W11; the issue itself is dated Friday the 14th.
        rejected = runner.invoke(main, ["reject", "2025-03-10", "--config", str(config), "--by", "Ada"])
        assert rejected.exit_code == 0, rejected.output
        assert rejected.stdout.startswith("2025-W11: rejected by Ada")
        approved = runner.invoke(main, ["approve", "2025-03-16", "--config", str(config), "--by", "Ada"])
        assert approved.exit_code == 0, approved.output
        # digest approve first shows what it sends (the proof's time, subject, audience), then sends it.
        assert approved.stdout.startswith("2025-W11: the proof sent ")
        assert "\n2025-W11: approved by Ada; sent to 2 subscribers" in approved.stdout
        assert server.copies == {EDITOR: 1, **dict.fromkeys(readers, 1)}

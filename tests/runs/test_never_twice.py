"""Never twice: a story sent in one of the last four issues (by canonical URL) is left out of the
next, unless the editor pins it; `digest compose --explain` says which issue sent it."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.runs.archive import load_archived_issue
from digest.runs.run import ExitCode, run_issue
from digest.settings import load_project_config
from digest.store import open_store
from digest.store.run_history import IssueHistory
from tests.conftest import TEST_SECRET, write_story
from tests.schedule_fixtures import TIDEWATER_DATE, subscribe, tidewater_project
from tests.smtp_server import SmtpTestServer

NEXT_WEEK = TIDEWATER_DATE + dt.timedelta(days=7)


def _next_week_folder(config: Path) -> Path:
    """2025-03-21: last week's six stories again (one of them with tracking on its link), three new
    ones, and the editor pinning last week's seagrass story as the lead."""
    folder = config.parent / NEXT_WEEK.isoformat()
    shutil.copytree(config.parent / TIDEWATER_DATE.isoformat(), folder)
    toml = folder / "issue.toml"
    toml.write_text('[issue]\ndate = 2025-03-21\nlead = "seagrass-returns"\n', encoding="utf-8")
    vote = folder / "stories" / "harbour-vote.md"
    vote.write_text(vote.read_text().replace("harbour-dredging-vote", "harbour-dredging-vote/?utm_source=x"))
    for n, title in enumerate(["Regatta week is on", "New ferry pontoon opens", "Oyster season closes"]):
        write_story(
            folder / "stories",
            f"new-{n}",
            f'title: "{title}"\nurl: "https://tidewater-press.example/news/new-{n}"\npublished: 2025-03-19',
        )
    return folder


@pytest.fixture
def sent_last_week(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    subscribe(config, 2)
    with SmtpTestServer() as server:
        environ = server.environ(DIGEST_SECRET=TEST_SECRET)
        first = run_issue(load_project_config(config), TIDEWATER_DATE, send=True, environ=environ)
        assert "sent to 2 subscribers" in first.line
        yield config, server, environ


def test_last_weeks_stories_are_left_out_unless_pinned(sent_last_week):
    config, server, environ = sent_last_week
    _next_week_folder(config)
    result = run_issue(load_project_config(config), NEXT_WEEK, send=True, environ=environ)
    assert result.exit_code is ExitCode.DONE, result.line
    assert result.issue_id == "2025-W12"
    issue = load_archived_issue(config.parent / "built", "2025-W12")
    assert issue.lead.id == "seagrass-returns"  # pinned: sent again on purpose
    assert sorted(s.id for s in issue.more_from) == ["new-0", "new-1", "new-2"]
    assert set(server.copies.values()) == {2}  # each reader: last week's issue and this one


def test_compose_explain_says_which_issue_sent_a_story(sent_last_week):
    config, _, _ = sent_last_week
    folder = _next_week_folder(config)
    shown = CliRunner().invoke(main, ["compose", str(folder), "--explain"])
    assert shown.exit_code == 0, shown.output
    explained = " ".join(shown.stdout.split())  # rich wraps to the terminal's width
    assert "sent in 2025-W11; pin it or list it in [issue] order to send it again" in explained
    as_json = CliRunner().invoke(main, ["compose", str(folder), "--json"])
    left_out = {item["id"]: item for item in json.loads(as_json.stdout)["left_out"]}
    # The tracking parameter does not hide the vote story: same canonical URL.
    assert left_out["harbour-vote"]["reason"] == "recently-sent"
    assert set(left_out) == {
        "crab-on-a-budget",
        "ferry-timetable-sponsored",
        "harbour-vote",
        "lifeboat-open-day",
        "tide-tables",
    }


def test_only_the_last_four_issues_count(tmp_path: Path):
    store = open_store(tmp_path / "digest.db")
    history = IssueHistory(store)
    for week in range(1, 7):
        history.remember_stories(
            f"2025-W{week:02d}", [f"https://example.com/w{week}", "https://example.com/every"]
        )
    recent = history.recently_sent("2025-W06")
    assert recent == {
        "https://example.com/w2": "2025-W02",
        "https://example.com/w3": "2025-W03",
        "https://example.com/w4": "2025-W04",
        "https://example.com/w5": "2025-W05",
        "https://example.com/every": "2025-W05",  # the latest issue that carried it
    }
    # An issue never counts against itself or earlier ones, and a new year sorts after the old.
    assert "https://example.com/w6" not in history.recently_sent("2025-W06")
    history.remember_stories("2024-W52", ["https://example.com/old"])
    assert "https://example.com/old" in history.recently_sent("2025-W01")
    store.close()

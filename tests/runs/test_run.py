"""`digest run`: one week's issue, built and archived under its id, with clear exit codes."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.errors import ConfigError
from digest.pipeline import render_folder
from digest.runs.archive import load_archived_issue
from digest.runs.run import ExitCode, run_issue
from digest.runs.week import due_issue_date, not_due
from digest.settings import load_project_config
from tests.conftest import write_story
from tests.schedule_fixtures import MERIDIAN_DATE, TIDEWATER_DATE, meridian_feed_project, tidewater_project

ARCHIVED_FILES = ["index.html", "issue.eml", "issue.json", "issue.txt"]


@pytest.fixture
def tidewater(tmp_path: Path):
    """The Tidewater sample project with a [schedule]; call again to rewrite its digest.toml."""

    def make(min_stories: int = 3) -> Path:
        return tidewater_project(tmp_path / "tidewater", min_stories=min_stories)

    return make


def test_a_week_is_built_and_archived_under_its_issue_id(tidewater):
    config = tidewater()
    project = load_project_config(config)
    result = run_issue(project, TIDEWATER_DATE)
    assert result.exit_code is ExitCode.DONE
    assert result.issue_id == "2025-W11"
    archived = config.parent / "built" / "2025-W11"
    assert result.archived == archived
    assert result.line == f"2025-W11: built, 6 stories, archived in {archived}"
    assert sorted(p.name for p in archived.iterdir()) == ARCHIVED_FILES
    # What is archived is exactly what `digest build` makes of the same folder.
    rendered, _ = render_folder(config.parent / "2025-03-14")
    assert (archived / "index.html").read_text(encoding="utf-8") == rendered.html
    assert (archived / "issue.txt").read_text(encoding="utf-8") == rendered.text
    assert b"Subject: Seagrass is back in Carrick Roads" in (archived / "issue.eml").read_bytes()


def test_a_rebuild_replaces_the_archived_issue_whole(tidewater):
    config = tidewater()
    project = load_project_config(config)
    run_issue(project, TIDEWATER_DATE)
    archived = config.parent / "built" / "2025-W11"
    (archived / "stale.html").write_text("from an older build")
    issue_toml = config.parent / "2025-03-14" / "issue.toml"
    issue_toml.write_text(issue_toml.read_text().replace("Seagrass is back", "Seagrass returns"))
    run_issue(project, TIDEWATER_DATE)
    assert sorted(p.name for p in archived.iterdir()) == ARCHIVED_FILES
    assert b"Subject: Seagrass returns" in (archived / "issue.eml").read_bytes()
    # No staging or retired folders are left behind, and the archive is readable by a web server.
    assert [p.name for p in (config.parent / "built").iterdir()] == ["2025-W11"]
    assert archived.stat().st_mode & 0o755 == 0o755


def test_a_thin_week_is_skipped_and_nothing_is_archived(tidewater):
    project = load_project_config(tidewater(min_stories=7))
    result = run_issue(project, TIDEWATER_DATE)
    assert result.exit_code is ExitCode.THIN_WEEK
    assert result.line == "2025-W11: skipped: a thin week, 6 stories (min_stories = 7)"
    assert not (project.archive_dir / "2025-W11").exists()


def test_a_week_with_no_folder_and_no_sources_is_a_clear_error(tidewater):
    project = load_project_config(tidewater())
    nothing = r"nothing to build for 2025-03-21: no issue folder \(.*/2025-03-21/issue\.toml\) and no \["
    with pytest.raises(ConfigError, match=nothing):
        run_issue(project, dt.date(2025, 3, 21))


def test_an_issue_folder_dated_differently_is_refused(tidewater):
    config = tidewater()
    shutil.copytree(config.parent / "2025-03-14", config.parent / "2025-03-21")
    with pytest.raises(
        ConfigError, match=r"\[issue\] date is 2025-03-14, but this folder is the issue of 2025-03-21"
    ):
        run_issue(load_project_config(config), dt.date(2025, 3, 21))


def test_cli_reads_digest_toml_in_the_current_folder(tidewater, monkeypatch):
    config = tidewater()
    monkeypatch.chdir(config.parent)
    result = CliRunner().invoke(main, ["run", "--date", "2025-03-14"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith(
        "2025-W11: built, 6 stories, archived in " + str(config.parent / "built" / "2025-W11")
    )


def test_cli_exit_codes_and_one_line_reasons(tidewater, tmp_path):
    runner = CliRunner()
    thin = runner.invoke(main, ["run", "--config", str(tidewater(min_stories=9)), "--date", "2025-03-14"])
    assert thin.exit_code == ExitCode.THIN_WEEK == 6
    assert (
        thin.stderr.strip().splitlines()[-1] == "2025-W11: skipped: a thin week, 6 stories (min_stories = 9)"
    )

    missing = runner.invoke(main, ["run", "--config", str(tmp_path / "nowhere.toml")])
    assert missing.exit_code == ExitCode.USER_ERROR == 2
    assert missing.stderr == f"error: {tmp_path / 'nowhere.toml'}: file not found\n"

    bad_date = runner.invoke(main, ["run", "--config", str(tidewater()), "--date", "14/03/2025"])
    assert bad_date.exit_code == 2
    assert (
        bad_date.stderr == "error: --date: '14/03/2025' is not a date; expected YYYY-MM-DD, e.g. 2025-03-14\n"
    )


FRIDAY_7AM_LONDON = dt.datetime(2025, 3, 14, 7, tzinfo=dt.UTC)  # GMT in March, until the 30th


@pytest.mark.parametrize(
    ("late_by", "due"),
    [
        (dt.timedelta(0), TIDEWATER_DATE),
        (dt.timedelta(minutes=10), TIDEWATER_DATE),
        (dt.timedelta(hours=6), TIDEWATER_DATE),  # the default grace
        (dt.timedelta(hours=6, seconds=1), None),
        (dt.timedelta(minutes=-1), None),
    ],
)
def test_if_due_runs_the_scheduled_issue_within_grace(tidewater, late_by, due):
    project = load_project_config(tidewater())
    assert due_issue_date(project, FRIDAY_7AM_LONDON + late_by) == due


def test_not_due_says_when_the_next_run_is(tidewater):
    project = load_project_config(tidewater())
    result = not_due(project, FRIDAY_7AM_LONDON + dt.timedelta(days=1))
    assert result.exit_code is ExitCode.DONE
    assert result.line == "2025-W12: not due until Fri 2025-03-21 07:00 GMT (07:00 UTC)"


def test_if_due_and_date_do_not_mix(tidewater):
    result = CliRunner().invoke(
        main, ["run", "--config", str(tidewater()), "--if-due", "--date", "2025-03-14"]
    )
    assert result.exit_code == 2
    assert "--if-due picks the date from [schedule]; leave out --date" in result.stderr


def test_stories_the_editor_excluded_do_not_fill_a_week(tidewater):
    config = tidewater(min_stories=3)
    issue_toml = config.parent / "2025-03-14" / "issue.toml"
    excluded = '["crab-on-a-budget", "lifeboat-open-day", "tide-tables", "harbour-vote"]'
    issue_toml.write_text(issue_toml.read_text().replace("[issue]\n", f"[issue]\nexclude = {excluded}\n"))
    result = run_issue(load_project_config(config), TIDEWATER_DATE)
    assert result.line == "2025-W11: skipped: a thin week, 2 stories (min_stories = 3)"


def test_lint_errors_stop_the_run_before_anything_is_archived(tidewater, caplog):
    config = tidewater()
    write_story(
        config.parent / "2025-03-14" / "stories",
        "harbour-vote-again",
        """
        title: "Dredging: the vote, again"
        url: "https://tidewater-press.example/news/harbour-dredging-vote"
        published: 2025-03-12T09:00:00Z
        """,
    )
    result = run_issue(load_project_config(config), TIDEWATER_DATE)
    assert result.exit_code is ExitCode.LINT_FAILED == 1
    assert result.line.startswith("2025-W11: stopped: not sendable: 1 lint error, first ")
    assert "first story-duplicate-url:" in result.line
    assert not (config.parent / "built" / "2025-W11").exists()
    assert "lint error story-duplicate-url" in caplog.text


# --- a week gathered from [[sources]], with no issue folder ---------------------------------------


def test_a_week_without_a_folder_is_gathered_from_the_sources(tmp_path):
    config = meridian_feed_project(tmp_path / "meridian")
    result = run_issue(load_project_config(config), MERIDIAN_DATE)
    assert result.exit_code is ExitCode.DONE, result.line
    assert result.issue_id == "2025-W02"
    issue = load_archived_issue(config.parent / "built", "2025-W02")
    # The feed's week: Jan 1 to the start of Jan 8 in New York. December's and Jan 8's items are out.
    assert sorted(s.id for s in issue.stories) == [
        "europe-pushes-back-on-musk",
        "kremlin-recruits-central-asia",
        "northwind-small-exporters",
        "treasury-sanctions-election-ai",
        "world-in-60-2025-01-07",
    ]
    assert result.line == f"2025-W02: built, 5 stories, archived in {config.parent / 'built' / '2025-W02'}"
    assert issue.date == MERIDIAN_DATE
    assert not (config.parent / "2025-01-08").exists()


def test_a_thin_gathered_week_counts_its_stories_and_source_problems(tmp_path):
    broken = '\n[[sources]]\nfeed = "feeds/missing.rss"\nname = "Gone"\n'
    config = meridian_feed_project(tmp_path / "meridian", min_stories=6, more_sources=broken)
    result = run_issue(load_project_config(config), MERIDIAN_DATE)
    assert result.exit_code is ExitCode.THIN_WEEK
    assert (
        result.line
        == "2025-W02: skipped: a thin week, 5 stories (min_stories = 6); 1 source problem (see the log)"
    )

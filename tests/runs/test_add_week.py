"""Which week `digest add` writes into: `--week DATE` the issue folder of that ISO week, else the
folder `digest run` reads for the week's scheduled date (started with a dated issue.toml); no
`--week`, the coming week; a folder named outright wins."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from digest.cli import main
from digest.runs.add import week_to_add_to
from tests.page_server import PageServer
from tests.schedule_fixtures import TIDEWATER_DATE, tidewater_project


@pytest.fixture(scope="module")
def pages() -> Iterator[PageServer]:
    with PageServer() as running:
        yield running


def test_week_date_picks_the_folder_of_that_week(tmp_path: Path, pages: PageServer, monkeypatch):
    config = tidewater_project(tmp_path / "tidewater")
    monkeypatch.chdir(config.parent)
    monday = TIDEWATER_DATE - dt.timedelta(days=TIDEWATER_DATE.weekday())
    result = CliRunner().invoke(
        main, ["add", pages.url("/blog-post"), "--allow-private", "--week", str(monday)]
    )
    assert result.exit_code == 0, result.output
    assert (config.parent / TIDEWATER_DATE.isoformat() / "stories" / "tide-gauges-moved.md").is_file()


def test_a_week_without_a_folder_gets_the_one_run_reads(tmp_path: Path, pages: PageServer, monkeypatch):
    config = tidewater_project(tmp_path / "tidewater")  # Fridays at 07:00
    monkeypatch.chdir(config.parent)
    result = CliRunner().invoke(main, ["add", pages.url("/plain"), "--allow-private", "--week", "2025-03-18"])
    assert result.exit_code == 0, result.output
    folder = config.parent / "2025-03-21"
    assert "date = 2025-03-21" in (folder / "issue.toml").read_text(encoding="utf-8")
    assert len(list((folder / "stories").glob("*.md"))) == 1


def test_no_week_is_the_coming_one(tmp_path: Path):
    config = tidewater_project(tmp_path / "tidewater")
    thursday = dt.datetime(2025, 3, 13, 12, tzinfo=dt.UTC)
    assert week_to_add_to(None, start=config.parent, now=thursday).issue.date == TIDEWATER_DATE


def test_a_bad_week_is_one_line(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["add", "https://example.org/", "--week", "next friday"])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: --week (a folder, or YYYY-MM-DD, e.g. 2025-03-14): 'next friday' is not a date; "
        "expected YYYY-MM-DD, e.g. 2025-03-14\n"
    )

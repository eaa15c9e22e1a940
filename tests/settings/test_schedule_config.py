"""digest.toml for unattended runs: [schedule] and [archive], each mistake one line naming the key."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from digest.errors import ConfigError
from digest.settings import load_project_config
from tests.conftest import NEWSLETTER_TOML

SCHEDULE_TOML = """
[schedule]
weekday = "monday"
time = "08:00"
timezone = "America/New_York"
grace = "6h"
min_stories = 3
require_approval = false
editors = ["Desk <desk@test-press.example>", "editor@test-press.example"]
"""


def write_project(folder: Path, schedule: str = SCHEDULE_TOML, extra: str = "") -> Path:
    path = folder / "digest.toml"
    path.write_text(NEWSLETTER_TOML + schedule + extra, encoding="utf-8")
    return path


def test_a_full_schedule_section(tmp_path: Path):
    config = load_project_config(write_project(tmp_path))
    schedule = config.schedule
    assert (schedule.weekday, schedule.time, config.timezone) == ("monday", dt.time(8, 0), "America/New_York")
    assert schedule.grace_period() == dt.timedelta(hours=6)
    assert schedule.min_stories == 3
    assert schedule.require_approval is False
    assert schedule.approval_window() is None
    assert schedule.editors == ["Desk <desk@test-press.example>", "editor@test-press.example"]
    assert config.archive_dir == tmp_path / "built"
    assert config.newsletter.name == "Test Weekly"


def test_defaults_need_only_the_editors(tmp_path: Path):
    config = load_project_config(
        write_project(tmp_path, '[schedule]\neditors = ["desk@test-press.example"]\n')
    )
    assert (config.schedule.weekday, config.schedule.time) == ("monday", dt.time(8, 0))
    assert config.schedule.grace_period() == dt.timedelta(hours=6)
    assert config.schedule.min_stories == 3
    # Without its own timezone, the schedule follows the newsletter's.
    assert config.timezone == "UTC"


def test_weekday_is_case_insensitive_and_toml_times_work(tmp_path: Path):
    schedule = '[schedule]\nweekday = "Friday"\ntime = 17:30:00\neditors = ["desk@test-press.example"]\n'
    config = load_project_config(write_project(tmp_path, schedule))
    assert (config.schedule.weekday, config.schedule.time) == ("friday", dt.time(17, 30))


def test_archive_path_is_relative_to_the_config_file(tmp_path: Path):
    config = load_project_config(write_project(tmp_path, extra='\n[archive]\npath = "issues/sent"\n'))
    assert config.archive_dir == tmp_path / "issues" / "sent"


@pytest.mark.parametrize(
    ("replace", "by", "line"),
    [
        (
            'weekday = "monday"',
            'weekday = "munday"',
            "[schedule] weekday: unknown weekday, did you mean 'monday' or 'sunday'? "
            "expected one of monday, tuesday, wednesday, thursday, friday, saturday, sunday (got 'munday')",
        ),
        (
            'timezone = "America/New_York"',
            'timezone = "America/New_Yrok"',
            "[schedule] timezone: unknown IANA timezone 'America/New_Yrok'",
        ),
        ('time = "08:00"', 'time = "8am"', "[schedule] time: must be in a valid time format"),
        (
            'grace = "6h"',
            'grace = "six hours"',
            "[schedule] grace: 'six hours' is not a duration",
        ),
        (
            "min_stories = 3",
            "min_stories = 0",
            "[schedule] min_stories: must be at least 1",
        ),
        ("require_approval = false", "require_approval = 'maybe'", "[schedule] require_approval:"),
        ('grace = "6h"', 'grace = "6h"\ngrase = "1h"', "[schedule] grase: unknown key"),
        (
            '"editor@test-press.example"',
            '"editor at test-press"',
            "[schedule] editors: 'editor at test-press': An email address must have an @-sign.",
        ),
    ],
)
def test_one_clear_line_naming_the_key(tmp_path: Path, replace: str, by: str, line: str):
    path = write_project(tmp_path, SCHEDULE_TOML.replace(replace, by))
    with pytest.raises(ConfigError) as caught:
        load_project_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    assert line in message


def test_grace_of_a_week_or_more_is_refused(tmp_path: Path):
    path = write_project(tmp_path, SCHEDULE_TOML.replace('grace = "6h"', 'grace = "7d"'))
    with pytest.raises(ConfigError, match=r"\[schedule\] grace: .*less than a week"):
        load_project_config(path)


def test_approval_deadline_without_require_approval_is_a_warning(tmp_path: Path, caplog):
    """A leftover deadline is said and ignored, not refused (issue 12, item 19)."""
    path = write_project(tmp_path, SCHEDULE_TOML + 'approval_deadline = "4h"\n')
    with caplog.at_level("WARNING", logger="digest.settings"):
        schedule = load_project_config(path).schedule
    assert schedule.approval_window() is None
    assert "[schedule] approval_deadline is ignored without require_approval = true" in caplog.text
    path = write_project(
        tmp_path,
        SCHEDULE_TOML.replace("require_approval = false", "require_approval = true")
        + 'approval_deadline = "4h"\n',
    )
    assert load_project_config(path).schedule.approval_window() == dt.timedelta(hours=4)


def test_editors_are_required(tmp_path: Path):
    path = write_project(tmp_path, "[schedule]\n")
    with pytest.raises(ConfigError, match=r"\[schedule\] editors: required key is missing"):
        load_project_config(path)


def test_several_mistakes_are_reported_together(tmp_path: Path):
    schedule = (
        '[schedule]\nweekday = "moonday"\ntimezone = "Nowhere/Town"\neditors = ["desk@test-press.example"]\n'
    )
    with pytest.raises(ConfigError) as caught:
        load_project_config(write_project(tmp_path, schedule))
    assert "[schedule] weekday" in str(caught.value)
    assert "[schedule] timezone" in str(caught.value)


def test_missing_config_file(tmp_path: Path):
    with pytest.raises(ConfigError, match=r"digest\.toml: file not found"):
        load_project_config(tmp_path / "digest.toml")


def test_the_project_file_also_holds_sources_gather_and_compose(tmp_path: Path):
    extra = (
        '\n[[sources]]\nfeed = "feeds/world.rss"\n\n[gather]\nsend_time = "08:00"\n\n[compose]\nlimit = 5\n'
    )
    config = load_project_config(write_project(tmp_path, extra=extra))
    assert [s.location for s in config.gathering.sources] == [str(tmp_path / "feeds" / "world.rss")]
    assert config.gathering.settings.send_time == dt.time(8, 0)
    assert config.compose.limit == 5


def test_a_mistake_in_another_table_or_an_unknown_table_is_named(tmp_path: Path):
    extra = '\n[[sources]]\nfeed = "ftp://example.com/feed"\n\n[schedul]\nweekday = "monday"\n'
    with pytest.raises(ConfigError) as caught:
        load_project_config(write_project(tmp_path, extra=extra))
    assert "[[sources]] #1 feed: must be an http(s) URL or a file path" in str(caught.value)
    assert "unknown table [schedul] (did you mean [schedule]?)" in str(caught.value)

"""[[sources]] and [gather] in digest.toml / issue.toml: declared, validated, resolved."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from digest.errors import ConfigError
from digest.model import SourceKind
from digest.settings import STATE_DIR_ENV, load_gather_config, load_issue_config
from tests.conftest import NEWSLETTER_TOML


@pytest.fixture(autouse=True)
def _no_state_override(monkeypatch):
    monkeypatch.delenv(STATE_DIR_ENV, raising=False)


def _project(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "digest.toml"
    path.write_text(NEWSLETTER_TOML + 'timezone = "Europe/London"\n' + extra, encoding="utf-8")
    return path


def _issue(folder: Path, extra: str = "", date: str = "2025-03-14") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "issue.toml").write_text(f"[issue]\ndate = {date}\n{extra}", encoding="utf-8")
    return folder


SOURCES = """
[[sources]]
feed = "https://tidewater-press.example/feed.xml"
name = "Tidewater Press"
sponsored_if_category = "Sponsored"
sponsor = "Falmouth Ferries"
teaser_length = 120

[[sources]]
feed = "feeds/harbour.atom"
sponsored_if_match = "^(Sponsored|Partner):"

[[sources]]
folder = "desk"
name = "Editors' desk"
section = "From the desk"

[gather]
send_time = "08:00"
timeout = 5
retries = 1
max_bytes = 2_000_000
"""


def test_project_sources_resolved_against_digest_toml(tmp_path: Path):
    config = load_gather_config(_project(tmp_path, SOURCES))
    press, harbour, desk = config.sources
    assert (press.kind, press.location, press.label) == (
        SourceKind.FEED,
        "https://tidewater-press.example/feed.xml",
        "Tidewater Press",
    )
    assert press.rules.sponsored_if_category == ("Sponsored",)
    assert (press.rules.sponsor, press.rules.teaser_length) == ("Falmouth Ferries", 120)
    assert harbour.location == str(tmp_path / "feeds" / "harbour.atom")
    assert harbour.rules.sponsored_if_match is not None
    assert harbour.rules.sponsored_if_match.search("partner: a word from our sponsor")  # case-insensitive
    assert (desk.kind, desk.location, desk.rules.section) == (
        SourceKind.FOLDER,
        str(tmp_path / "desk"),
        "From the desk",
    )
    assert config.timezone == "Europe/London"
    assert config.settings.send_time == dt.time(8, 0)
    policy = config.settings.http_policy()
    assert (policy.timeout, policy.retries, policy.max_bytes) == (5, 1, 2_000_000)
    assert config.state_dir == tmp_path / ".digest"
    assert config.issue_date is None


def test_issue_uses_the_project_sources_unless_it_lists_its_own(tmp_path: Path):
    _project(tmp_path, SOURCES)
    plain = load_issue_config(_issue(tmp_path / "2025-03-14")).gathering
    assert len(plain.sources) == 3 and plain.issue_date == dt.date(2025, 3, 14)
    assert plain.state_dir == tmp_path / ".digest"  # shared by every week, next to digest.toml

    special = _issue(
        tmp_path / "special",
        '[[sources]]\nfeed = "special.rss"\n[gather]\ndays = 14\nstate_dir = "state"\n',
    )
    config = load_issue_config(special).gathering
    (only,) = config.sources
    assert only.location == str(special / "special.rss")
    assert config.settings.days == 14
    assert config.settings.send_time == dt.time(8, 0)  # [gather] keys merge with digest.toml's
    assert config.state_dir == special / "state"


def test_issue_folder_without_digest_toml(tmp_path: Path):
    folder = tmp_path / "w"
    folder.mkdir()
    (folder / "issue.toml").write_text(
        NEWSLETTER_TOML + '[issue]\ndate = 2025-01-08\n[[sources]]\nfeed = "x.rss"\n', encoding="utf-8"
    )
    for path in (folder, folder / "issue.toml"):
        config = load_gather_config(path)
        assert config.sources[0].location == str(folder / "x.rss")
        assert config.state_dir == folder / ".digest"


def test_state_dir_from_the_environment_wins(tmp_path: Path, monkeypatch):
    monkeypatch.setenv(STATE_DIR_ENV, str(tmp_path / "elsewhere"))
    assert load_gather_config(_project(tmp_path, SOURCES)).state_dir == tmp_path / "elsewhere"


def test_defaults_without_any_file(tmp_path: Path):
    config = load_gather_config(cwd=tmp_path)
    assert config.sources == () and config.timezone == "UTC"
    assert config.state_dir == tmp_path / ".digest"


def test_found_from_the_working_directory(tmp_path: Path):
    _project(tmp_path, SOURCES)
    (tmp_path / "sub").mkdir()
    assert len(load_gather_config(cwd=tmp_path / "sub").sources) == 3
    issue = _issue(tmp_path / "2025-03-14")
    assert load_gather_config(cwd=issue).issue_date == dt.date(2025, 3, 14)


def test_other_commands_tables_are_left_alone(tmp_path: Path):
    path = _project(tmp_path, SOURCES + '\n[schedule]\nweekday = "monday"\n')
    assert len(load_gather_config(path).sources) == 3


def test_every_mistake_named_with_file_and_key(tmp_path: Path):
    path = _project(
        tmp_path,
        """
[[sources]]
name = "Neither"

[[sources]]
feed = "ftp://old.example/feed"

[[sources]]
feed = "a.rss"
folder = "b"

[[sources]]
feed = "https://x.example/feed"
sponsored_if_match = "(unclosed"
teaser_length = 5
colour = "red"

[gather]
days = 0
send_time = "breakfast"
""",
    )
    with pytest.raises(ConfigError) as caught:
        load_gather_config(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: invalid settings:")
    for expected in (
        '[[sources]] #1 folder: a source needs feed = "PATH or URL" or folder = "PATH"',
        "[[sources]] #2 feed: must be an http(s) URL or a file path",
        "[[sources]] #3 folder: give feed or folder, not both",
        "[[sources]] #4 sponsored_if_match: not a regular expression",
        "[[sources]] #4 teaser_length:",
        "[[sources]] #4 colour: unknown key",
        "[gather] days:",
        "[gather] send_time:",
    ):
        assert expected in message, expected


def test_issue_toml_mistakes_are_reported_by_build_too(tmp_path: Path):
    _project(tmp_path, "")
    folder = _issue(tmp_path / "w", '[[sources]]\nfolder = "x"\nteaser = 3\n')
    with pytest.raises(ConfigError, match=r"\[\[sources\]\] #1 teaser: unknown key"):
        load_issue_config(folder)


def test_every_gather_setting_is_documented_in_the_readme():
    from digest.settings import GatherSettings, SourceSettings

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Gathering the week's stories", 1)[1]
    for model in (SourceSettings, GatherSettings):
        for key in model.model_fields:
            assert f"\n{key} = " in section, f"{model.__name__}.{key} is not in the README's gather section"

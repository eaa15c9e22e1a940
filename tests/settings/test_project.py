"""Finding a project's issue folders: every issue.toml under it, and nothing that is not one."""

from __future__ import annotations

from pathlib import Path

import pytest

from digest.errors import ConfigError
from digest.settings.project import find_issue_folders, project_root
from tests.conftest import SAMPLES


def make_issue(folder: Path) -> Path:
    (folder / "stories").mkdir(parents=True)
    (folder / "issue.toml").write_text("[issue]\ndate = 2025-01-01\n", encoding="utf-8")
    return folder


def test_the_sample_project_has_both_weeks():
    found = find_issue_folders(SAMPLES)
    assert [f.key for f in found] == ["meridian-2025-01-08", "tidewater/2025-03-14"]
    assert all((f.path / "issue.toml").is_file() for f in found)


def test_hidden_tool_and_output_folders_are_not_searched(tmp_path: Path):
    make_issue(tmp_path / "2025" / "w01")
    for skipped in (".git/x", "node_modules/pkg", ".venv/lib", "out/old"):
        make_issue(tmp_path / skipped)
    assert [f.key for f in find_issue_folders(tmp_path)] == ["2025/w01"]


def test_an_issue_folder_is_not_searched_for_more_issues(tmp_path: Path):
    outer = make_issue(tmp_path / "outer")
    make_issue(outer / "attachments" / "inner")
    assert [f.key for f in find_issue_folders(tmp_path)] == ["outer"]


def test_an_issue_folder_given_directly_goes_by_its_name(tmp_path: Path):
    issue = make_issue(tmp_path / "w05")
    assert [(f.key, f.path) for f in find_issue_folders(issue)] == [("w05", issue)]


def test_a_missing_folder_is_an_error(tmp_path: Path):
    with pytest.raises(ConfigError, match="folder not found"):
        find_issue_folders(tmp_path / "nope")


def test_the_project_of_an_issue_is_where_its_digest_toml_is(tmp_path: Path):
    (tmp_path / "digest.toml").write_text("[newsletter]\n", encoding="utf-8")
    issue = make_issue(tmp_path / "issues" / "2025" / "w01")
    assert project_root(issue) == tmp_path
    assert project_root(tmp_path / "issues") == tmp_path / "issues", "a folder of issues is its own project"


def test_without_a_digest_toml_the_project_is_the_folder_holding_the_issue(tmp_path: Path):
    issue = make_issue(tmp_path / "weekly" / "w01")
    assert project_root(issue) == tmp_path / "weekly"

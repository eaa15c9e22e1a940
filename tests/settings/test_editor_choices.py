"""Writing the editor's choices into issue.toml: the right keys, and nothing else disturbed."""

from __future__ import annotations

import datetime as dt
import os
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.errors import ConfigError
from digest.settings import IssueSettings
from digest.settings.editor_choices import edit_issue_file, write_choices

ISSUE_TOML = """\
# The editor's file: every comment here must survive the preview's buttons.
[newsletter]
name = "Test Weekly"   # shown in the header

[issue]
date = 2025-02-03
lead = "lead-story"    # pinned on Monday's call
# the subject is the lead's title unless set
exclude = [ "old" ]

[stories.second]
title = "A better title"
"""


def choices(**changes) -> IssueSettings:
    base = {"date": dt.date(2025, 2, 3), "lead": "lead-story", "exclude": ["old"]}
    return IssueSettings(**{**base, **changes})


def test_changing_the_lead_changes_one_line_and_keeps_its_comment():
    updated = write_choices(ISSUE_TOML, choices(lead="second"))
    assert updated == ISSUE_TOML.replace('lead = "lead-story"', 'lead = "second"')


def test_unpinning_removes_the_key_only():
    updated = write_choices(ISSUE_TOML, choices(lead=None))
    assert "lead =" not in updated
    assert updated.count("\n") == ISSUE_TOML.count("\n") - 1
    assert "# the subject is the lead's title unless set" in updated


def test_unchanged_keys_keep_the_editors_own_formatting():
    assert write_choices(ISSUE_TOML, choices()) == ISSUE_TOML  # `[ "old" ]`, spacing and all


def test_new_keys_go_into_the_issue_table_not_a_later_one():
    updated = write_choices(ISSUE_TOML, choices(order=["second", "third", "fourth"], exclude=[]))
    parsed = tomllib.loads(updated)
    assert parsed["issue"]["order"] == ["second", "third", "fourth"]
    assert "exclude" not in parsed["issue"]
    assert parsed["stories"] == {"second": {"title": "A better title"}}
    # One id per line once a list is long: moving a story is then a one-line diff.
    assert 'order = [\n    "second",\n    "third",\n    "fourth",\n]' in updated


def test_short_lists_stay_on_one_line():
    updated = write_choices(ISSUE_TOML, choices(exclude=["old", "older"]))
    assert 'exclude = ["old", "older"]' in updated


def test_a_file_without_an_issue_table_gets_one():
    updated = write_choices('[newsletter]\nname = "N"\n', IssueSettings(date="2025-01-01", lead="x"))
    assert tomllib.loads(updated)["issue"] == {"lead": "x"}


def test_an_issue_key_that_is_not_a_table_is_an_error():
    with pytest.raises(ConfigError, match=r"\[issue\] must be a table"):
        write_choices('issue = "oops"\n', choices())


story_ids = st.sampled_from(["a", "b-2", "c.3", "d_4", 'quote"d', "ünï", "back\\slash"])


@settings(max_examples=80, deadline=None)
@given(
    lead=st.none() | story_ids,
    order=st.lists(story_ids, unique=True, max_size=5),
    exclude=st.lists(story_ids, unique=True, max_size=4),
)
def test_any_choices_read_back_exactly_and_every_comment_survives(lead, order, exclude):
    updated = write_choices(ISSUE_TOML, choices(lead=lead, order=order, exclude=exclude))
    issue = tomllib.loads(updated)["issue"]
    assert issue.get("lead") == lead
    assert issue.get("order", []) == order
    assert issue.get("exclude", []) == exclude
    for line in ISSUE_TOML.splitlines():
        if line.lstrip().startswith("#"):
            assert line in updated
    assert "# pinned on Monday's call" in updated or lead is None


def test_edit_issue_file_replaces_the_file_and_keeps_its_mode(tmp_path: Path):
    path = tmp_path / "issue.toml"
    path.write_text(ISSUE_TOML, encoding="utf-8")
    path.chmod(0o640)
    assert edit_issue_file(tmp_path, lambda text: write_choices(text, choices(lead="second")))
    assert 'lead = "second"    # pinned' in path.read_text(encoding="utf-8")
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["issue.toml"], "no temporary file is left behind"


def test_an_edit_that_changes_nothing_leaves_the_file_alone(tmp_path: Path):
    path = tmp_path / "issue.toml"
    path.write_text(ISSUE_TOML, encoding="utf-8")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    assert not edit_issue_file(tmp_path, lambda text: write_choices(text, choices()))
    assert path.stat().st_mtime_ns == 1_000_000_000


def test_errors_name_the_file(tmp_path: Path):
    with pytest.raises(ConfigError, match="file not found") as missing:
        edit_issue_file(tmp_path, lambda text: text)
    assert missing.value.where == str(tmp_path / "issue.toml")
    (tmp_path / "issue.toml").write_text("[issue\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML") as broken:
        edit_issue_file(tmp_path, lambda text: write_choices(text, choices()))
    assert broken.value.where == str(tmp_path / "issue.toml")

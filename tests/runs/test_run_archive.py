"""The run archive keeps each built issue whole, and gives back exactly the issue that was built."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.model import StoryKind
from digest.pipeline import render_folder
from digest.runs.archive import (
    ArchiveError,
    archive_issue,
    issue_from_json,
    issue_to_json,
    load_archived_issue,
)


def test_an_archived_issue_reads_back_equal(sample_week: Path, tmp_path: Path):
    rendered, _ = render_folder(sample_week)
    files = archive_issue(rendered, tmp_path / "archive")
    assert files["data"] == tmp_path / "archive" / rendered.issue.issue_id / "issue.json"
    assert load_archived_issue(tmp_path / "archive", rendered.issue.issue_id) == rendered.issue


text = st.text(st.characters(blacklist_categories=["Cs"]), max_size=40)


@settings(max_examples=50, deadline=None)
@given(
    title=text,
    summary=text,
    kind=st.sampled_from(list(StoryKind)),
    published=st.none() | st.datetimes(timezones=st.timezones()),
)
def test_any_story_text_survives_the_round_trip(sample_week_issue, title, summary, kind, published):
    lead = dataclasses.replace(
        sample_week_issue.lead, title=title, summary=summary, kind=kind, published=published
    )
    issue = dataclasses.replace(sample_week_issue, lead=lead)
    again = issue_from_json(issue_to_json(issue))
    # Aware datetimes in a DST fold never compare equal across tzinfo types (PEP 495), so the
    # time is checked as an instant plus its offset, and everything else as a whole.
    if published is None:
        assert again.lead.published is None
    else:
        assert again.lead.published.timestamp() == published.timestamp()
        assert again.lead.published.utcoffset() == published.utcoffset()
    assert dataclasses.replace(again, lead=dataclasses.replace(again.lead, published=published)) == issue


@pytest.fixture(scope="module")
def sample_week_issue():
    from tests.conftest import SAMPLE_WEEKS

    rendered, _ = render_folder(SAMPLE_WEEKS["tidewater"])
    return rendered.issue


def test_a_missing_archive_is_a_clear_error(tmp_path: Path):
    with pytest.raises(ArchiveError, match=r"2025-W02/issue\.json: not built yet"):
        load_archived_issue(tmp_path, "2025-W02")


def test_a_damaged_archive_is_a_clear_error(tmp_path: Path):
    (tmp_path / "2025-W02").mkdir()
    (tmp_path / "2025-W02" / "issue.json").write_text('{"date": "soon"}')
    with pytest.raises(ArchiveError, match="cannot read the archived issue"):
        load_archived_issue(tmp_path, "2025-W02")


def test_dates_keep_their_type(sample_week_issue):
    again = issue_from_json(issue_to_json(sample_week_issue))
    assert type(again.date) is dt.date
    assert isinstance(again.more_from, tuple)

"""The week: its window, canonical links, duplicates across sources, first-seen dates, failures."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from digest.gather import (
    GatherOptions,
    Window,
    collapse_duplicates,
    gather_week,
    title_key,
    unique_ids,
    week_window,
)
from digest.model import HttpPolicy, Image, Source, SourceKind, Story
from digest.urls import canonical_url, without_tracking
from tests.gather.test_gather_feeds import FEEDS, NOW, WEEK, feed

NEW_YORK = ZoneInfo("America/New_York")


class TestWindow:
    def test_default_is_the_seven_days_before_the_issue_date(self):
        window = week_window(dt.date(2025, 1, 8), "America/New_York")
        assert window.start == dt.datetime(2025, 1, 1, 0, 0, tzinfo=NEW_YORK)
        assert window.end == dt.datetime(2025, 1, 8, 0, 0, tzinfo=NEW_YORK)

    def test_send_time_moves_both_ends(self):
        window = week_window(dt.date(2025, 1, 8), "America/New_York", send_time=dt.time(8, 0))

        def at(day: int, hour: int, minute: int) -> str:
            return window.drop_reason(dt.datetime(2025, 1, day, hour, minute, tzinfo=NEW_YORK))

        assert at(8, 7, 59) == ""
        assert at(8, 8, 0) == "published after the week"
        assert at(1, 7, 59) == "published before the week"
        assert at(1, 8, 0) == ""

    def test_start_included_end_excluded_in_any_zone(self):
        window = week_window(dt.date(2025, 1, 8), "America/New_York")
        assert window.drop_reason(dt.datetime(2025, 1, 1, 5, 0, tzinfo=dt.UTC)) == ""
        assert window.drop_reason(dt.datetime(2025, 1, 8, 5, 0, tzinfo=dt.UTC)) == "published after the week"

    def test_a_week_across_the_spring_change_is_seven_calendar_days(self):
        window = week_window(dt.date(2025, 3, 14), "America/New_York")
        assert window.start == dt.datetime(2025, 3, 7, tzinfo=NEW_YORK)
        # Python subtracts same-zone times on the wall clock; in absolute time the week is 167 h.
        assert window.end.astimezone(dt.UTC) - window.start.astimezone(dt.UTC) == dt.timedelta(hours=167)

    def test_naive_or_empty_windows_are_refused(self):
        with pytest.raises(ValueError, match="timezone-aware"):
            Window(dt.datetime(2025, 1, 1), dt.datetime(2025, 1, 8))
        with pytest.raises(ValueError, match="start before it ends"):
            Window(NOW, NOW)


class TestCanonicalUrl:
    @pytest.mark.parametrize(
        "a, b",
        [
            ("https://x.example/a/?utm_source=rss&utm_medium=feed", "https://x.example/a"),
            ("https://x.example/a?fbclid=IwAR0abc", "https://x.example/a/"),
            ("https://x.example/a#comments", "https://x.example/a"),
            ("http://X.Example:80/a", "https://x.example/a"),
            ("https://x.example/a?b=2&a=1", "https://x.example/a?a=1&b=2"),
            ("https://x.example", "https://x.example/"),
        ],
    )
    def test_same_page(self, a, b):
        assert canonical_url(a) == canonical_url(b)

    @pytest.mark.parametrize(
        "a, b",
        [
            ("https://x.example/a?id=1", "https://x.example/a?id=2"),
            ("https://x.example/a", "https://y.example/a"),
            ("https://x.example/a", "https://x.example/A"),
            ("https://x.example:8443/a", "https://x.example/a"),
        ],
    )
    def test_different_pages(self, a, b):
        assert canonical_url(a) != canonical_url(b)

    def test_published_link_keeps_everything_but_trackers(self):
        assert (
            without_tracking("https://x.example/a/?page=2&utm_campaign=w&UTM_SOURCE=x#part")
            == "https://x.example/a/?page=2#part"
        )


def _story(story_id: str, url: str, title: str, summary: str = "", image: bool = False) -> Story:
    return Story(
        id=story_id,
        title=title,
        url=url,
        summary=summary,
        image=Image(url="https://img.example/x.jpg") if image else None,
    )


class TestDuplicates:
    def test_same_url_keeps_the_richer_version(self):
        stories = [
            _story("a", "https://x.example/story?utm_source=rss", "Short version of the story", "<p>Hi</p>"),
            _story("b", "https://x.example/story/", "Other wording entirely here", "<p>Hi</p>", image=True),
        ]
        kept, replaced_by = collapse_duplicates(stories)
        assert kept == [1] and replaced_by == {0: 1}

    def test_longer_summary_wins_when_neither_has_an_image(self):
        stories = [
            _story("a", "https://x.example/1", "Harbour vote splits the town", "<p>Short.</p>"),
            _story("b", "https://y.example/2", "Harbour Vote Splits The Town!", "<p>Much longer text.</p>"),
        ]
        assert collapse_duplicates(stories) == ([1], {0: 1})

    def test_tie_goes_to_the_earlier_source(self):
        stories = [
            _story("a", "https://x.example/1", "Harbour vote splits the town"),
            _story("b", "https://x.example/1", "Harbour vote splits the town"),
        ]
        assert collapse_duplicates(stories) == ([0], {1: 0})

    def test_short_generic_titles_do_not_collapse(self):
        stories = [
            _story("a", "https://x.example/video-1", "Video"),
            _story("b", "https://y.example/video-2", "Video"),
        ]
        assert collapse_duplicates(stories) == ([0, 1], {})

    def test_title_key_folds_case_punctuation_and_width(self):
        assert title_key("Ｋremlin — recruits, soldiers!") == title_key("kremlin recruits soldiers")

    def test_across_feeds_with_a_report_line(self):
        result = gather_week([feed("meridian-world.rss"), feed("harbour-gazette.atom")], WEEK, now=NOW)
        kremlin = [s for s in result.stories if "Kremlin recruits" in s.title]
        assert len(kremlin) == 1 and kremlin[0].source == "meridian-world.rss"
        atom = result.report[1]
        assert dict(atom.dropped) == {"duplicate of a story from meridian-world.rss": 1}
        assert (atom.in_window, atom.kept) == (3, 2)

    def test_ids_made_unique(self):
        stories = [_story("a", "https://x/1", "T1"), _story("a", "https://x/2", "T2"), _story("b", "u", "T3")]
        assert [s.id for s in unique_ids(stories, taken={"b"})] == ["a", "a-2", "b-2"]


class TestFirstSeen:
    def test_kept_in_the_state_folder_and_reused_next_run(self, tmp_path: Path):
        options = GatherOptions(state_dir=tmp_path / ".digest")
        first = gather_week([feed("field-notes.json")], WEEK, options=options, now=NOW)
        later = NOW + dt.timedelta(days=2)
        second = gather_week([feed("field-notes.json")], WEEK, options=options, now=later)
        undated = "https://fieldnotes.example/2025/01/undated-letter"
        for result in (first, second):
            (story,) = [s for s in result.stories if s.url == undated]
            assert story.published == NOW
        state = json.loads((tmp_path / ".digest" / "first-seen.json").read_text())
        assert state["entries"] == {canonical_url(undated): NOW.isoformat()}

    def test_first_seen_after_the_week_is_outside_it(self):
        after = WEEK.end + dt.timedelta(hours=1)
        result = gather_week([feed("field-notes.json")], WEEK, now=after)
        assert not any(s.url.endswith("undated-letter") for s in result.stories)
        assert dict(result.report[0].dropped)["published after the week"] == 1

    def test_a_damaged_state_file_is_a_warning_not_a_crash(self, tmp_path: Path):
        (tmp_path / "first-seen.json").write_text("{not json", encoding="utf-8")
        result = gather_week(
            [feed("field-notes.json")], WEEK, options=GatherOptions(state_dir=tmp_path), now=NOW
        )
        assert any("unreadable first-seen state" in line for line in result.problems())
        assert json.loads((tmp_path / "first-seen.json").read_text())["version"] == 1


class TestFailures:
    def test_one_bad_source_does_not_stop_the_others(self, tmp_path: Path):
        (tmp_path / "empty.rss").write_text(
            '<?xml version="1.0"?><rss version="2.0"><channel><title>Empty</title></channel></rss>'
        )
        (tmp_path / "garbage.json").write_bytes(b'{"items": [')
        sources = [
            feed("meridian-world.rss"),
            Source(kind=SourceKind.FEED, location=str(tmp_path / "missing.rss"), name="Missing"),
            Source(kind=SourceKind.FEED, location=str(tmp_path / "empty.rss"), name="Empty"),
            Source(kind=SourceKind.FEED, location=str(tmp_path / "garbage.json"), name="Garbage"),
            Source(kind=SourceKind.FOLDER, location=str(tmp_path / "nowhere"), name="Nowhere"),
            Source(kind=SourceKind.FEED, location=str(tmp_path), name="A folder"),
            feed("youtube-channel.xml"),
        ]
        result = gather_week(sources, WEEK, now=NOW)
        assert [r.source for r in result.failed] == ["Missing", "Empty", "Garbage", "Nowhere", "A folder"]
        assert [line for line in result.problems() if line.startswith("error:")] == [
            "error: Missing: file not found",
            "error: Empty: the feed has no entries",
            "error: Garbage: not valid JSON (Expecting value: line 1 column 12 (char 11))",
            "error: Nowhere: story folder not found",
            "error: A folder: is a folder: list it as folder = ... to read story files",
        ]
        assert {s.source for s in result.stories} == {"meridian-world.rss", "youtube-channel.xml"}

    def test_a_local_file_over_the_cap(self, tmp_path: Path):
        big = tmp_path / "big.rss"
        big.write_bytes((FEEDS / "meridian-world.rss").read_bytes())
        options = GatherOptions(http=HttpPolicy(max_bytes=1024))
        source = Source(kind=SourceKind.FEED, location=str(big))
        (report,) = gather_week([source], WEEK, options=options, now=NOW).report
        assert report.error.endswith("over the 1024-byte cap")

    def test_the_library_never_raises_for_a_bad_reader(self, monkeypatch):
        # A reader bug is contained to its source and said plainly, never a traceback.
        from digest.gather.readers import RssAtomReader

        def explode(self, document, context):
            raise RuntimeError("boom")

        monkeypatch.setattr(RssAtomReader, "read", explode)
        result = gather_week([feed("meridian-world.rss"), feed("field-notes.json")], WEEK, now=NOW)
        assert result.report[0].error == "unexpected error while reading (RuntimeError: boom)"
        assert result.report[1].kept == 4


class TestPruning:
    """Entries outside the window are dropped before feedparser reads them; it must not show."""

    EVERYTHING = Window(dt.datetime(1990, 1, 1, tzinfo=dt.UTC), dt.datetime(2100, 1, 1, tzinfo=dt.UTC))

    @settings(max_examples=25, deadline=None)
    @given(
        name=st.sampled_from(sorted(p.name for p in FEEDS.iterdir() if p.suffix != ".html")),
        start=st.datetimes(min_value=dt.datetime(2024, 12, 28), max_value=dt.datetime(2025, 1, 10)),
        hours=st.integers(1, 24 * 10),
    )
    # Ends between an entry's <published> (inside) and its <updated> (after): pruning by the
    # wrong date would lose it.
    @example(name="harbour-gazette.atom", start=dt.datetime(2025, 1, 2, 8, 0), hours=24)
    @example(name="youtube-channel.xml", start=dt.datetime(2025, 1, 6, 22, 0), hours=24)
    def test_same_stories_as_filtering_everything(self, name: str, start: dt.datetime, hours: int):
        window = Window(
            start.replace(tzinfo=dt.UTC), start.replace(tzinfo=dt.UTC) + dt.timedelta(hours=hours)
        )
        narrow = gather_week([feed(name)], window, now=NOW)
        wide = gather_week([feed(name)], self.EVERYTHING, now=NOW)
        expected = [s for s in wide.stories if window.drop_reason(s.published) == ""]
        assert list(narrow.stories) == expected
        assert narrow.report[0].parsed == wide.report[0].parsed

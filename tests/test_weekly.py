"""The weekly send time: weekday + wall-clock time in an IANA zone, right across both DST changes."""

from __future__ import annotations

import datetime as dt
import itertools
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from digest.weekly import (
    WEEKDAYS,
    WeeklySlot,
    format_duration,
    issue_id_for,
    parse_duration,
)

UTC = dt.UTC
MONDAY, SUNDAY = 0, 6


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def local(instant: dt.datetime, zone: str) -> str:
    return instant.astimezone(ZoneInfo(zone)).strftime("%a %Y-%m-%d %H:%M %Z")


# Monday 08:00 across each zone's spring and autumn change in 2025: the UTC instant moves by an hour,
# the wall clock never does. (Sydney's seasons are the other way round: April ends summer time.)
ACROSS_DST = [
    ("America/New_York", utc(2025, 3, 5), "Mon 2025-03-10 08:00 EDT", utc(2025, 3, 10, 12)),
    ("America/New_York", utc(2025, 3, 3, 12), "Mon 2025-03-03 08:00 EST", utc(2025, 3, 3, 13)),
    ("America/New_York", utc(2025, 10, 29), "Mon 2025-11-03 08:00 EST", utc(2025, 11, 3, 13)),
    ("Europe/London", utc(2025, 3, 26), "Mon 2025-03-31 08:00 BST", utc(2025, 3, 31, 7)),
    ("Europe/London", utc(2025, 10, 22), "Mon 2025-10-27 08:00 GMT", utc(2025, 10, 27, 8)),
    ("Australia/Sydney", utc(2025, 4, 2), "Mon 2025-04-07 08:00 AEST", utc(2025, 4, 6, 22)),
    ("Australia/Sydney", utc(2025, 10, 1), "Mon 2025-10-06 08:00 AEDT", utc(2025, 10, 5, 21)),
]


@pytest.mark.parametrize(("zone", "now", "wall", "instant"), ACROSS_DST)
def test_monday_eight_oclock_stays_eight_oclock_across_dst(zone, now, wall, instant):
    slot = WeeklySlot(MONDAY, dt.time(8, 0), zone)
    upcoming = slot.next_run(now)
    assert upcoming == instant
    assert local(upcoming, zone) == wall


@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London", "Australia/Sydney", "Asia/Kolkata"])
def test_a_years_runs_are_weekly_on_the_wall_clock(zone):
    slot = WeeklySlot(MONDAY, dt.time(8, 0), zone)
    runs = slot.runs_between(utc(2024, 12, 31), utc(2025, 12, 31))
    assert len(runs) == 52
    assert {local(r, zone)[:3] for r in runs} == {"Mon"}
    assert {local(r, zone)[15:20] for r in runs} == {"08:00"}
    # Two DST changes a year (none in Kolkata): the UTC gaps are a week, a week less an hour, or more.
    gaps = {b - a for a, b in itertools.pairwise(runs)}
    expected = {dt.timedelta(days=7)}
    if zone != "Asia/Kolkata":
        expected |= {dt.timedelta(days=7, hours=-1), dt.timedelta(days=7, hours=1)}
    assert gaps == expected


# The spring gap: the wall-clock time does not exist that Sunday. Documented: the run happens at that
# time by the old offset, which the new clock shows an hour later. Never skipped, never another day.
SPRING_GAP = [
    ("America/New_York", dt.time(2, 30), utc(2025, 3, 8), utc(2025, 3, 9, 7, 30), "Sun 2025-03-09 03:30 EDT"),
    ("Europe/London", dt.time(1, 30), utc(2025, 3, 29), utc(2025, 3, 30, 1, 30), "Sun 2025-03-30 02:30 BST"),
    (
        "Australia/Sydney",
        dt.time(2, 30),
        utc(2025, 10, 3),
        utc(2025, 10, 4, 16, 30),
        "Sun 2025-10-05 03:30 AEDT",
    ),
]


@pytest.mark.parametrize(("zone", "at", "now", "instant", "wall"), SPRING_GAP)
def test_a_time_in_the_spring_gap_runs_shifted_forward_by_the_gap(zone, at, now, instant, wall):
    slot = WeeklySlot(SUNDAY, at, zone)
    upcoming = slot.next_run(now)
    assert upcoming == instant
    assert local(upcoming, zone) == wall
    # The week after is back at the configured wall-clock time.
    assert local(slot.next_run(upcoming), zone)[15:20] == at.strftime("%H:%M")


# The autumn overlap: the wall-clock time happens twice. Documented: the run happens once, at the
# first of them (still summer time); asked again in between, the next run is a week later.
AUTUMN_OVERLAP = [
    (
        "America/New_York",
        dt.time(1, 30),
        utc(2025, 11, 1),
        utc(2025, 11, 2, 5, 30),
        "Sun 2025-11-02 01:30 EDT",
    ),
    (
        "Europe/London",
        dt.time(1, 30),
        utc(2025, 10, 25),
        utc(2025, 10, 26, 0, 30),
        "Sun 2025-10-26 01:30 BST",
    ),
    (
        "Australia/Sydney",
        dt.time(2, 30),
        utc(2025, 4, 4),
        utc(2025, 4, 5, 15, 30),
        "Sun 2025-04-06 02:30 AEDT",
    ),
]


@pytest.mark.parametrize(("zone", "at", "now", "instant", "wall"), AUTUMN_OVERLAP)
def test_a_time_in_the_autumn_overlap_runs_once_at_its_first_occurrence(zone, at, now, instant, wall):
    slot = WeeklySlot(SUNDAY, at, zone)
    first = slot.next_run(now)
    assert first == instant
    assert local(first, zone) == wall
    second_occurrence = first + dt.timedelta(hours=1)  # the same wall-clock time, on standard time
    assert local(second_occurrence, zone)[15:20] == at.strftime("%H:%M")
    for asked_at in (first, first + dt.timedelta(minutes=30), second_occurrence):
        assert slot.next_run(asked_at) == slot.on(
            first.astimezone(ZoneInfo(zone)).date() + dt.timedelta(days=7)
        )
    assert slot.runs_between(first - dt.timedelta(hours=3), first + dt.timedelta(hours=3)) == [first]


def test_next_run_is_strictly_after_now_and_previous_run_at_or_before():
    slot = WeeklySlot(MONDAY, dt.time(8, 0), "America/New_York")
    at_the_time = utc(2025, 1, 13, 13)  # Monday 08:00 EST exactly
    assert slot.next_run(at_the_time) == utc(2025, 1, 20, 13)
    assert slot.previous_run(at_the_time) == at_the_time
    assert slot.previous_run(at_the_time - dt.timedelta(seconds=1)) == utc(2025, 1, 6, 13)


def test_naive_datetimes_are_refused():
    slot = WeeklySlot(MONDAY, dt.time(8, 0), "UTC")
    with pytest.raises(ValueError, match="timezone-aware"):
        slot.next_run(dt.datetime(2025, 1, 1))


ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "Pacific/Auckland", "Asia/Tokyo", "UTC"]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    weekday=st.integers(0, 6),
    at=st.times(),
    now=st.datetimes(
        min_value=dt.datetime(2020, 1, 1), max_value=dt.datetime(2035, 1, 1), timezones=st.just(UTC)
    ),
)
def test_next_and_previous_run_agree_everywhere(zone, weekday, at, now):
    slot = WeeklySlot(weekday, at, zone)
    upcoming = slot.next_run(now)
    before = slot.previous_run(now)
    assert before <= now < upcoming
    assert upcoming - before <= dt.timedelta(days=7, hours=1)
    assert slot.previous_run(upcoming) == upcoming
    assert slot.next_run(before) == upcoming
    assert upcoming.astimezone(ZoneInfo(zone)).weekday() == weekday
    assert slot.runs_between(before, upcoming) == [upcoming]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("6h", dt.timedelta(hours=6)),
        ("90m", dt.timedelta(minutes=90)),
        ("1h30m", dt.timedelta(hours=1, minutes=30)),
        ("2d", dt.timedelta(days=2)),
        (" 1d 12h ", dt.timedelta(days=1, hours=12)),
    ],
)
def test_durations(text, expected):
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["", "6", "6 hours", "h", "-1h", "1w"])
def test_bad_durations_say_how_to_write_one(text):
    with pytest.raises(ValueError, match=r"use e\.g\. '6h'"):
        parse_duration(text)


@pytest.mark.parametrize(
    ("day", "issue_id"),
    [
        (dt.date(2025, 1, 8), "2025-W02"),
        (dt.date(2024, 12, 30), "2025-W01"),  # ISO years start on a Monday
        (dt.date(2021, 1, 3), "2020-W53"),
    ],
)
def test_issue_ids_are_iso_weeks(day, issue_id):
    assert issue_id_for(day) == issue_id


def test_weekday_names_start_on_monday():
    assert WEEKDAYS[MONDAY] == "monday"
    assert WEEKDAYS[SUNDAY] == "sunday"

"""The stores' text for "now" (digest/clock.py): what datetime's isoformat writes, made faster."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import given
from hypothesis import strategies as st

from digest.clock import millis_text, nanoseconds_text, utc_now

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@given(st.integers(min_value=0, max_value=253_402_300_799_999_999_999))  # up to the end of year 9999
def test_the_text_is_what_isoformat_writes_to_the_millisecond(nanoseconds: int):
    moment = EPOCH + dt.timedelta(microseconds=nanoseconds // 1000)
    assert nanoseconds_text(nanoseconds) == moment.isoformat(timespec="milliseconds")


def test_the_real_clock_reads_between_two_datetimes():
    before = utc_now().isoformat(timespec="milliseconds")
    now = millis_text()
    after = utc_now().isoformat(timespec="milliseconds")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", now)
    assert before <= now <= after


def test_a_given_clock_is_asked():
    fixed = dt.datetime(2025, 1, 10, 7, 0, 0, 123_999, tzinfo=dt.UTC)
    assert millis_text(lambda: fixed) == "2025-01-10T07:00:00.123+00:00"

"""The one way to ask what time it is: an aware datetime in UTC.

Code that needs "now" takes a ``Clock`` (default ``utc_now``), or a ``now`` argument, so a test
hands it a fixed or stepping clock instead of waiting for the real one.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
"""Anything that answers "now" as an aware datetime: ``utc_now``, or a test's controlled clock."""


def utc_now() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)


def millis_text(clock: Clock = utc_now) -> str:
    """Now as the stores write a moment: ISO 8601 in UTC to the millisecond
    ("2025-01-10T07:00:00.123+00:00", which sorts as text), `clock().isoformat(timespec=
    "milliseconds")`. From the system clock directly when `clock` is the real one: a send writes
    one per message, and formatting a datetime cost more than the rest of the send log's Python."""
    if clock is not utc_now:
        return clock().isoformat(timespec="milliseconds")
    return nanoseconds_text(time.time_ns())


def nanoseconds_text(nanoseconds: int) -> str:
    """Nanoseconds since the epoch as `millis_text` writes them (cut, not rounded, to the millisecond)."""
    global _SECOND
    second, millisecond = divmod(nanoseconds // 1_000_000, 1000)
    cached = _SECOND
    if cached[0] != second:
        cached = _SECOND = (second, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second)))
        # One tuple swapped whole: a thread reads the old second's or the new one's, never half.
    return f"{cached[1]}.{millisecond:03d}+00:00"


_SECOND: tuple[int, str] = (-1, "")
"""The last second `nanoseconds_text` formatted, and its text up to the seconds."""

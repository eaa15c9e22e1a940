"""The stretch of time an issue covers, and why a story published at some moment is outside it."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from digest.clock import utc_now

if TYPE_CHECKING:
    from digest.settings import GatherConfig

DAYS_IN_A_WEEK = 7
BEFORE_WEEK = "published before the week"
AFTER_WEEK = "published after the week"


@dataclass(frozen=True, slots=True)
class Window:
    """The stretch of time an issue covers: ``start`` included, ``end`` not."""

    start: dt.datetime
    end: dt.datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("a window needs timezone-aware times")
        if self.start >= self.end:
            raise ValueError("a window must start before it ends")

    def drop_reason(self, when: dt.datetime) -> str:
        """Why a story published at ``when`` is not in the window; empty when it is."""
        if when < self.start:
            return BEFORE_WEEK
        if when >= self.end:
            return AFTER_WEEK
        return ""


def week_window(
    issue_date: dt.date,
    timezone: str,
    *,
    send_time: dt.time = dt.time(0, 0),
    days: int = DAYS_IN_A_WEEK,
) -> Window:
    """The ``days`` before the issue's send time, counted on the newsletter's wall clock.

    With the default send time (midnight) that is the seven whole days before the issue date.
    Across a daylight-saving change the week is still seven calendar days, one hour shorter or
    longer in absolute time.
    """
    end = dt.datetime.combine(issue_date, send_time, tzinfo=ZoneInfo(timezone))
    return Window(start=end - dt.timedelta(days=days), end=end)


def window_for(
    config: GatherConfig,
    *,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> Window:
    """The issue's week; --since/--until move either end (the other follows, ``days`` apart).

    Without an issue date, the week ends now.
    """
    days = dt.timedelta(days=config.settings.days)
    if since is not None and until is not None:
        return Window(since, until)
    if since is not None:
        return Window(since, since + days)
    if until is not None:
        return Window(until - days, until)
    if config.issue_date is not None:
        return week_window(
            config.issue_date,
            config.timezone,
            send_time=config.settings.send_time,
            days=config.settings.days,
        )
    end = (now or utc_now()).astimezone(ZoneInfo(config.timezone))
    return Window(end - days, end)

"""When the weekly issue goes out: a weekday and a wall-clock time in an IANA timezone.

Pure functions over aware datetimes; the caller supplies "now", so tests control the clock.

Every instant is returned in UTC. Local wall-clock times are turned into instants by PEP 495's
``fold=0`` rule, which gives the documented daylight-saving behaviour:

* **Spring gap** (the local time does not exist that day, e.g. 02:30 in New York on the second
  Sunday of March): the run happens at 02:30 by the old offset, which the new clock shows as 03:30.
  It is never skipped and never moved to another day.
* **Autumn overlap** (the local time happens twice, e.g. 01:30 in New York on the first Sunday of
  November): the run happens once, at the first 01:30 (still on summer time), never again an hour
  later.

``schedule`` cannot give us this: its timezone support needs pytz, reads the real clock, and has
had weekday-and-timezone bugs (dbader/schedule#579, #598). So the scheduler uses ``schedule`` only
to tick, and asks this module whether a run is due.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_DURATION = re.compile(r"(\d+)\s*([dhms])")
_DURATION_UNITS = {"d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> dt.timedelta:
    """'6h', '90m', '1h30m', '2d' → a timedelta. Raises ValueError naming what was wrong."""
    compact = text.strip().lower()
    parts = _DURATION.findall(compact)
    if not compact or _DURATION.sub("", compact).strip():
        raise ValueError(f"{text!r} is not a duration (use e.g. '6h', '90m', '1h30m', '2d')")
    total = dt.timedelta()
    for amount, unit in parts:
        total += dt.timedelta(**{_DURATION_UNITS[unit]: int(amount)})
    return total


def format_duration(value: dt.timedelta) -> str:
    """The inverse of parse_duration, for log lines: 6:00:00 → '6h', 1 day 0:30 → '1d30m'.

    Seconds are shown only under an hour: nobody needs '4d8h56m31s' in a log line."""
    seconds = int(value.total_seconds())
    if seconds >= 3600:
        seconds -= seconds % 60
    pieces = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, seconds = divmod(seconds, size)
        if amount:
            pieces.append(f"{amount}{unit}")
    return "".join(pieces) or "0s"


def issue_id_for(day: dt.date) -> str:
    """The stable id of the issue going out on ``day``: its ISO year and week, e.g. '2025-W02'."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def first_day_of(issue_id: str) -> dt.date:
    """The Monday of an issue id's ISO week: ``first_day_of('2025-W11')`` is 2025-03-10."""
    year, week = issue_id.split("-W")
    return dt.date.fromisocalendar(int(year), int(week), 1)


@dataclass(frozen=True, slots=True)
class WeeklySlot:
    """Once a week at ``weekday`` (0 = Monday) and ``time`` on the wall clock of ``timezone``."""

    weekday: int
    time: dt.time
    timezone: str

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def on(self, day: dt.date) -> dt.datetime:
        """The instant (UTC) of the slot on a given local date, whichever weekday it is."""
        wall = dt.datetime.combine(day, self.time.replace(tzinfo=None, fold=0), tzinfo=self.zone)
        # astimezone applies fold=0 to both gap and overlap; see the module docstring.
        return wall.astimezone(dt.UTC)

    def local(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.zone)

    def issue_date(self, instant: dt.datetime) -> dt.date:
        """The local date a run instant belongs to (the issue's date)."""
        return self.local(instant).date()

    def next_run(self, after: dt.datetime) -> dt.datetime:
        """The first slot strictly after the instant ``after`` (aware), in UTC."""
        _require_aware(after)
        start = self.local(after).date()
        ahead = (self.weekday - start.weekday()) % 7
        candidate = self.on(start + dt.timedelta(days=ahead))
        # Compare in UTC: aware datetimes sharing a tzinfo compare by wall clock, ignoring fold.
        if candidate <= after.astimezone(dt.UTC):
            candidate = self.on(start + dt.timedelta(days=ahead + 7))
        return candidate

    def previous_run(self, at: dt.datetime) -> dt.datetime:
        """The last slot at or before the instant ``at`` (aware), in UTC."""
        _require_aware(at)
        start = self.local(at).date()
        behind = (start.weekday() - self.weekday) % 7
        candidate = self.on(start - dt.timedelta(days=behind))
        if candidate > at.astimezone(dt.UTC):
            candidate = self.on(start - dt.timedelta(days=behind + 7))
        return candidate

    def runs_between(self, after: dt.datetime, until: dt.datetime) -> list[dt.datetime]:
        """Every slot in (after, until], oldest first: what a scheduler asleep in between missed."""
        runs = []
        moment = self.next_run(after)
        while moment <= until.astimezone(dt.UTC):
            runs.append(moment)
            moment = self.next_run(moment)
        return runs

    def describe(self, instant: dt.datetime) -> str:
        """'Mon 2025-01-13 08:00 EST (13:00 UTC)' for log lines."""
        local = self.local(instant)
        utc = instant.astimezone(dt.UTC)
        return f"{local:%a %Y-%m-%d %H:%M %Z} ({utc:%H:%M} UTC)"


def _require_aware(moment: dt.datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("expected a timezone-aware datetime")

"""`[throttle]` (digest.toml only): how fast a send may go, shared by every sending process.

`[throttle.relay]` limits the messages per second and the connections through [smtp] host;
`[throttle.default]` and a table per recipient domain (`[throttle."gmail.com"]`) limit each
domain's messages per second and say how long to leave it alone after it asked us to slow down;
`[throttle.warmup]` caps the messages a day of a new sending domain, rising over its first days.
The limits apply at send time (digest/deliver/throttle.py), never to who is queued.
"""

from __future__ import annotations

import datetime as dt
import re

from pydantic import ConfigDict, Field, ValidationError, model_validator

from digest.settings.files import SettingsFiles
from digest.settings.table import Table, invalid_settings

DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9-]{2,63}$")


class RelayThrottle(Table):
    rate: float = Field(default=0, ge=0)
    """Messages per second through [smtp] host, all sending processes together; 0: no limit."""
    connections: int = Field(default=0, ge=0, le=1000)
    """Connections open to [smtp] host at once, all sending processes together; 0: no limit."""


class DomainThrottle(Table):
    rate: float = Field(default=0, ge=0)
    """Messages per second to this recipient domain, all sending processes together; 0: no limit."""
    backoff: float = Field(default=300, gt=0, le=86400)
    """Seconds nobody sends to the domain after it replied "slow down" (421, 451 4.7.x, 450 4.2.x)."""


class WarmupThrottle(Table):
    start: dt.date
    """The first day of the warm-up (day 1), a date: 2026-12-01. Days are UTC days."""
    first_day: int = Field(ge=1)
    """Messages allowed on day 1."""
    ceiling: int = Field(ge=1)
    """Messages allowed on the last day; after it the warm-up is over and sets no limit."""
    days: int = Field(ge=2, le=365)
    """Days from first_day to ceiling; each day allows the same factor more than the one before."""

    @model_validator(mode="after")
    def _rises(self) -> WarmupThrottle:
        if self.ceiling < self.first_day:
            raise ValueError("ceiling must be at least first_day")
        return self

    def day(self, today: dt.date) -> int:
        """Which day of the warm-up `today` is (1 before and on the start date)."""
        return max(1, (today - self.start).days + 1)

    def allowance(self, today: dt.date) -> int | None:
        """Messages allowed `today`, None once the warm-up is over: first_day on day 1, rising by
        one factor a day (as managed warm-ups do, e.g. 200 to 200,000 in 42 days) to the ceiling."""
        day = self.day(today)
        if day > self.days:
            return None
        growth = (self.ceiling / self.first_day) ** ((day - 1) / (self.days - 1))
        return min(self.ceiling, round(self.first_day * growth))


class ThrottleSettings(Table):
    """[throttle]: its tables relay, default and warmup; any other table is a recipient domain's."""

    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)
    __pydantic_extra__: dict[str, DomainThrottle] = Field(init=False)

    relay: RelayThrottle = RelayThrottle()
    default: DomainThrottle = DomainThrottle()
    warmup: WarmupThrottle | None = None

    @model_validator(mode="before")
    @classmethod
    def _domains(cls, data: object) -> object:
        if isinstance(data, dict):
            for key in data:
                if key not in cls.model_fields and not DOMAIN.match(str(key)):
                    raise ValueError(
                        f"[throttle.{key}] is not a recipient domain (lower case, with a dot, e.g. "
                        '[throttle."gmail.com"]) nor one of relay, default, warmup'
                    )
        return data

    @property
    def domains(self) -> dict[str, DomainThrottle]:
        return dict(self.__pydantic_extra__ or {})

    def for_domain(self, domain: str) -> DomainThrottle:
        """The domain's own table, else [throttle.default] (asked several times a message: no copy)."""
        return (self.__pydantic_extra__ or {}).get(domain.lower(), self.default)


NO_THROTTLE = ThrottleSettings()


class _ThrottleTable(Table):
    """The table under its name, so that each problem is told as "[throttle] key: …"."""

    throttle: ThrottleSettings = NO_THROTTLE


def throttle_settings(files: SettingsFiles) -> ThrottleSettings:
    """[throttle] of the digest.toml among `files` (the only file that may set it)."""
    project = files.project
    table = project.tables.get("throttle", {}) if project is not None else {}
    try:
        return _ThrottleTable.model_validate({"throttle": table}).throttle
    except ValidationError as e:
        assert project is not None  # the defaults validate
        raise invalid_settings(e, project.path, _ThrottleTable) from None

"""`[schedule]` (digest.toml only): when the weekly issue goes out unattended, and who hears about it."""

from __future__ import annotations

import datetime as dt
import logging
from difflib import get_close_matches

from pydantic import Field, ValidationInfo, field_validator

from digest.settings.table import Table, check_address, check_http_url, check_timezone
from digest.weekly import WEEKDAYS, parse_duration

log = logging.getLogger(__name__)


class ScheduleSettings(Table):
    """When the weekly issue goes out unattended, and who hears about it."""

    weekday: str = "monday"
    """Day of the week the issue goes out: monday … sunday."""
    time: dt.time = dt.time(8, 0)
    """Wall-clock time on that day, "HH:MM", in `timezone`."""
    timezone: str | None = None
    """IANA timezone of `weekday` and `time`; defaults to [newsletter] timezone."""
    grace: str = "6h"
    """How late a missed run may still go out (machine down at send time), e.g. "6h", "90m"."""
    min_stories: int = Field(default=3, ge=1)
    """Fewer stories than this in the week: the issue is skipped and the editors are told."""
    require_approval: bool = False
    """Send a [PROOF] to the editors; subscribers get the issue after `digest approve ISSUE_ID`."""
    approval_deadline: str | None = None
    """With require_approval: send anyway this long after the proof unless an editor rejected it."""
    editors: list[str] = Field(min_length=1)
    """Addresses told about thin weeks and sent proofs."""
    preview_url: str | None = None
    """Where the editors reach `digest preview` ("http://127.0.0.1:8000"): proofs link to the week's page."""

    @field_validator("weekday", mode="before")
    @classmethod
    def _check_weekday(cls, value: object) -> object:
        if not isinstance(value, str) or value.strip().lower() not in WEEKDAYS:
            close = sorted(get_close_matches(str(value).strip().lower(), WEEKDAYS, n=2), key=WEEKDAYS.index)
            hint = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
            raise ValueError(f"unknown weekday, {hint}expected one of {', '.join(WEEKDAYS)}")
        return value.strip().lower()

    @field_validator("time")
    @classmethod
    def _check_time(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:
            raise ValueError("give a wall-clock time without an offset; the zone is [schedule] timezone")
        return value

    @field_validator("grace", "approval_deadline")
    @classmethod
    def _check_duration(cls, value: str | None) -> str | None:
        if value is not None and parse_duration(value) >= dt.timedelta(days=7):
            raise ValueError("must be less than a week (the next issue is due by then)")
        return value

    @field_validator("approval_deadline")
    @classmethod
    def _deadline_needs_approval(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and not info.data.get("require_approval"):
            # A leftover from when approval was on: harmless, so said, not refused.
            log.warning("[schedule] approval_deadline is ignored without require_approval = true")
        return value

    @field_validator("preview_url")
    @classmethod
    def _check_preview_url(cls, value: str | None) -> str | None:
        return check_http_url(value).rstrip("/") if value is not None else None

    @field_validator("timezone")
    @classmethod
    def _check_zone(cls, value: str | None) -> str | None:
        return check_timezone(value) if value is not None else None

    @field_validator("editors")
    @classmethod
    def _check_editors(cls, value: list[str]) -> list[str]:
        for address in value:
            try:
                check_address(address)
            except ValueError as e:
                raise ValueError(f"{address!r}: {e}") from None
        return value

    def grace_period(self) -> dt.timedelta:
        return parse_duration(self.grace)

    def approval_window(self) -> dt.timedelta | None:
        if not (self.require_approval and self.approval_deadline):
            return None
        return parse_duration(self.approval_deadline)

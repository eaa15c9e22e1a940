"""The days and weeks commands accept: `--date YYYY-MM-DD`, and an issue named by its id
(`2025-W11`) or by any day of its ISO week (`2025-03-14`). A value that is neither is one line
naming it and the form expected (exit 2), not click's usage text or a strptime format."""

from __future__ import annotations

import datetime as dt
import re

import click

from digest.errors import DigestError
from digest.weekly import issue_id_for

DATE_FORM = "YYYY-MM-DD, e.g. 2025-03-14"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISSUE_ID = re.compile(r"(\d{4})-W(\d{2})")


class InputError(DigestError):
    """A value given on the command line that cannot be used."""


def parse_date(text: str, *, what: str) -> dt.date:
    """A calendar date written YYYY-MM-DD; ``what`` names the option or argument in the error."""
    value = text.strip()
    try:
        if _DATE.fullmatch(value):
            return dt.date.fromisoformat(value)
    except ValueError:
        raise InputError(f"{what}: {text!r} is not a day in the calendar; expected {DATE_FORM}") from None
    raise InputError(f"{what}: {text!r} is not a date; expected {DATE_FORM}")


def date_option(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    """A click callback for a `--date` option."""
    return None if value is None else parse_date(value, what=param.opts[0])


def parse_issue(text: str, *, what: str = "ISSUE") -> str:
    """An issue id (2025-W11), or any day of the issue's ISO week (2025-03-14 → 2025-W11)."""
    value = text.strip()
    week = _ISSUE_ID.fullmatch(value)
    if week is not None:
        year, number = int(week[1]), int(week[2])
        try:
            dt.date.fromisocalendar(year, number, 1)
        except ValueError:
            raise InputError(f"{what}: {year} has no week {number} ({text!r})") from None
        return value
    if _DATE.fullmatch(value):
        return issue_id_for(parse_date(value, what=what))
    raise InputError(f"{what}: {text!r} is neither an issue id like 2025-W11 nor a date ({DATE_FORM})")

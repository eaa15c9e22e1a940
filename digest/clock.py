"""The one way to ask what time it is: an aware datetime in UTC.

Code that needs "now" takes a ``Clock`` (default ``utc_now``), or a ``now`` argument, so a test
hands it a fixed or stepping clock instead of waiting for the real one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]
"""Anything that answers "now" as an aware datetime: ``utc_now``, or a test's controlled clock."""


def utc_now() -> dt.datetime:
    """The current instant, timezone-aware, in UTC."""
    return dt.datetime.now(dt.UTC)

"""The complaint-rate lines: over `[feedback] complaint_warn_rate` the editors are told; over
`complaint_hold_rate` the next scheduled send is held until someone acknowledges the issue
(`digest feedback acknowledge ISSUE_ID`, kept with who and when in complaint_acks).

The rate is complaints over delivered copies (figures.py), the measure the mailbox providers
use (Gmail: keep it under 0.1%, never reach 0.3%). The last RECENT_ISSUES issues are looked at.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum

from digest.errors import HELD_EXIT, DigestError
from digest.feedback.figures import RECENT_ISSUES, IssueFigures, percent, recent_figures
from digest.store import Store
from digest.store.feedback_log import ComplaintAcks


class Level(StrEnum):
    WARN = "complaint rate over the warning line"
    HOLD = "complaint rate over the hold line"
    """Also the kinds of notice the editors get once per issue (runs/complaints.py)."""


@dataclass(frozen=True, slots=True)
class ComplaintLimits:
    warn_rate: float = 0.001
    hold_rate: float = 0.003


@dataclass(frozen=True, slots=True)
class OverLimit:
    """An issue whose complaint rate is over a line."""

    figures: IssueFigures
    level: Level
    limit: float
    acknowledged: bool = False

    def line(self) -> str:
        f, key = self.figures, f"complaint_{self.level.name.lower()}_rate"
        return (
            f"{f.issue_id}'s complaint rate is {percent(f.complaint_rate)} ({f.complaints} of "
            f"{f.delivered} delivered), over [feedback] {key} {percent(self.limit)}"
        )


class SendHeld(DigestError):
    """A scheduled send held because an issue's complaint rate is over the hold line."""

    exit_code = HELD_EXIT

    def __init__(self, over: list[OverLimit]) -> None:
        super().__init__("held: " + "; ".join(o.line() for o in over))
        self.over = over


def over_limits(store: Store, limits: ComplaintLimits, *, issues: int = RECENT_ISSUES) -> list[OverLimit]:
    """The recent issues over a line, newest first (an acknowledged one over the hold line is
    marked so: it holds nothing any more, and only warns)."""
    acknowledged = ComplaintAcks(store).acknowledged()
    found = []
    for figures in recent_figures(store, issues):
        rate = figures.complaint_rate
        if rate is None or (rate <= limits.warn_rate and rate <= limits.hold_rate):
            continue
        if rate > limits.hold_rate:
            over = OverLimit(figures, Level.HOLD, limits.hold_rate, figures.issue_id in acknowledged)
        else:
            over = OverLimit(figures, Level.WARN, limits.warn_rate)
        found.append(over)
    return found


def check_not_held(store: Store, limits: ComplaintLimits) -> None:
    """Raise SendHeld when a recent issue is over the hold line and nobody acknowledged it."""
    holding = [o for o in over_limits(store, limits) if o.level is Level.HOLD and not o.acknowledged]
    if holding:
        raise SendHeld(holding)


def acknowledge(store: Store, issue_id: str, *, by: str, now: dt.datetime) -> tuple[str, dt.datetime] | None:
    """Lift `issue_id`'s hold (recorded: who, when); None when new, else the earlier record."""
    return ComplaintAcks(store).acknowledge(issue_id, by=by, now=now)

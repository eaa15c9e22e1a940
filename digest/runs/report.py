"""`digest report`: what one sent issue did, slot by slot, and every placement of one sponsor.

The figures (sent, delivered, bounced, complaints, unsubscribes) are feedback/figures.py's
`issue_figures`, never recounted here. The stories are the issue as it went out: the copy the send
kept under the issue id (deliver/snapshot.py, read back by runs/archive.py), found as the web
archive finds it (the store says which issues went out). Clicks come from store/clicks.py only.

Click rate is unique human clickers over delivered: the share of the messages that arrived in
which someone clicked that story. Machine clicks (scanners, prefetches, bursts…) are shown apart
with the reasons they were set aside, never added in.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from digest.errors import DigestError
from digest.feedback.figures import IssueFigures, issue_figures, percent, rate
from digest.model import LEAD_SLOT, Issue, slot_names
from digest.runs.archive import ISSUE_DATA, issue_folder, load_archived_issue
from digest.store import IssueHistory, Store
from digest.store.clicks import OPEN_SLOT, IssueClicks, issue_clicks, slot_clickers, slot_clicks
from digest.weekly import issue_id_for

OPENS_CAVEAT = "inflated by mail privacy features; not a measure of reading"
NO_CLICKS = (
    "no clicks recorded for this issue: click tracking was off when it went out ([tracking] clicks), "
    "or nobody has clicked yet"
)


class NothingToReport(DigestError):
    """An issue the store has no send of, a sponsor with no placement: one line, exit 1."""

    exit_code = 1


@dataclass(frozen=True, slots=True)
class SlotRow:
    """One slot of the issue: its story (when the slot is a story's) and its clicks."""

    position: int
    """1 for the lead, then the order subscribers saw; links outside the stories (footer…) after."""
    slot: str
    title: str = ""
    kind: str = ""
    sponsor: str = ""
    story_id: str = ""
    human: int = 0
    machine: int = 0
    unique_clickers: int = 0
    click_rate: float | None = None
    """unique_clickers / delivered; None when nothing was delivered."""

    def clicks_line(self, recorded: bool) -> str:
        """Its clicks in words ("not tracked" rather than zeros when the issue counted none)."""
        if not recorded:
            return "clicks not tracked"
        return (
            f"{self.human} human / {self.machine} machine, {self.unique_clickers} unique "
            f"({percent(self.click_rate)} of delivered)"
        )


@dataclass(frozen=True)
class IssueReport:
    issue_id: str
    figures: IssueFigures
    clicks: IssueClicks
    slots: tuple[SlotRow, ...]
    issue: Issue | None = None
    """The issue as it went out; None when no copy of it was kept (its slots are then only named)."""
    clicks_recorded: bool = False
    opens: int = 0
    """Open-pixel loads, human and machine together (see OPENS_CAVEAT); 0 when not tracked."""
    by_story: dict[str, SlotRow] = field(default_factory=dict, compare=False)

    @property
    def date(self) -> dt.date | None:
        return self.issue.date if self.issue else None

    @property
    def no_clicks(self) -> str:
        """Why there are no click figures, in words ("" when there are)."""
        return "" if self.clicks_recorded else NO_CLICKS

    @property
    def set_aside(self) -> str:
        """The machine clicks left out and why ("machine clicks 3 (scanner 2, head 1)"), or ""."""
        reasons = ", ".join(f"{reason} {n}" for reason, n in self.clicks.machine_reasons.items())
        return f"{self.clicks.machine} machine clicks" + (f" ({reasons})" if reasons else "")

    @property
    def opens_line(self) -> str:
        """The opens, only with their caveat; "" when none were counted."""
        return f"{self.opens} ({OPENS_CAVEAT})" if self.opens else ""


def _slot_rows(store: Store, issue_id: str, issue: Issue | None, delivered: int) -> list[SlotRow]:
    """Every story of the issue in its order, then any other slot that was clicked."""
    human: defaultdict[str, int] = defaultdict(int)
    machine: defaultdict[str, int] = defaultdict(int)
    for link in slot_clicks(store, issue_id):
        human[link.slot] += link.human
        machine[link.slot] += link.machine
    uniques = slot_clickers(store, issue_id)

    def row(position: int, slot: str, **story: str) -> SlotRow:
        clickers = uniques.get(slot, 0)
        return SlotRow(
            position,
            slot,
            **story,
            human=human[slot],
            machine=machine[slot],
            unique_clickers=clickers,
            click_rate=rate(clickers, delivered),
        )

    rows: list[SlotRow] = []
    if issue is not None:
        slots = slot_names(issue.lead, issue.more_from)
        for position, story in enumerate(issue.stories, start=1):
            info = {
                "title": story.title,
                "kind": str(story.kind),
                "sponsor": story.sponsor,
                "story_id": story.id,
            }
            rows.append(row(position, slots[story.id], **info))
    named = {r.slot for r in rows}
    others = sorted((s for s in {*human, *machine} if s not in named and s != OPEN_SLOT), key=_slot_order)
    rows += [row(len(rows) + n, slot) for n, slot in enumerate(others, start=1)]
    return rows


def _slot_order(slot: str) -> tuple[int, int, str]:
    """Without the kept copy: the lead, More from's items, the sponsored blocks, then the rest."""
    if slot == LEAD_SLOT:
        return (0, 0, slot)
    kind, _, number = slot.rpartition("-")
    if kind in ("more", "sponsored") and number.isdigit():
        return (1 if kind == "more" else 2, int(number), slot)
    return (3, 0, slot)


def kept_issue(archive_dir: Path | None, issue_id: str) -> Issue | None:
    """The copy of the issue the send kept, or None when there is none to read."""
    if archive_dir is None or not (issue_folder(archive_dir, issue_id) / ISSUE_DATA).is_file():
        return None
    return load_archived_issue(archive_dir, issue_id)  # unreadable: an error naming the file


def issue_report(store: Store, issue_id: str, issue: Issue | None) -> IssueReport:
    """The report of `issue_id` (`issue`: its kept copy, if any); NothingToReport when it never went out."""
    if issue_id not in IssueHistory(store).went_out():
        raise NothingToReport(f"{issue_id}: no such issue went out (not in the send log or the run history)")
    return report_of(store, issue_id, issue)


def report_of(store: Store, issue_id: str, issue: Issue | None) -> IssueReport:
    """The report of an issue the caller knows went out (the run history says so)."""
    figures = issue_figures(store, issue_id)
    slots = _slot_rows(store, issue_id, issue, figures.delivered)
    opens = sum(link.human + link.machine for link in slot_clicks(store, issue_id) if link.slot == OPEN_SLOT)
    clicks = issue_clicks(store, issue_id)
    return IssueReport(
        issue_id=issue_id,
        figures=figures,
        clicks=clicks,
        slots=tuple(slots),
        issue=issue,
        clicks_recorded=bool(clicks.human or clicks.machine or opens),
        opens=opens,
        by_story={r.story_id: r for r in slots if r.story_id},
    )


@dataclass(frozen=True, slots=True)
class Placement:
    """One sponsored block of one sponsor in one issue."""

    issue_id: str
    date: dt.date
    position: int
    slot: str
    title: str
    delivered: int
    human: int
    machine: int
    unique_clickers: int
    click_rate: float | None


@dataclass(frozen=True)
class SponsorReport:
    sponsor: str
    """As the stories spell it (the first placement's), else as asked."""
    placements: tuple[Placement, ...]
    since: dt.date | None = None
    unkept: tuple[str, ...] = ()
    """Issues that went out with no copy kept: their sponsors cannot be known, so they are not counted."""

    @property
    def human(self) -> int:
        return sum(p.human for p in self.placements)

    @property
    def unique_clickers(self) -> int:
        return sum(p.unique_clickers for p in self.placements)

    @property
    def delivered(self) -> int:
        return sum(p.delivered for p in self.placements)


def sponsor_report(
    store: Store, archive_dir: Path | None, sponsor: str, since: dt.date | None = None
) -> SponsorReport:
    """Every placement of `sponsor` (matched case-insensitively) in the issues that went out,
    oldest first; `since`: only issues dated that day or later."""
    wanted = sponsor.strip().casefold()
    placements: list[Placement] = []
    unkept: list[str] = []
    spelled = sponsor.strip()
    first_week = issue_id_for(since) if since is not None else ""
    for issue_id in sorted(IssueHistory(store).went_out()):
        if issue_id < first_week:  # ids sort as their weeks do
            continue
        issue = kept_issue(archive_dir, issue_id)
        if issue is None:
            unkept.append(issue_id)
            continue
        if since is not None and issue.date < since:
            continue
        if not any(story.sponsor.strip().casefold() == wanted for story in issue.stories):
            continue
        report = report_of(store, issue_id, issue)
        for row in report.slots:
            if row.story_id and row.sponsor.strip().casefold() == wanted:
                spelled = row.sponsor.strip() if not placements else spelled
                placements.append(_placement(report, issue, row))
    return SponsorReport(spelled, tuple(placements), since, tuple(unkept))


def _placement(report: IssueReport, issue: Issue, row: SlotRow) -> Placement:
    return Placement(
        issue_id=report.issue_id,
        date=issue.date,
        position=row.position,
        slot=row.slot,
        title=row.title,
        delivered=report.figures.delivered,
        human=row.human,
        machine=row.machine,
        unique_clickers=row.unique_clickers,
        click_rate=row.click_rate,
    )

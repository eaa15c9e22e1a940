"""The reports of runs/report.py as words, JSON and CSV (every CSV cell spreadsheet-safe)."""

from __future__ import annotations

import dataclasses
import io
from collections.abc import Iterable

from digest.feedback.figures import percent, rate
from digest.runs.report import NO_CLICKS, OPENS_CAVEAT, IssueReport, SponsorReport
from digest.spreadsheet import SpreadsheetSafeWriter
from digest.words import plural

ISSUE_CSV_COLUMNS = (
    "issue_id",
    "sent",
    "delivered",
    "position",
    "slot",
    "title",
    "kind",
    "sponsor",
    "clicks_human",
    "clicks_machine",
    "unique_clickers",
    "click_rate",
)
SPONSOR_CSV_COLUMNS = (
    "sponsor",
    "issue_id",
    "date",
    "position",
    "slot",
    "title",
    "delivered",
    "clicks_human",
    "clicks_machine",
    "unique_clickers",
    "click_rate",
)


def _rate_cell(value: float | None) -> str:
    return "" if value is None else f"{value:.4f}"


def _csv(header: Iterable[str], rows: Iterable[Iterable[object]]) -> str:
    out = io.StringIO()
    writer = SpreadsheetSafeWriter(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow("" if cell is None else str(cell) for cell in row)
    return out.getvalue()


def issue_text(report: IssueReport) -> str:
    f = report.figures
    lines = [
        f"issue         {report.issue_id}" + (f"  {report.issue.subject}" if report.issue else ""),
        f"sent          {f.sent}",
        f"delivered     {f.delivered}  ({percent(rate(f.delivered, f.sent))} of sent)",
        f"bounced       {f.bounced}  ({percent(rate(f.bounced, f.sent))} of sent: hard {f.hard}, "
        f"soft {f.soft}, policy {f.policy_blocks})",
        f"complaints    {f.complaints}  ({percent(f.complaint_rate)} of delivered)",
        f"unsubscribes  {f.unsubscribes}  ({percent(f.unsubscribe_rate)} of delivered)",
    ]
    if report.issue is None:
        lines.append("stories       no copy of this issue was kept: its slots are named, not its stories")
    if report.no_clicks:
        lines.append(report.no_clicks)
    lines.append("slots (in the issue's order):")
    for row in report.slots:
        what = f"{row.title} ({row.kind}{', sponsor ' + row.sponsor if row.sponsor else ''})"
        unnamed = "(not a story)" if report.issue else "(no copy kept)"
        lines.append(f"  {row.position}. {row.slot}  {what if row.story_id else unnamed}")
        lines.append(f"     {row.clicks_line(report.clicks_recorded)}")
    if report.clicks_recorded:
        c = report.clicks
        lines.append(f"clicks        {c.human} human, {c.unique_clickers} unique clickers over the issue")
        lines.append(f"set aside     {report.set_aside}")
    if report.opens:
        lines.append(f"opens         {report.opens_line}")
    return "\n".join(lines)


def issue_json(report: IssueReport) -> dict[str, object]:
    recorded = report.clicks_recorded
    slots = []
    for row in report.slots:
        values = dataclasses.asdict(row)
        if not recorded:  # not zeros: nothing was counted
            values.update(human=None, machine=None, unique_clickers=None, click_rate=None)
        slots.append(values)
    data: dict[str, object] = {
        "issue_id": report.issue_id,
        "date": report.date.isoformat() if report.date else None,
        "subject": report.issue.subject if report.issue else None,
        "figures": {**report.figures.as_json(), "bounced": report.figures.bounced},
        "clicks_recorded": recorded,
        "slots": slots,
    }
    if recorded:
        c = report.clicks
        data["clicks"] = {"human": c.human, "machine": c.machine, "unique_clickers": c.unique_clickers}
        data["machine_reasons"] = dict(c.machine_reasons)
    else:
        data["note"] = NO_CLICKS
    if report.opens:
        data["opens"] = {"count": report.opens, "caveat": OPENS_CAVEAT}
    return data


def issue_csv(report: IssueReport) -> str:
    recorded = report.clicks_recorded
    f = report.figures
    return _csv(
        ISSUE_CSV_COLUMNS,
        (
            (report.issue_id, f.sent, f.delivered, r.position, r.slot, r.title, r.kind, r.sponsor)
            + ((r.human, r.machine, r.unique_clickers, _rate_cell(r.click_rate)) if recorded else ("",) * 4)
            for r in report.slots
        ),
    )


def sponsor_text(report: SponsorReport) -> str:
    since = f" since {report.since.isoformat()}" if report.since else ""
    if not report.placements:
        return f"no sponsored placement of {report.sponsor!r}{since} in the issues that went out"
    lines = [f"{report.sponsor}: {plural(len(report.placements), 'placement')}{since}"]
    for p in report.placements:
        lines.append(
            f"  {p.issue_id}  {p.date.isoformat()}  #{p.position} {p.slot}  delivered {p.delivered}, "
            f"clicks {p.human} (+{p.machine} machine set aside), {p.unique_clickers} unique, "
            f"{percent(p.click_rate)}  {p.title}"
        )
    lines.append(
        f"total: {report.human} clicks, {report.unique_clickers} unique clickers "
        f"over {report.delivered} delivered"
    )
    lines += [f"note: {issue_id} went out with no copy kept: not searched" for issue_id in report.unkept]
    return "\n".join(lines)


def sponsor_json(report: SponsorReport) -> dict[str, object]:
    return {
        "sponsor": report.sponsor,
        "since": report.since.isoformat() if report.since else None,
        "placements": [{**dataclasses.asdict(p), "date": p.date.isoformat()} for p in report.placements],
        "totals": {
            "clicks_human": report.human,
            "unique_clickers": report.unique_clickers,
            "delivered": report.delivered,
        },
        "not_searched": list(report.unkept),
    }


def sponsor_csv(report: SponsorReport) -> str:
    return _csv(
        SPONSOR_CSV_COLUMNS,
        (
            (
                report.sponsor,
                p.issue_id,
                p.date.isoformat(),
                p.position,
                p.slot,
                p.title,
                p.delivered,
                p.human,
                p.machine,
                p.unique_clickers,
                _rate_cell(p.click_rate),
            )
            for p in report.placements
        ),
    )

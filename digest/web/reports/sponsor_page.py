"""The sponsor report as one self-contained page in the theme's look: its colours and fonts in an
inline <style>, a bar chart of clicks per placement drawn as inline SVG, nothing fetched when it is
opened (no script, no font, no image from elsewhere). Every value from the issues (a sponsor's name,
a story's title) goes through the template's autoescape."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from digest.clock import utc_now
from digest.feedback.figures import percent
from digest.render import load_theme
from digest.runs.report import Placement, SponsorReport
from digest.web.templating import page_templates

CHART_WIDTH = 640
BAR_HEIGHT = 22
BAR_GAP = 10
LABEL_WIDTH = 170
"""The issue id and slot left of each bar; the count right of it."""
VALUE_WIDTH = 60


@dataclass(frozen=True, slots=True)
class Bar:
    placement: Placement
    y: int
    width: int
    """Human clicks scaled to the widest bar (at least 1 px when there were any)."""

    @property
    def label(self) -> str:
        return f"{self.placement.issue_id} · {self.placement.slot}"


def chart_bars(placements: tuple[Placement, ...]) -> list[Bar]:
    most = max((p.human for p in placements), default=0)
    room = CHART_WIDTH - LABEL_WIDTH - VALUE_WIDTH
    bars = []
    for n, placement in enumerate(placements):
        width = round(room * placement.human / most) if most else 0
        bars.append(Bar(placement, n * (BAR_HEIGHT + BAR_GAP), max(width, 1 if placement.human else 0)))
    return bars


def sponsor_html(report: SponsorReport, *, newsletter: str = "", theme_dir: Path | None = None) -> str:
    """The page, with the colours and fonts of the theme at `theme_dir` (else the default theme)."""
    theme = load_theme(theme_dir)
    bars = chart_bars(report.placements)
    template = page_templates(Path(__file__).resolve().parent / "templates").get_template("sponsor.html")
    return template.render(
        report=report,
        newsletter=newsletter,
        colors=theme.settings.get("colors", {}),
        fonts=theme.settings.get("fonts", {}),
        bars=bars,
        chart={
            "width": CHART_WIDTH,
            "height": max(len(bars) * (BAR_HEIGHT + BAR_GAP) - BAR_GAP, BAR_HEIGHT),
            "bar": BAR_HEIGHT,
            "label": LABEL_WIDTH,
        },
        percent=percent,
        made=utc_now().date(),
    )

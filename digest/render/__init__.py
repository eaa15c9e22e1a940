"""Composed issue → email HTML (Jinja2 → MJML → mjml-python → premailer) and a plain-text part."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from digest.model import Issue, RenderedIssue, slot_names
from digest.render.filters import longdate
from digest.render.html import compile_mjml, finish_html, inline_css
from digest.render.links import LinkTracker, UtmTagger, untagged
from digest.render.notice import render_notice
from digest.render.theme import HTML_TEMPLATE, TEXT_TEMPLATE, Theme, default_theme_dir, load_theme

__all__ = [
    "LinkTracker",
    "RecipientLinks",
    "Theme",
    "UtmTagger",
    "default_theme_dir",
    "load_theme",
    "longdate",
    "render_issue",
    "render_mjml",
    "render_notice",
    "render_text",
    "untagged",
]


@dataclass(frozen=True, slots=True)
class RecipientLinks:
    """The links that differ per recipient; the web-archive values stand in when building."""

    unsubscribe: str
    view_online: str
    name: str = ""
    """The subscriber's name where known; empty when building, for the archive and for proofs."""
    preferences: str = ""
    """Their preference page ("manage your subscription"); a theme without the link leaves it out."""
    tracker: LinkTracker | None = None
    """With [tracking] clicks on, when rendering for delivery: the links to count, as markers."""

    @property
    def honeypot(self) -> str:
        """An invisible link no reader clicks: a click on it marks the message's burst as a scanner's."""
        return self.tracker.honeypot if self.tracker is not None else ""

    @property
    def pixel(self) -> str:
        """The open pixel's address, with [tracking] opens only."""
        return self.tracker.pixel if self.tracker is not None else ""

    @classmethod
    def for_archive(cls, issue: Issue) -> RecipientLinks:
        base = issue.newsletter.base_url
        return cls(
            unsubscribe=f"{base}/unsubscribe",
            view_online=f"{base}/issues/{issue.issue_id}/",
            preferences=f"{base}/preferences",
        )


def _context(issue: Issue, theme: Theme, links: RecipientLinks) -> dict[str, Any]:
    return {
        "issue": issue,
        "newsletter": issue.newsletter,
        "links": links,
        "colors": theme.settings.get("colors", {}),
        "fonts": theme.settings.get("fonts", {}),
        "dark": theme.settings.get("dark", {}),
        "logo": theme.settings.get("logo", {}),
        "slots": slot_names(issue.lead, issue.more_from),
        "utm": UtmTagger.for_issue(issue),
    }


def render_mjml(issue: Issue, theme: Theme, links: RecipientLinks | None = None) -> str:
    links = links or RecipientLinks.for_archive(issue)
    return theme.render(HTML_TEMPLATE, _context(issue, theme, links))


def render_text(issue: Issue, theme: Theme, links: RecipientLinks | None = None) -> str:
    links = links or RecipientLinks.for_archive(issue)
    text = theme.render(TEXT_TEMPLATE, _context(issue, theme, links))
    # Templates make stray blank lines easily; readers want at most one in a row.
    lines = [line.rstrip() for line in text.splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).strip() + "\n"


def render_issue(
    issue: Issue, theme: Theme | None = None, links: RecipientLinks | None = None
) -> RenderedIssue:
    theme = theme or load_theme()
    timings: dict[str, float] = {}

    started = time.perf_counter()
    source = render_mjml(issue, theme, links)
    timings["jinja"] = time.perf_counter() - started

    started = time.perf_counter()
    compiled = compile_mjml(source)
    timings["mjml"] = time.perf_counter() - started

    started = time.perf_counter()
    html = finish_html(inline_css(compiled), issue.preheader)
    timings["inline"] = time.perf_counter() - started

    started = time.perf_counter()
    text = render_text(issue, theme, links)
    timings["text"] = time.perf_counter() - started
    return RenderedIssue(issue=issue, html=html, text=text, timings=timings)

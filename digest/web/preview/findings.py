"""Lint findings as an editor can act on them: which story and which of its fields, or which
setting, instead of a line of the rendered HTML.

The checks see the rendered email; this maps each finding back to what produced it. An element's
attributes (a story's link, photo or alt text) name the story directly; otherwise the element
at the finding's line is found in the same render and its surroundings say whose block it is in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml import etree
from lxml import html as lxml_html

from digest.lint import Finding, LintReport
from digest.markup import strip_controls
from digest.model import Issue, RenderedIssue, Story

SUBJECT = "[issue] subject in issue.toml"
PREHEADER = "[issue] preheader in issue.toml"
POSTAL_ADDRESS = "[newsletter] postal_address in digest.toml"
SETTING_OF_CODE = {
    "subject-missing": SUBJECT,
    "subject-too-long": SUBJECT,
    "preheader-missing": PREHEADER,
    "preheader-too-long": PREHEADER,
    "preheader-duplicate": PREHEADER,
    "address-missing": POSTAL_ADDRESS,
    "address-missing-text": POSTAL_ADDRESS,
}
"""Findings about the issue as a whole, and the setting that decides each."""
THEME = "the theme (templates), not a story"
_WHERE = re.compile(r"^(?:line (?P<line>\d+) )?<(?P<tag>[\w:-]+)(?P<attributes>[^>]*)>")
_ATTRIBUTE = re.compile(r'(\w+)="([^"]*)"')
FIELD_OF_TAG = {"img": "image", "h1": "title", "h2": "title", "h3": "title"}
ANCESTORS_SEARCHED = 6
"""How far up from an element to look for the story block holding it (a table cell, a row...).
Text and links found that way are in the story's teaser (its summary); its own link matched above."""


@dataclass(frozen=True, slots=True)
class LocatedFinding:
    finding: Finding
    story: Story | None = None
    field: str = ""
    setting: str = ""

    @property
    def place(self) -> str:
        """In words: “AI takes the main stage at CES” (ces-2025-ai) · image."""
        if self.story is not None:
            return f"Story “{self.story.title}” ({self.story.id})" + (
                f" · {self.field}" if self.field else ""
            )
        return self.setting or THEME


def _same(shown: str, value: str) -> bool:
    """`where` cuts long values with "…"; links may carry tracking parameters added when rendered."""
    shown = shown.removesuffix("…")
    return bool(shown) and bool(value) and (value.startswith(shown) or shown.startswith(value))


def _by_attributes(attributes: dict[str, str], issue: Issue) -> tuple[Story, str] | None:
    for story in issue.stories:
        image = story.image
        candidates = [("href", story.url, "url")]
        if image is not None:
            candidates += [("src", image.url, "image"), ("alt", image.alt, "image_alt")]
        for name, value, field in candidates:
            if name in attributes and _same(attributes[name], value):
                return story, field
    return None


def _story_links(element: etree._Element, issue: Issue) -> set[str]:
    hrefs = [a.get("href", "") for a in element.iter("a")]
    return {story.id for story in issue.stories for href in hrefs if _same(story.url, href)}


def _by_line(tree: etree._Element, line: int, tag: str, issue: Issue) -> tuple[Story, str] | None:
    element = next((e for e in tree.iter(tag) if e.sourceline == line), None)
    for _ in range(ANCESTORS_SEARCHED):
        if element is None:
            return None
        linked = _story_links(element, issue)
        if len(linked) == 1:
            story = next(s for s in issue.stories if s.id in linked)
            return story, FIELD_OF_TAG.get(tag, "teaser")
        if len(linked) > 1:  # past the story's own block
            return None
        element = element.getparent()
    return None


def locate(finding: Finding, rendered: RenderedIssue, tree: etree._Element) -> LocatedFinding:
    setting = SETTING_OF_CODE.get(finding.code, "")
    match = _WHERE.match(finding.where)
    if setting or match is None:
        return LocatedFinding(finding, setting=setting)
    attributes = dict(_ATTRIBUTE.findall(match["attributes"]))
    found = _by_attributes(attributes, rendered.issue)
    if found is None and match["line"]:
        found = _by_line(tree, int(match["line"]), match["tag"], rendered.issue)
    if found is None:
        return LocatedFinding(finding)
    return LocatedFinding(finding, story=found[0], field=found[1])


def locate_findings(report: LintReport, rendered: RenderedIssue) -> tuple[LocatedFinding, ...]:
    """Every finding of `report` (made over `rendered`), with the story and field behind it."""
    if not report.findings:
        return ()
    # Parsed as lint parses it, so line numbers agree.
    tree = lxml_html.document_fromstring(strip_controls(rendered.html))
    return tuple(locate(finding, rendered, tree) for finding in report.findings)

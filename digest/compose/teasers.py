"""How much of a story's summary the issue shows: a teaser, not a full-text feed's wall of text.

A story from a source carries that source's ``teaser_length``: More from shows that many characters
of its summary's text, the lead twice as many, cut at a word with "…". The editors' own words (an
issue's story files, a ``[stories.<id>] teaser``) carry 0 and are shown whole.

The cut keeps the summary's markup up to the cut (paragraphs, lists, links), so the HTML and the
plain text, which is made from the same summary, show the same words: the text of the cut summary
is exactly ``teaser(summary_text(summary), length)``, the rule gather's plain teaser follows.
"""

from __future__ import annotations

import html
from dataclasses import replace

from lxml import etree
from lxml import html as lxml_html

from digest.markup import strip_controls, summary_text, teaser
from digest.model import Story

LEAD_TEASER_FACTOR = 2
"""The lead is the story subscribers read first: it shows twice its source's teaser length."""
ELLIPSIS = "…"
# summary_text puts a space after each of these, so "one.</p><p>Two" reads "one. Two".
_SEPARATED = frozenset({"p", "li", "br"})


def shown_summary(story: Story, *, lead: bool = False) -> Story:
    """The story with the part of its summary the issue shows in More from (or as the lead)."""
    if story.teaser_length <= 0:
        return story
    length = story.teaser_length * (LEAD_TEASER_FACTOR if lead else 1)
    summary = cut_summary(story.summary, length)
    return story if summary == story.summary else replace(story, summary=summary)


class _Budget:
    """Counts a summary's characters as summary_text folds them, and cuts where the teaser ends."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.counted = 0
        self.space_pending = False

    def separate(self) -> None:
        self.space_pending = self.counted > 0

    def cut(self, node: etree._Element, attribute: str) -> bool:
        """Cut ``node.text`` or ``node.tail`` after the teaser's last character, if it is in there."""
        text = getattr(node, attribute) or ""
        for index, character in enumerate(text):
            if not strip_controls(character):
                continue
            if character.isspace():
                self.space_pending = self.counted > 0
                continue
            if self.space_pending:  # the one space a run of whitespace folds to
                self.counted += 1
                self.space_pending = False
            self.counted += 1
            if self.counted >= self.keep:
                setattr(node, attribute, text[: index + 1] + ELLIPSIS)
                return True
        return False


def _cut_inside(element: etree._Element, budget: _Budget) -> bool:
    """Walk the element in reading order; at the cut, drop everything after it and say so."""
    if budget.cut(element, "text"):
        for child in list(element):
            element.remove(child)
        return True
    for child in list(element):
        was_cut = isinstance(child.tag, str) and _cut_inside(child, budget)
        if was_cut:
            child.tail = None
        else:
            if child.tag in _SEPARATED:
                budget.separate()
            was_cut = budget.cut(child, "tail")
        if was_cut:
            for later in list(child.itersiblings()):
                element.remove(later)
            return True
    return False


def cut_summary(fragment: str, length: int) -> str:
    """Sanitised summary HTML cut after ``length`` characters of its text, at a word, with "…"."""
    whole = summary_text(fragment)
    shown = teaser(whole, length)
    if shown == whole:
        return fragment
    kept = len(shown) - len(ELLIPSIS)
    if kept <= 0:
        return f"<p>{ELLIPSIS}</p>"
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    _cut_inside(root, _Budget(kept))
    inner = [html.escape(root.text or "", quote=False)]
    inner.extend(etree.tostring(child, encoding="unicode", method="html") for child in root)
    return "".join(inner)

"""Can everyone read it: text size, contrast, heading order, link text that says where it goes."""

from __future__ import annotations

import re
from collections.abc import Iterator

from digest.lint import css
from digest.lint.document import EmailDocument, describe, visible_text
from digest.lint.findings import Finding, Level
from digest.lint.registry import check
from digest.markup import text_content

MIN_FONT_PX = 14.0
MIN_CONTRAST = 4.5
# Link text that says nothing out of context (WCAG 2.4.4); screen-reader users list links by text.
_VAGUE_LINK = re.compile(
    r"^(click|tap|press)( here)?[.!]?$|^here[.!]?$|^(this|this link|link|more|go)[.!]?$|\bclick here\b",
    re.IGNORECASE,
)


@check("font-size")
def font_size(doc: EmailDocument) -> Iterator[Finding]:
    """Body text is at least 14 px (smaller is hard to read on phones, and iOS enlarges it anyway)."""
    for run in doc.text_runs:
        if run.font_px + 0.01 < MIN_FONT_PX:
            yield Finding(
                Level.ERROR,
                "text-too-small",
                f"text at {run.font_px:g}px: {run.text[:50]!r}",
                describe(run.element),
                f"Use a font-size of at least {MIN_FONT_PX:g}px.",
            )


@check("contrast")
def text_contrast(doc: EmailDocument) -> Iterator[Finding]:
    """Text and its background contrast at least 4.5:1 (WCAG AA)."""
    for run in doc.text_runs:
        ratio = css.contrast(run.color, run.background)
        if ratio < MIN_CONTRAST:
            yield Finding(
                Level.ERROR,
                "contrast-low",
                f"{css.hex_color(run.color)} on {css.hex_color(run.background)} is {ratio:.2f}:1 "
                f"(needs {MIN_CONTRAST}:1): {run.text[:50]!r}",
                describe(run.element),
                "Darken the text or lighten the background (theme.toml [colors]).",
            )


@check("headings")
def headings(doc: EmailDocument) -> Iterator[Finding]:
    """Headings start at one h1 (the lead) and never skip a level going down (h1 → h2 → h3)."""
    found = doc.headings
    if not found:
        yield Finding(
            Level.ERROR,
            "heading-missing",
            "no headings: screen-reader users navigate an issue by its headings",
            "<body>",
            "Mark the lead's title as h1 and each item's title as h2/h3.",
        )
        return
    levels = [int(h.tag[1]) for h in found]
    if levels[0] != 1:
        yield Finding(
            Level.ERROR,
            "heading-first-not-h1",
            f"the first heading is {found[0].tag}, not h1",
            describe(found[0]),
            "Make the lead story's title the h1.",
        )
    for extra in [h for h in found if h.tag == "h1"][1:]:
        yield Finding(
            Level.ERROR,
            "heading-h1-repeated",
            f"more than one h1: {visible_text(text_content(extra))[:50]!r}",
            describe(extra),
            "Keep h1 for the lead story; use h2/h3 for the rest.",
        )
    for previous, heading in zip(levels, found[1:], strict=False):
        level = int(heading.tag[1])
        if level > previous + 1:
            yield Finding(
                Level.ERROR,
                "heading-skipped",
                f"h{previous} is followed by {heading.tag}: a level is skipped",
                describe(heading),
                f"Use h{previous + 1} here, or add the missing section heading.",
            )


@check("link-text")
def link_text(doc: EmailDocument) -> Iterator[Finding]:
    """Links say where they go: no "click here" (screen readers list links by their text)."""
    for link in doc.links:
        if not doc.is_rendered(link):
            continue
        text = visible_text(text_content(link))
        if not text:
            labels = [img.get("alt", "").strip() for img in link.iter("img")]
            if not any(labels) and not (link.get("aria-label") or "").strip():
                yield Finding(
                    Level.ERROR,
                    "link-text-missing",
                    "a link with no text and no image alt: it has no accessible name",
                    describe(link),
                    "Give the link text, or its image an alt.",
                )
        elif _VAGUE_LINK.search(text):
            yield Finding(
                Level.ERROR,
                "link-text-vague",
                f"link text {text!r} does not say where it goes",
                describe(link),
                'Use words that name the destination, e.g. "Read the full story" or the title.',
            )

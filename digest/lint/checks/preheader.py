"""The hidden preheader: exactly one, first in <body>, at most 150 characters, hidden honestly."""

from __future__ import annotations

from collections.abc import Iterator

from lxml import etree

from digest.lint import css
from digest.lint.document import EmailDocument, describe, inline_style, visible_text
from digest.lint.findings import Finding, Level
from digest.lint.registry import check
from digest.markup import text_content

MAX_PREHEADER = 150


def _first_child(body: etree._Element) -> etree._Element | None:
    return next(iter(body.iterchildren(etree.Element)), None)


@check("preheader")
def preheader(doc: EmailDocument) -> Iterator[Finding]:
    """One preheader, first in <body>, <= 150 characters, hidden by display:none (no tiny/pale text)."""
    found = doc.preheaders
    fix_missing = 'Set [issue] preheader; the renderer puts <div class="preheader"> first in <body>.'
    if not found:
        yield Finding(Level.ERROR, "preheader-missing", "no preheader", "<body>", fix_missing)
        return
    if len(found) > 1:
        for extra in found[1:]:
            yield Finding(
                Level.ERROR,
                "preheader-duplicate",
                f"{len(found)} preheaders: inboxes show the first and may show the others as body text",
                describe(extra),
                "Keep one preheader; do not add <mj-preview> when the renderer already inserts one.",
            )
    element = found[0]
    where = describe(element)
    text = visible_text(text_content(element))
    if not text:
        yield Finding(Level.ERROR, "preheader-missing", "the preheader is empty", where, fix_missing)
    elif len(text) > MAX_PREHEADER:
        yield Finding(
            Level.ERROR,
            "preheader-too-long",
            f"the preheader has {len(text)} characters (inboxes show at most about {MAX_PREHEADER})",
            where,
            f"Shorten [issue] preheader to {MAX_PREHEADER} characters or fewer.",
        )
    if _first_child(doc.body) is not element:
        yield Finding(
            Level.ERROR,
            "preheader-not-first",
            "the preheader is not the first element in <body>: inboxes preview whatever comes first",
            where,
            "Insert the preheader right after <body> (digest.render.html.finish_html does).",
        )
    style = inline_style(element)
    display = style.get("display")
    if display is None or not display.value.lower().startswith("none"):
        yield Finding(
            Level.ERROR,
            "preheader-visible",
            "the preheader is not hidden with display:none",
            where,
            "Hide it with display:none;max-height:0;overflow:hidden;mso-hide:all.",
        )
    yield from _tricks(style, where)


def _tricks(style: dict[str, css.Declaration], where: str) -> Iterator[Finding]:
    """Hiding text by making it tiny, transparent or the colour of the page is a classic spam signal."""
    tricks = []
    if "font-size" in style and (css.font_size_px(style["font-size"], 16.0) or 0) <= 2:
        tricks.append(f"font-size:{style['font-size'].value}")
    if "opacity" in style:
        tricks.append(f"opacity:{style['opacity'].value}")
    if "color" in style:
        tricks.append(f"color:{style['color'].value}")
    if "line-height" in style and style["line-height"].value.strip() in ("0", "1px", "0px"):
        tricks.append(f"line-height:{style['line-height'].value}")
    if tricks:
        yield Finding(
            Level.ERROR,
            "preheader-low-contrast-trick",
            "the preheader is hidden with " + ", ".join(tricks) + " (spam filters score hidden text)",
            where,
            "Hide it with display:none only; drop <mj-preview>, whose output uses these tricks.",
        )

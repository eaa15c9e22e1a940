"""A feed's HTML as a newsletter's blurb: paragraphs, cut after the first few hundred characters."""

from __future__ import annotations

import html
import re

from lxml import etree
from lxml import html as lxml_html

from digest.markup import fold_whitespace, summary_text, teaser

SUMMARY_CHARACTERS = 700
"""A summary is a newsletter's blurb: full-text feeds are cut to their first paragraphs."""


def text_paragraphs(text: str) -> str:
    """Plain text as HTML paragraphs, split at blank lines."""
    return "".join(
        f"<p>{html.escape(p.strip(), quote=False)}</p>" for p in re.split(r"\n\s*\n", text) if p.strip()
    )


def _blocks(fragment: str) -> list[tuple[str, int]]:
    """Sanitised HTML as top-level blocks, each with its text length.

    Loose text and inline tags (a feed's plain description, YouTube's newline-separated text)
    become paragraphs split at blank lines; empty paragraphs (left by a removed <img>) go.
    """
    root = lxml_html.fragment_fromstring(fragment, create_parent="div")
    blocks: list[tuple[str, int]] = []
    pending: list[str] = []

    def flush() -> None:
        for piece in re.split(r"\n\s*\n", "".join(pending)):
            if piece.strip():
                blocks.append((f"<p>{piece.strip()}</p>", len(summary_text(piece))))
        pending.clear()

    if root.text:
        pending.append(html.escape(root.text, quote=False))
    for child in root:
        tail, child.tail = child.tail, None
        if child.tag == "li":  # a list item outside any list
            child.tag = "p"
        if child.tag in ("p", "ul", "ol"):
            flush()
            length = len(fold_whitespace(child.text_content()))
            if length:
                blocks.append((etree.tostring(child, encoding="unicode", method="html"), length))
        else:
            pending.append(etree.tostring(child, encoding="unicode", method="html"))
        if tail:
            pending.append(html.escape(tail, quote=False))
    flush()
    return blocks


def summary_blocks(fragment: str, limit: int = SUMMARY_CHARACTERS) -> str:
    """Sanitised HTML in paragraphs, cut after the block that passes about ``limit`` characters."""
    if not fragment.strip():
        return ""
    kept: list[str] = []
    length = 0
    for block, size in _blocks(fragment):
        if kept and length + size > limit:
            break
        kept.append(block)
        length += size
    result = "".join(kept)
    if length > limit * 2:  # one enormous block: keep its words, lose its markup
        return f"<p>{html.escape(teaser(summary_text(result), limit), quote=False)}</p>"
    return result

"""Sizes that clients enforce: Gmail clips HTML past ~102 KB and drops <style> past 16,384 characters."""

from __future__ import annotations

from collections.abc import Iterator

from digest.lint.document import EmailDocument
from digest.lint.findings import Finding, Level
from digest.lint.registry import check

CLIP_BYTES = 102_000
WARN_BYTES = 90_000
MAX_STYLE_CHARACTERS = 16_384


@check("html-size")
def html_size(doc: EmailDocument) -> Iterator[Finding]:
    """Decoded HTML under 102,000 bytes (Gmail clips the rest, footer included); warns from 90,000."""
    size = len(doc.html.encode("utf-8"))
    fix = "Carry fewer stories or shorter summaries, or trim the theme's markup."
    if size >= CLIP_BYTES:
        yield Finding(
            Level.ERROR,
            "html-too-large",
            f"the HTML is {size:,} bytes: Gmail clips messages from about {CLIP_BYTES:,}",
            "whole document",
            fix,
        )
    elif size >= WARN_BYTES:
        yield Finding(
            Level.WARNING,
            "html-near-clip",
            f"the HTML is {size:,} bytes, close to Gmail's clipping point ({CLIP_BYTES:,})",
            "whole document",
            fix,
        )


@check("style-size")
def style_size(doc: EmailDocument) -> Iterator[Finding]:
    """All <style> text together is at most 16,384 characters (Gmail drops every <style> beyond that)."""
    if doc.style_characters > MAX_STYLE_CHARACTERS:
        yield Finding(
            Level.ERROR,
            "style-too-large",
            f"<style> blocks hold {doc.style_characters:,} characters; Gmail ignores them past "
            f"{MAX_STYLE_CHARACTERS:,}, and with them the responsive and dark-mode rules",
            "<head> <style>",
            "Remove unused rules from the theme's <mj-style>.",
        )

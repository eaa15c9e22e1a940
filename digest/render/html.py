"""MJML → HTML → inlined CSS, and the fix-ups neither tool does for us.

Traps, each seen on this machine:
- mjml-python links Google Fonts unless ``fonts={}``; it writes ``lang="und"`` without
  ``<mjml lang>`` and an empty ``<title>`` without ``<mj-title>`` (the theme sets both).
- premailer fetches ``<link>`` stylesheets unless ``allow_network=False``, strips ``!important``
  from media queries unless ``strip_important=False``, turns ``<img width="120">`` into
  ``width="100%"`` unless width/height are kept out of its attribute mapping, and drops the doctype.
- MJML sizes a picture by its cell (``<td style="width:Npx">``, the img ``width:100%``): a client
  that drops the cell's width stretches it, so every img also gets ``max-width`` from its width.
- MJML's own reset block (``#outlook a``, ``table, td {mso-table-lspace…}``, ``img {…}``) is meant to
  stay in <head>, as the reference compiler leaves it; inlined, it repeats ~70 bytes on every
  table cell (about 13% of an issue), so it is marked for premailer to leave alone.
"""

from __future__ import annotations

import logging
import re
from typing import Any, ClassVar

import mjml
import premailer
from markupsafe import escape

from digest.errors import RenderError

DOCTYPE = "<!doctype html>"
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>\s*", re.IGNORECASE)
_MJML_RESET = re.compile(r'<style type="text/css">(\s*#outlook a\b)')
_IMG = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
# Attribute values are escaped, so a `"` inside one cannot start a false match.
_WIDTH_ATTRIBUTE = re.compile(r'\swidth="(\d+)"')
_STYLE_ATTRIBUTE = re.compile(r'(\sstyle=")([^"]*)"')
# Invisible characters after the preheader stop inboxes from pulling body text into the preview.
_PREHEADER_PADDING = "&#847;&zwnj;&nbsp;" * 40


def compile_mjml(source: str) -> str:
    try:
        return mjml.mjml2html(source, fonts={}, disable_comments=False)
    except Exception as e:  # mjml-python raises a bare ValueError/RuntimeError with MRML's message
        raise RenderError(f"MJML did not compile: {e}") from e


StyleRules = tuple[list[Any], list[Any]]
"""premailer's reading of one <style> block: the rules to inline, and those it leaves in the block."""
_STYLE_RULES_KEPT = 64


class _Inliner(premailer.Premailer):
    """premailer, with each <style> block's rules read once per process.

    premailer caches cssutils' parse of a block, but formats every property of every rule again
    on each render (cssutils' property values are slow), and a theme's blocks are the same on
    every render. The rules are tuples of strings, copied out by premailer, never changed; the
    leftover list is only tested for emptiness, as the <style> tags are kept whole. Every inliner
    is made by inline_css with the same options, so a block reads the same for all of them."""

    _read: ClassVar[dict[tuple[str, int], StyleRules]] = {}

    def _parse_style_rules(self, css_body: str, ruleset_index: int) -> StyleRules:
        key = (css_body, ruleset_index)
        rules = self._read.get(key)
        if rules is None:
            if len(self._read) >= _STYLE_RULES_KEPT:  # themes edited in a long-running preview
                self._read.clear()
            rules = self._read[key] = super()._parse_style_rules(css_body, ruleset_index)
        return rules


def inline_css(html: str, *, base_url: str | None = None) -> str:
    html = _MJML_RESET.sub(r'<style type="text/css" data-premailer="ignore">\1', html, count=1)
    inliner = _Inliner(
        html,
        base_url=base_url,
        allow_network=False,
        strip_important=False,
        keep_style_tags=True,
        remove_classes=False,
        disable_validation=True,
        # Keep <img width="120">: premailer would otherwise map CSS width:100% onto the attribute.
        disable_basic_attributes=["width", "height"],
        cssutils_logging_level=logging.CRITICAL,
        capitalize_float_margin=True,
        align_floating_images=False,
    )
    try:
        return inliner.transform()
    except Exception as e:  # lxml / cssutils errors carry no user-facing type of their own
        raise RenderError(f"CSS inlining failed: {e}") from e


def _capped_image(tag: re.Match[str]) -> str:
    img = tag[0]
    width = _WIDTH_ATTRIBUTE.search(img)
    style = _STYLE_ATTRIBUTE.search(img)
    if width is None or style is None or "max-width" in style[2]:
        return img
    separator = "" if style[2].rstrip().endswith(";") or not style[2].strip() else ";"
    capped = f'{style[1]}{style[2]}{separator}max-width:{width[1]}px;"'
    return img[: style.start()] + capped + img[style.end() :]


def cap_image_widths(html: str) -> str:
    """Every <img width="N"> no wider than N px whatever its cell does: a picture is never
    stretched past the width it was declared at (see digest.render.filters.shown_width)."""
    return _IMG.sub(_capped_image, html)


def preheader_html(text: str) -> str:
    # display:none + zero size hides it everywhere; no tiny or same-colour text (a spam signal).
    return (
        '<div class="preheader" style="display:none;max-height:0;max-width:0;overflow:hidden;'
        f'mso-hide:all;" aria-hidden="true">{escape(text)}{_PREHEADER_PADDING}</div>'
    )


def finish_html(html: str, preheader: str) -> str:
    """Put back the doctype premailer drops, cap each picture at its width, and make the preheader
    the first thing in <body>."""
    html = DOCTYPE + "\n" + cap_image_widths(_DOCTYPE.sub("", html, count=1))
    match = _BODY_OPEN.search(html)
    if match is None:
        raise RenderError("the compiled email has no <body>")
    return html[: match.end()] + preheader_html(preheader) + html[match.end() :]

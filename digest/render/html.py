"""MJML → HTML → inlined CSS, and the fix-ups neither tool does for us.

Traps, each seen on this machine:
- mjml-python links Google Fonts unless ``fonts={}``; it writes ``lang="und"`` without
  ``<mjml lang>`` and an empty ``<title>`` without ``<mj-title>`` (the theme sets both).
- premailer fetches ``<link>`` stylesheets unless ``allow_network=False``, strips ``!important``
  from media queries unless ``strip_important=False``, turns ``<img width="120">`` into
  ``width="100%"`` unless width/height are kept out of its attribute mapping, and drops the doctype.
- MJML's own reset block (``#outlook a``, ``table, td {mso-table-lspace…}``, ``img {…}``) is meant to
  stay in <head>, as the reference compiler leaves it; inlined, it repeats ~70 bytes on every
  table cell (about 13% of an issue), so it is marked for premailer to leave alone.
"""

from __future__ import annotations

import logging
import re

import mjml
import premailer
from markupsafe import escape

from digest.errors import RenderError

DOCTYPE = "<!doctype html>"
_BODY_OPEN = re.compile(r"<body\b[^>]*>", re.IGNORECASE)
_DOCTYPE = re.compile(r"^\s*<!doctype[^>]*>\s*", re.IGNORECASE)
_MJML_RESET = re.compile(r'<style type="text/css">(\s*#outlook a\b)')
# Invisible characters after the preheader stop inboxes from pulling body text into the preview.
_PREHEADER_PADDING = "&#847;&zwnj;&nbsp;" * 40


def compile_mjml(source: str) -> str:
    try:
        return mjml.mjml2html(source, fonts={}, disable_comments=False)
    except Exception as e:  # mjml-python raises a bare ValueError/RuntimeError with MRML's message
        raise RenderError(f"MJML did not compile: {e}") from e


def inline_css(html: str, *, base_url: str | None = None) -> str:
    html = _MJML_RESET.sub(r'<style type="text/css" data-premailer="ignore">\1', html, count=1)
    inliner = premailer.Premailer(
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


def preheader_html(text: str) -> str:
    # display:none + zero size hides it everywhere; no tiny or same-colour text (a spam signal).
    return (
        '<div class="preheader" style="display:none;max-height:0;max-width:0;overflow:hidden;'
        f'mso-hide:all;" aria-hidden="true">{escape(text)}{_PREHEADER_PADDING}</div>'
    )


def finish_html(html: str, preheader: str) -> str:
    """Put back the doctype premailer drops and make the preheader the first thing in <body>."""
    html = DOCTYPE + "\n" + _DOCTYPE.sub("", html, count=1)
    match = _BODY_OPEN.search(html)
    if match is None:
        raise RenderError("the compiled email has no <body>")
    return html[: match.end()] + preheader_html(preheader) + html[match.end() :]

"""The HTML document itself: doctype, lang, title, Outlook namespaces and conditionals, layout tables."""

from __future__ import annotations

import re
from collections.abc import Iterator

from digest.lint.document import EmailDocument, describe
from digest.lint.findings import Finding, Level
from digest.lint.registry import check

_DOCTYPE = re.compile(r"^\s*<!doctype html>", re.IGNORECASE)
_CONDITIONAL = re.compile(r"<!--\[if [^\]]*\]>|<!\[endif\]-->", re.IGNORECASE)
VML = "urn:schemas-microsoft-com:vml"
OFFICE = "urn:schemas-microsoft-com:office:office"


@check("doctype")
def doctype(doc: EmailDocument) -> Iterator[Finding]:
    """The file starts with <!doctype html> (without it, clients fall back to quirks mode)."""
    if not _DOCTYPE.match(doc.html):
        yield Finding(
            Level.ERROR,
            "doctype-missing",
            "the HTML does not start with <!doctype html>",
            "line 1",
            "Put <!doctype html> first; premailer drops it, digest.render.html.finish_html puts it back.",
        )


@check("lang")
def lang(doc: EmailDocument) -> Iterator[Finding]:
    """<html lang> is set, is not "und", and matches the newsletter's configured language."""
    value = (doc.tree.get("lang") or "").strip()
    where = describe(doc.tree)
    if not value or value.lower() == "und":
        yield Finding(
            Level.ERROR,
            "lang-missing",
            f"<html lang> is {value or 'missing'!r}: screen readers cannot pick a voice",
            where,
            'Set [newsletter] lang (e.g. "en-GB"); the theme passes it to <mjml lang>.',
        )
    elif doc.issue is not None and value.lower() != doc.issue.newsletter.lang.lower():
        yield Finding(
            Level.ERROR,
            "lang-mismatch",
            f"<html lang={value!r}> but the newsletter's language is {doc.issue.newsletter.lang!r}",
            where,
            "Render <mjml lang> from newsletter.lang in the theme.",
        )


@check("title")
def title(doc: EmailDocument) -> Iterator[Finding]:
    """A non-empty <title> (web views and some clients show it)."""
    element = doc.tree.find(".//title")
    if element is None or not (element.text or "").strip():
        yield Finding(
            Level.ERROR,
            "title-missing",
            "the <title> is missing or empty",
            describe(element) if element is not None else "<head>",
            "Add <mj-title>{{ issue.subject }}</mj-title> to the theme's head.",
        )


@check("outlook-namespaces")
def outlook_namespaces(doc: EmailDocument) -> Iterator[Finding]:
    """<html> declares xmlns:v and xmlns:o (VML and Office settings for Outlook on Windows)."""
    head = doc.html[: doc.html.find(">", doc.html.lower().find("<html")) + 1]
    for prefix, uri in (("v", VML), ("o", OFFICE)):
        if f'xmlns:{prefix}="{uri}"' not in head:
            yield Finding(
                Level.ERROR,
                f"xmlns-{prefix}-missing",
                f"<html> lacks xmlns:{prefix}={uri!r}",
                "line 1 <html>",
                "Compile the theme with MJML, which declares both namespaces on <html>.",
            )


def _line_of(text: str, position: int) -> int:
    return text.count("\n", 0, position) + 1


@check("outlook-conditionals")
def outlook_conditionals(doc: EmailDocument) -> Iterator[Finding]:
    """Every <!--[if …]> is closed by an <![endif]--> before the next one opens (Outlook breaks otherwise)."""
    depth = 0
    for match in _CONDITIONAL.finditer(doc.html):
        # The line is counted only for a finding: counting it for every comment (hundreds in a
        # full issue) rescanned the page each time and was most of lint's time.
        if match.group().lower().startswith("<!--[if"):
            depth += 1
            if depth > 1:
                yield Finding(
                    Level.ERROR,
                    "conditional-nested",
                    "an Outlook conditional comment opens inside another one",
                    f"line {_line_of(doc.html, match.start())}",
                    "Close each <!--[if mso]> with <![endif]--> before opening the next.",
                )
                depth = 1
        else:
            depth -= 1
            if depth < 0:
                yield Finding(
                    Level.ERROR,
                    "conditional-unbalanced",
                    "an <![endif]--> closes a conditional comment that was never opened",
                    f"line {_line_of(doc.html, match.start())}",
                    "Remove the stray <![endif]--> or add its <!--[if …]>.",
                )
                depth = 0
    if depth:
        yield Finding(
            Level.ERROR,
            "conditional-unbalanced",
            "an Outlook conditional comment is never closed",
            "end of file",
            "Close every <!--[if …]> with <![endif]-->.",
        )


@check("layout-tables")
def layout_tables(doc: EmailDocument) -> Iterator[Finding]:
    """Layout tables carry role="presentation", so screen readers do not read out rows and cells."""
    for table in doc.tree.iter("table"):
        if table.get("role") != "presentation" and table.find(".//th") is None:
            yield Finding(
                Level.ERROR,
                "table-role-missing",
                'a layout table without role="presentation"',
                describe(table),
                'Add role="presentation" (MJML does this for its own tables; check hand-written mj-raw).',
            )

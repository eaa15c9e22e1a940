"""The I/O edge of lint: a built .html file or an .eml message → EmailDocument → report."""

from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from pathlib import Path

from digest.errors import LintInputError
from digest.lint import EmailDocument, LintReport, lint_document
from digest.markup import fold_whitespace

# `digest build` writes the text part beside the HTML; lint picks it up when linting index.html.
TEXT_BESIDE_HTML = "issue.txt"


def document_from_html(path: Path) -> EmailDocument:
    html = path.read_text(encoding="utf-8", errors="replace")
    beside = path.with_name(TEXT_BESIDE_HTML)
    text = beside.read_text(encoding="utf-8", errors="replace") if beside.is_file() else None
    return EmailDocument(html, text=text, source=str(path))


def _part(message: EmailMessage, subtype: str) -> str | None:
    part = message.get_body(preferencelist=(subtype,))
    if part is None or part.get_content_type() != f"text/{subtype}":
        return None
    return part.get_content().replace("\r\n", "\n")


def document_from_eml(path: Path) -> EmailDocument:
    with path.open("rb") as handle:
        message = email.message_from_binary_file(handle, policy=policy.default)
    html = _part(message, "html")
    if html is None:
        raise LintInputError("the message has no text/html part", where=path)
    headers = {name: str(value) for name, value in message.items()}
    subject = fold_whitespace(str(message.get("Subject", "")))
    return EmailDocument(
        html, text=_part(message, "plain"), subject=subject, headers=headers, source=str(path)
    )


def lint_file(path: Path) -> LintReport:
    """Lint a built FILE.html or FILE.eml (an issue folder goes through digest.pipeline.lint_folder)."""
    if not path.is_file():
        raise LintInputError("no such file or folder", where=path)
    suffix = path.suffix.lower()
    if suffix in (".html", ".htm"):
        return lint_document(document_from_html(path))
    if suffix == ".eml":
        return lint_document(document_from_eml(path))
    raise LintInputError("expected an issue folder, an .html file or an .eml file", where=path)

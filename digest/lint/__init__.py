"""Preflight lint of a rendered email: pure checks over the HTML, the text part and the issue.

    report = lint_document(EmailDocument(html, text=text, subject=subject, issue=issue))

Reading issue folders, .html and .eml files lives in digest/lint/inputs.py (the I/O edge).
"""

from __future__ import annotations

from digest.lint import checks  # noqa: F401  (registers every check)
from digest.lint.document import EmailDocument
from digest.lint.findings import Finding, Level, LintReport
from digest.lint.registry import CHECKS
from digest.model import RenderedIssue

__all__ = ["CHECKS", "EmailDocument", "Finding", "Level", "LintReport", "lint_document", "lint_rendered"]


def lint_document(doc: EmailDocument) -> LintReport:
    findings = [finding for entry in CHECKS.values() for finding in entry.run(doc)]
    findings.sort(key=lambda f: (f.level is not Level.ERROR, f.code))
    return LintReport(source=doc.source, findings=tuple(findings))


def lint_rendered(rendered: RenderedIssue, *, source: str = "") -> LintReport:
    """Lint a freshly rendered issue, with its settings known (language, postal address, stories)."""
    issue = rendered.issue
    return lint_document(
        EmailDocument(
            rendered.html,
            text=rendered.text,
            subject=issue.subject,
            issue=issue,
            source=source or issue.issue_id,
        )
    )

"""Dark mode and small screens: rules that only work from a <style> block, so they must survive inlining."""

from __future__ import annotations

from collections.abc import Iterator

from digest.lint.document import EmailDocument
from digest.lint.findings import Finding, Level
from digest.lint.registry import check


def _meta(doc: EmailDocument, name: str) -> str | None:
    for meta in doc.tree.iter("meta"):
        if (meta.get("name") or "").lower() == name:
            return meta.get("content") or ""
    return None


@check("dark-mode")
def dark_mode(doc: EmailDocument) -> Iterator[Finding]:
    """color-scheme and supported-color-schemes meta tags, plus prefers-color-scheme: dark rules."""
    for name in ("color-scheme", "supported-color-schemes"):
        content = _meta(doc, name)
        if content is None or "dark" not in content:
            yield Finding(
                Level.WARNING,
                f"meta-{name}-missing",
                f'no <meta name="{name}" content="light dark">: '
                "Apple Mail and Outlook then invert colours themselves",
                "<head>",
                f'Add <meta name="{name}" content="light dark"> (an <mj-raw> in the theme head).',
            )
    dark_rules = [
        r for r in doc.css_rules if r.media and "prefers-color-scheme" in r.media and "dark" in r.media
    ]
    if not dark_rules:
        yield Finding(
            Level.WARNING,
            "dark-mode-rules-missing",
            "no @media (prefers-color-scheme: dark) rules: logos and labels may vanish on dark backgrounds",
            "<head> <style>",
            "Add dark-mode rules for backgrounds, text, the logo and the sponsored label.",
        )
        return
    selectors = " ".join(r.selector for r in dark_rules)
    for needed, label in ((".logo", "logo"), (".label", "sponsored label")):
        if doc.body.xpath(
            f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {needed[1:]} ')]"
        ) and (needed not in selectors):
            yield Finding(
                Level.WARNING,
                "dark-mode-uncovered",
                f"the {label} ({needed}) has no prefers-color-scheme: dark rule",
                "<head> <style>",
                f"Add a dark-mode rule for {needed} so it stays legible on a dark background.",
            )


@check("responsive")
def responsive(doc: EmailDocument) -> Iterator[Finding]:
    """@media rules survived inlining and kept !important (inline styles win otherwise)."""
    media_rules = [r for r in doc.css_rules if r.media and "width" in r.media]
    if not media_rules:
        yield Finding(
            Level.ERROR,
            "media-queries-missing",
            "no width @media rules in <style>: columns will not stack on phones",
            "<head> <style>",
            "Keep <style> blocks when inlining (premailer keep_style_tags=True).",
        )
        return
    declarations = [d for r in media_rules for d in r.declarations]
    if declarations and not any(d.important for d in declarations):
        yield Finding(
            Level.ERROR,
            "media-important-stripped",
            "no declaration in the @media rules is !important: inlined styles override all of them",
            "<head> <style>",
            "Inline with premailer strip_important=False.",
        )

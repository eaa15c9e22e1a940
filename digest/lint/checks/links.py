"""Links: https, safe schemes, and no story linked twice."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

from digest.lint.document import EmailDocument, describe, visible_text
from digest.lint.findings import Finding, Level
from digest.lint.registry import check
from digest.markup import text_content
from digest.model import Issue
from digest.render import untagged

SAFE_SCHEMES = frozenset({"https", "http", "mailto", "tel"})


@check("link-schemes")
def link_schemes(doc: EmailDocument) -> Iterator[Finding]:
    """Every link is https (or mailto/tel); http links warn, other schemes are errors."""
    for link in doc.links:
        href = (link.get("href") or "").strip()
        if not href:
            continue
        parts = urlsplit(href)
        scheme = parts.scheme.lower()
        if scheme not in SAFE_SCHEMES:
            yield Finding(
                Level.ERROR,
                "link-scheme",
                f"link to {href[:80]!r}: mail clients block or mangle {scheme or 'relative'} links",
                describe(link),
                "Use an absolute https:// URL.",
            )
        elif scheme == "http":
            yield Finding(
                Level.WARNING,
                "link-not-https",
                f"link to {href[:80]!r} is not https",
                describe(link),
                "Link to the https:// address (browsers warn on http, and filters notice).",
            )
        elif scheme == "https" and not parts.netloc:
            yield Finding(
                Level.ERROR,
                "link-scheme",
                f"link to {href[:80]!r} has no host",
                describe(link),
                "Use an absolute https:// URL.",
            )


@check("duplicate-stories")
def duplicate_stories(doc: EmailDocument) -> Iterator[Finding]:
    """No two stories link to the same URL (UTM tags and fragments aside)."""
    if doc.issue is not None:
        yield from _duplicate_issue_stories(doc.issue)
        return
    seen: dict[str, str] = {}
    for link in doc.story_links:
        key = untagged(link.get("href", "").strip())
        title = visible_text(text_content(link))
        if key in seen:
            yield Finding(
                Level.ERROR,
                "story-duplicate-url",
                f"{title[:50]!r} links to the same page as {seen[key][:50]!r}: {key[:80]}",
                describe(link),
                "Remove one of the two stories (or exclude it in issue.toml).",
            )
        else:
            seen[key] = title


def _duplicate_issue_stories(issue: Issue) -> Iterator[Finding]:
    urls: dict[str, str] = {}
    for story in issue.stories:
        key = untagged(story.url)
        if key in urls:
            yield Finding(
                Level.ERROR,
                "story-duplicate-url",
                f"stories {urls[key]!r} and {story.id!r} have the same url {key[:80]}",
                f"story {story.id} ({story.source or 'issue'})",
                "Remove one of the two stories (or exclude it in issue.toml).",
            )
        urls.setdefault(key, story.id)

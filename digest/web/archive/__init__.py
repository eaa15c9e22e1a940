"""`digest archive`: a static web archive of the issues that went out.

    OUT/index.html                  the issues, newest first
    OUT/feed.xml                    an Atom feed of them
    OUT/issues/<issue id>/index.html  each issue as subscribers got it, without their personal links

Which issues, and their pages, come from the store and the copy each send kept
(`published.py`): a draft never appears, and a page never changes with the week's files. Every
link between these files is relative, so OUT can be hosted from any folder (or opened from disk);
`issues/<issue id>/` is also where an email's "view in browser" link points. `digest serve`
answers the same pages live (digest/web/site/archive.py).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2

from digest.atomic import write_atomically
from digest.web.archive.feed import atom_feed
from digest.web.archive.pages import archive_page
from digest.web.archive.published import (
    INDEX_FILE,
    ISSUES_DIR,
    ArchiveEntry,
    ArchiveSource,
    Published,
    published_issues,
    sources_under,
)
from digest.web.templating import page_templates

__all__ = [
    "FEED_FILE",
    "INDEX_FILE",
    "ISSUES_DIR",
    "ArchiveEntry",
    "ArchiveResult",
    "ArchiveSource",
    "Published",
    "archive_page",
    "atom_feed",
    "build_archive",
    "feed_xml",
    "index_html",
    "issue_html",
    "published_issues",
    "sources_under",
]

FEED_FILE = "feed.xml"
_ISSUE_ID = re.compile(r"^\d{4}-W\d{2}$")


@dataclass(frozen=True)
class ArchiveResult:
    out: Path
    entries: tuple[ArchiveEntry, ...]
    files: tuple[Path, ...]
    unkept: tuple[str, ...] = ()
    """Issues that went out with no copy kept (sent before digest kept one): left out."""
    withdrawn: tuple[str, ...] = ()
    """Pages of an earlier archive in OUT no longer published (a draft an older digest listed)."""


def _templates() -> jinja2.Environment:
    return page_templates(Path(__file__).resolve().parent / "templates")


def _title(issues: list[ArchiveEntry]) -> tuple[str, bool]:
    names = {entry.issue.newsletter.name for entry in issues}
    if len(names) == 1:
        return f"{names.pop()}: past issues", False
    return "Past issues", bool(names)


def index_html(entries: Sequence[ArchiveEntry]) -> str:
    """The list of issues, newest first, linking to `issues/<id>/index.html`."""
    title, mixed = _title(list(entries))
    lang = entries[0].issue.newsletter.lang if entries else "en"
    return _templates().get_template("index.html").render(title=title, mixed=mixed, issues=entries, lang=lang)


def feed_xml(entries: Sequence[ArchiveEntry]) -> bytes:
    """The Atom feed of the issues, its links relative to the feed."""
    title, mixed = _title(list(entries))
    feed_id = f"{entries[0].issue.newsletter.base_url}/" if entries and not mixed else "urn:digest:archive"
    pages = [(entry.issue, entry.href) for entry in entries]
    return atom_feed(pages, title=title, feed_id=feed_id, index_href=INDEX_FILE)


def issue_html(entry: ArchiveEntry) -> str:
    """The issue's page: the copy that went out, without personal links, with a way back."""
    return archive_page(
        entry.html(), entry.issue, index_href=f"../../{INDEX_FILE}", feed_href=f"../../{FEED_FILE}"
    )


def _write(path: Path, data: str | bytes) -> Path:
    """Write through a temporary file: a web server never serves half a page."""
    write_atomically(path, data.encode("utf-8") if isinstance(data, str) else data, mode=0o644)
    return path


def _withdraw_stale(out: Path, published: set[str]) -> list[str]:
    """Issue pages an earlier `digest archive` wrote into OUT that are not published now."""
    folder = out / ISSUES_DIR
    stale = [
        page.name
        for page in (sorted(folder.iterdir()) if folder.is_dir() else [])
        if _ISSUE_ID.match(page.name) and page.name not in published and (page / INDEX_FILE).is_file()
    ]
    for issue_id in stale:
        shutil.rmtree(folder / issue_id)
    return stale


def build_archive(root: Path, out: Path) -> ArchiveResult:
    """Write the archive of every issue the project at `root` sent into `out`."""
    published = published_issues(sources_under(root))
    entries = published.entries
    files = [
        _write(out / ISSUES_DIR / entry.issue.issue_id / INDEX_FILE, issue_html(entry)) for entry in entries
    ]
    files.append(_write(out / INDEX_FILE, index_html(entries)))
    files.append(_write(out / FEED_FILE, feed_xml(entries)))
    withdrawn = _withdraw_stale(out, {entry.issue.issue_id for entry in entries})
    return ArchiveResult(
        out=out,
        entries=tuple(entries),
        files=tuple(files),
        unkept=tuple(published.unkept),
        withdrawn=tuple(withdrawn),
    )

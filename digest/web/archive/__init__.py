"""`digest archive`: a static web archive of every issue under a project.

    OUT/index.html                  the issues, newest first
    OUT/feed.xml                    an Atom feed of them
    OUT/issues/<issue id>/index.html  each issue's email, without the reader's personal links

Every link between these files is relative, so OUT can be hosted from any folder (or opened from
disk); `issues/<issue id>/` is also where an email's "view in browser" link points.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import jinja2

from digest.atomic import write_atomically
from digest.errors import ConfigError
from digest.model import Issue, RenderedIssue
from digest.pipeline import render_folder
from digest.settings.project import IssueFolder, find_issue_folders
from digest.web.archive.feed import atom_feed
from digest.web.archive.pages import archive_page
from digest.web.templating import page_templates

__all__ = [
    "FEED_FILE",
    "INDEX_FILE",
    "ISSUES_DIR",
    "ArchiveEntry",
    "ArchiveResult",
    "archive_page",
    "atom_feed",
    "build_archive",
]

INDEX_FILE = "index.html"
FEED_FILE = "feed.xml"
ISSUES_DIR = "issues"


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    issue: Issue
    folder: Path

    @property
    def href(self) -> str:
        """The issue page, relative to the archive's index (and feed)."""
        return f"{ISSUES_DIR}/{self.issue.issue_id}/{INDEX_FILE}"


@dataclass(frozen=True)
class ArchiveResult:
    out: Path
    entries: tuple[ArchiveEntry, ...]
    files: tuple[Path, ...]


def _templates() -> jinja2.Environment:
    return page_templates(Path(__file__).resolve().parent / "templates")


Rendered = list[tuple[IssueFolder, RenderedIssue]]


def _newest_first(rendered: Rendered) -> Rendered:
    return sorted(rendered, key=lambda pair: (pair[1].issue.date, pair[0].key), reverse=True)


def _check_unique(rendered: Rendered) -> None:
    seen: dict[str, Path] = {}
    for folder, result in rendered:
        issue_id = result.issue.issue_id
        if issue_id in seen:
            raise ConfigError(
                f"two issues share the archive address issues/{issue_id}/: {seen[issue_id]} and "
                f"{folder.path} (an issue's id is its ISO week; keep one issue per week in an archive)"
            )
        seen[issue_id] = folder.path


def _title(issues: list[Issue]) -> tuple[str, bool]:
    names = {issue.newsletter.name for issue in issues}
    if len(names) == 1:
        return f"{names.pop()}: past issues", False
    return "Past issues", bool(names)


def _write(path: Path, data: str | bytes) -> Path:
    """Write through a temporary file: a web server never serves half a page."""
    write_atomically(path, data.encode("utf-8") if isinstance(data, str) else data, mode=0o644)
    return path


def build_archive(root: Path, out: Path) -> ArchiveResult:
    """Render every issue under `root` and write the archive into `out`."""
    folders = find_issue_folders(root)
    rendered = _newest_first([(folder, render_folder(folder.path)[0]) for folder in folders])
    _check_unique(rendered)
    entries = tuple(ArchiveEntry(issue=result.issue, folder=folder.path) for folder, result in rendered)
    issues = [entry.issue for entry in entries]
    title, mixed = _title(issues)

    files: list[Path] = []
    for entry, (_, result) in zip(entries, rendered, strict=True):
        page = archive_page(result, index_href=f"../../{INDEX_FILE}", feed_href=f"../../{FEED_FILE}")
        files.append(_write(out / ISSUES_DIR / entry.issue.issue_id / INDEX_FILE, page))

    index = (
        _templates()
        .get_template("index.html")
        .render(
            title=title,
            mixed=mixed,
            issues=entries,
            lang=issues[0].newsletter.lang if issues else "en",
        )
    )
    files.append(_write(out / INDEX_FILE, index))
    feed_id = f"{issues[0].newsletter.base_url}/" if issues and not mixed else "urn:digest:archive"
    pages = [(entry.issue, entry.href) for entry in entries]
    feed = atom_feed(pages, title=title, feed_id=feed_id, index_href=INDEX_FILE)
    files.append(_write(out / FEED_FILE, feed))
    return ArchiveResult(out=out, entries=entries, files=tuple(files))

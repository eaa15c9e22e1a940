"""What the web archive publishes: the issues that went out, as they went out.

The store says which issues went out (`IssueHistory.went_out`: sent by a run, or delivered to at
least one subscriber by any send); each send kept the copy it sent, without a recipient, under
<archive>/<issue id>/ (digest/deliver/snapshot.py). Those bytes are the page: never a render of
today's files, and never a draft (built, proofed, awaiting approval or rejected, but not sent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from digest.deliver.snapshot import HTML_FILE, ISSUE_DATA
from digest.errors import ConfigError
from digest.model import Issue
from digest.runs.archive import issue_folder, load_archived_issue
from digest.settings import DeliverySettings, load_delivery_settings, load_issue_config
from digest.settings.project import find_issue_folders
from digest.store import IssueHistory, Store, open_store

ISSUES_DIR = "issues"
INDEX_FILE = "index.html"


@dataclass(frozen=True, slots=True)
class ArchiveSource:
    """Where a project keeps what it sent: the store that says which issues went out, and the
    folder holding each one's copy."""

    store: Path | str
    """The SQLite file, or [store] url."""
    archive_dir: Path


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One issue that went out: the issue as data, and the folder of the copy subscribers got."""

    issue: Issue
    folder: Path

    def html(self) -> str:
        """The copy that went out, without a recipient (read when its page is asked for)."""
        return (self.folder / HTML_FILE).read_text(encoding="utf-8")

    @property
    def href(self) -> str:
        """The issue page, relative to the archive's index (and feed)."""
        return f"{ISSUES_DIR}/{self.issue.issue_id}/{INDEX_FILE}"


def sources_under(root: Path) -> list[ArchiveSource]:
    """The stores and archive folders of the project at `root`: its digest.toml's (the nearest
    from `root` up), and those of the issue folders below it that set their own [store]."""
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError("folder not found", where=root)
    settings: list[DeliverySettings | None] = [load_delivery_settings(cwd=root).delivery]
    settings += [load_issue_config(folder.path).delivery for folder in find_issue_folders(root)]
    sources = []
    for delivery in settings:
        if delivery is None or delivery.archive_dir is None:
            continue
        source = ArchiveSource(delivery.store, delivery.archive_dir)
        if source not in sources:
            sources.append(source)
    return sources


@dataclass
class Published:
    """What an archive shows, newest first, and the issues that went out with no copy kept (sent
    before digest kept one): those are left out, and said so, rather than rebuilt from today's files."""

    entries: list[ArchiveEntry] = field(default_factory=list)
    unkept: list[str] = field(default_factory=list)

    def add(self, store: Store, archive_dir: Path, *, only: str | None = None) -> None:
        """The issues of one store that went out (or the one of them with id `only`), each from
        the copy kept when it was sent."""
        for issue_id in IssueHistory(store).went_out():
            if only is not None and issue_id != only:
                continue
            folder = issue_folder(archive_dir, issue_id)
            if not all((folder / name).is_file() for name in (HTML_FILE, ISSUE_DATA)):
                self.unkept.append(
                    f"{issue_id} went out, but no copy of it is kept in {folder}: not published"
                )
                continue
            issue = load_archived_issue(archive_dir, issue_id)  # unreadable: an error naming the file
            self.entries.append(ArchiveEntry(issue=issue, folder=folder))
        self.entries = newest_first(self.entries)


def published_issues(sources: Iterable[ArchiveSource]) -> Published:
    """Every issue of `sources` that went out. A store that does not exist yet has sent nothing
    (and is not created)."""
    published = Published()
    for source in sources:
        if isinstance(source.store, Path) and not source.store.is_file():
            continue
        store = open_store(source.store, create=False)
        try:
            published.add(store, source.archive_dir)
        finally:
            store.close()
    return published


def newest_first(entries: list[ArchiveEntry]) -> list[ArchiveEntry]:
    entries = sorted(entries, key=lambda entry: (entry.issue.date, entry.issue.issue_id), reverse=True)
    seen: dict[str, Path] = {}
    for entry in entries:
        issue_id = entry.issue.issue_id
        if issue_id in seen:
            raise ConfigError(
                f"two issues share the archive address issues/{issue_id}/: {seen[issue_id]} and "
                f"{entry.folder} (an issue's id is its ISO week; keep one issue per week in an archive)"
            )
        seen[issue_id] = entry.folder
    return entries

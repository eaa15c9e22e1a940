"""Preview snapshots: rendered once, reused until an input changes, problems kept not raised."""

from __future__ import annotations

import os
from pathlib import Path

from digest.settings.project import IssueFolder
from digest.web.preview.snapshot import SnapshotCache, take_snapshot
from tests.conftest import write_story


def bump(path: Path) -> None:
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))


def test_a_snapshot_is_reused_until_a_file_it_was_made_from_changes(meridian: Path):
    cache = SnapshotCache()
    folder = IssueFolder("m", meridian)
    first = cache.get(folder)
    assert first.ok and cache.get(folder) is first
    bump(meridian / "stories" / "ces-2025-ai.md")
    second = cache.get(folder)
    assert second is not first and second.ok
    write_story(meridian / "stories", "new-story", 'title: "Fresh"\nurl: "https://x.example/new"')
    third = cache.get(folder)
    assert "new-story" in {row.id for row in third.stories}


def test_a_theme_of_the_issues_own_is_an_input_too(project: Path, meridian: Path):
    theme = project / "theme"
    theme.mkdir()
    (theme / "theme.toml").write_text('[colors]\naccent = "#123456"\n')
    toml = meridian / "issue.toml"
    toml.write_text(toml.read_text().replace('lang = "en"', 'lang = "en"\ntheme = "../theme"'))
    cache = SnapshotCache()
    folder = IssueFolder("m", meridian)
    first = cache.get(folder)
    assert theme.resolve() in first.watched and "#123456" in first.rendered.html
    (theme / "theme.toml").write_text('[colors]\naccent = "#654321"\n')
    assert "#654321" in cache.get(folder).rendered.html


def test_problems_are_kept_on_the_snapshot(meridian: Path):
    (meridian / "issue.toml").write_text("[issue]\ndate = 2025-01-08\n")  # no [newsletter]
    snapshot = take_snapshot(IssueFolder("m", meridian))
    assert not snapshot.ok and snapshot.stories == []
    assert "[newsletter]" in snapshot.problems[0].message
    assert snapshot.problems[0].where.endswith("issue.toml")
    assert meridian in snapshot.watched, "a broken issue is still watched, so fixing it shows"

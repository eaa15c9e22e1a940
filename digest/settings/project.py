"""A project is a folder of issue folders (each holding an issue.toml), found by walking it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from digest.errors import ConfigError
from digest.settings.files import ISSUE_FILE, find_project_file

# Folders that never hold issues and can be huge: skipping them keeps the walk instant.
_SKIPPED_FOLDERS = frozenset({"node_modules", "__pycache__", "site-packages", "venv", "out", "stories"})


@dataclass(frozen=True, slots=True)
class IssueFolder:
    """One issue folder and the name it goes by in the preview's URLs (relative to the project)."""

    key: str
    path: Path


def _skipped(name: str) -> bool:
    return name.startswith(".") or name in _SKIPPED_FOLDERS


def find_issue_folders(root: Path) -> list[IssueFolder]:
    """Every folder under `root` (itself included) holding an issue.toml, sorted by key.

    An issue folder's own subfolders are not searched: an issue does not hold other issues.
    """
    root = root.resolve()
    if not root.is_dir():
        raise ConfigError("folder not found", where=root)
    found: list[IssueFolder] = []
    for folder, subfolders, files in os.walk(root):
        here = Path(folder)
        if ISSUE_FILE in files:
            # The root itself being an issue folder: it goes by its own name.
            key = here.relative_to(root).as_posix() if here != root else root.name
            found.append(IssueFolder(key=key, path=here))
            subfolders.clear()
            continue
        subfolders[:] = sorted(name for name in subfolders if not _skipped(name))
    return sorted(found, key=lambda issue: issue.key)


def project_root(path: Path) -> Path:
    """The folder whose issues an editor wants listed when they name `path`.

    A folder of issues is its own project. For a single issue folder it is the folder of the
    nearest digest.toml above it (the project's settings), or else the folder holding the issue.
    """
    path = path.resolve()
    if not (path / ISSUE_FILE).is_file():
        return path
    project_file = find_project_file(path.parent)
    return project_file.parent if project_file is not None else path.parent

"""`[archive]` (digest.toml only): where `digest run` keeps what it built, and every send what went out."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from digest.settings.files import SettingsFiles
from digest.settings.paths import resolved_path
from digest.settings.table import Table, invalid_settings


class ArchiveSettings(Table):
    path: str = "built"
    """Folder (relative to digest.toml) where `digest run` keeps every built issue and every send
    (`digest run --send`, `digest send`, `digest approve`) the copy that went out, e.g. built/2025-W02/;
    `digest archive` and `digest serve` publish the sent ones."""


def archive_dir(files: SettingsFiles, *, default_dir: Path) -> Path:
    """[archive] path of the digest.toml among `files` (the only file that may set it), resolved."""
    project = files.project
    table = project.tables.get("archive", {}) if project is not None else {}
    try:
        settings = ArchiveSettings.model_validate(table)
    except ValidationError as e:
        assert project is not None  # the defaults validate
        raise invalid_settings(e, project.path, ArchiveSettings) from None
    return resolved_path(files, "archive", "path", settings.path, default=default_dir)

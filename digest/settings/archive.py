"""`[archive]` (digest.toml only): where `digest run` keeps what it built."""

from __future__ import annotations

from digest.settings.table import Table


class ArchiveSettings(Table):
    path: str = "built"
    """Folder (relative to digest.toml) where `digest run` keeps every built issue, e.g. built/2025-W02/."""
